// Package bench measures runlet side by side with what a Go user would pick
// instead, on the same workloads in the same run. It is a module of its own
// (github.com/runlet/runlet/bench, with a replace to the library), so the
// peers never enter runlet's dependencies: go-kitsune, sourcegraph/conc,
// golang.org/x/sync/errgroup and samber/ro, plus hand-written goroutines
// and channels and a fused plain loop (the limit).
//
// A workload (Chain4, FlatMap5, Batch100, Duplicate2, LoadBalance4, IOMap,
// CPUMap, Gzip32MiB) is one job; each system does it its own idiomatic way
// and returns a checksum of its output, checked against the workload's in
// every benchmark and, on small counts, by TestWorkloads (so plain go test
// catches a broken pipeline). A system missing from a workload has no
// natural way to do it; the workload's doc comment says why.
//
// Every benchmark moves b.N items, so ns/op is ns per item; each also
// reports ns/item, allocs/item and B/item over the whole run, setup
// included. The command in cmd/compare runs every workload/system pair in a
// process of its own (for its peak RSS) and prints markdown tables of
// medians with ratios to the fused loop and to the best peer:
//
//	cd bench && go run ./cmd/compare                 # -count 6
//	go run ./cmd/compare -scaling -cpu 1,2,4,8,16   # CPUMap speedup
//	go test -run '^$' -bench . -count 6 | tee new.txt && benchstat new.txt
//
// results/ holds the raw outputs behind the README's figures.
package bench
