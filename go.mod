module github.com/runlet/runlet

go 1.26
