// Package bench measures runlet side by side with what a Go user would pick
// instead, on the same workloads in the same run. It is a module of its own
// (github.com/runlet/runlet/bench, with a replace to the library), so the
// peers never enter runlet's dependencies: go-kitsune, sourcegraph/conc,
// golang.org/x/sync/errgroup and samber/ro, plus hand-written goroutines
// and channels and a fused plain loop (the limit).
//
// A workload (Chain4, FlatMap5, Batch100, Duplicate2, LoadBalance4, IOMap,
// CPUMap, Gzip32MiB, Generate, Lines) is one job; each system does it its
// own idiomatic way and returns a checksum of its output, checked against
// the workload's in every benchmark and, on small counts, by TestWorkloads
// (so plain go test catches a broken pipeline). A system missing from a
// workload has no natural way to do it; the workload's doc comment says
// why. AccessLog (issue 12's program) has a benchmark of its own, over a
// fixed log per op.
//
// Each workload has two references besides its peers. Fused is the work
// done in a plain loop with everything inlined: the physical limit.
// FusedCalls is the same loop calling the runlet's own user functions (the
// input's produce, the maps, the ForEach functions) through function values
// that the compiler cannot see into (opaque): the limit any runtime that
// calls user code once per item can reach, and the fair yardstick of
// per-item overhead. IOMap and Gzip32MiB have no FusedCalls (the limit
// there is waiting or compressing, not calling; their doc comments say
// more), and in Lines the limit is Bufio, a bare bufio.Scanner loop.
//
// Generate (a generator yielding 0..n-1, summed) and Lines (a 64 MiB log
// file written once per benchmark call to b.TempDir, read and counted) are
// the sources of issue 13: chip.Generate, chip.FromSeq, chip.FromChan and
// chip.Lines against a channel fed by a goroutine and against the plain
// loop. In Lines an item is one read of the whole file; it reports ns/line
// and MB/s besides.
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
//	go run ./cmd/compare -bench 'Lines|Generate|Chain4|FlatMap5|LoadBalance4' -raw new.txt   # issue 13's targets
//
// results/ holds the raw outputs behind the README's figures.
package bench
