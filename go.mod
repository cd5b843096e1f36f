module github.com/runlet/runlet

go 1.26.0

require (
	github.com/cenkalti/backoff/v5 v5.0.3
	github.com/google/btree v1.1.3
	github.com/sony/gobreaker/v2 v2.4.0
	github.com/stretchr/testify v1.12.1
	github.com/thejerf/suture/v4 v4.0.6
	golang.org/x/exp v0.0.0-20261113113407-e3970619a1a4
	golang.org/x/time v0.16.0
	pgregory.net/rapid v1.3.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
