module github.com/runlet/runlet/bench

go 1.26.1

require (
	github.com/runlet/runlet v0.0.0
	github.com/samber/ro v0.3.0
	github.com/sourcegraph/conc v0.3.0
	github.com/zenbaku/go-kitsune v0.2.0
	golang.org/x/sync v0.24.0
)

require (
	github.com/cenkalti/backoff/v5 v5.0.3 // indirect
	github.com/google/btree v1.1.3 // indirect
	github.com/samber/lo v1.52.0 // indirect
	github.com/sony/gobreaker/v2 v2.4.0 // indirect
	github.com/zenbaku/go-kitsune/hooks v0.2.0 // indirect
	go.uber.org/atomic v1.7.0 // indirect
	go.uber.org/multierr v1.9.0 // indirect
	golang.org/x/exp v0.0.0-20261113113407-e3970619a1a4 // indirect
	golang.org/x/text v0.22.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/runlet/runlet => ../
