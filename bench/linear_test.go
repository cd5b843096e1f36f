package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// linearChips is a linear graph of n chips over pool p: FromSlice of items
// -> n-2 sync maps (x+1) -> Collect into dst, a list of chips over n-1
// unnamed pends, which the runlet names after their producers ("in.out",
// "m1.out", ...).
func linearChips(p *pool.Pool, n int, items []int, dst *[]int) []chip.Chip {
	prev := pool.NewPend[int](p, "")
	chips := make([]chip.Chip, 0, n)
	chips = append(chips, chip.FromSlice("in", prev, items))
	for i := 1; i < n-1; i++ {
		next := pool.NewPend[int](p, "")
		chips = append(chips, chip.Map(fmt.Sprint("m", i), prev, next, func(x int) (int, error) { return x + 1, nil }))
		prev = next
	}
	return append(chips, chip.Collect("out", prev, dst))
}

// BenchmarkLinear10000 attaches and runs a linear graph of 10,000 chips
// (FromSlice -> 9,998 sync maps -> Collect) on 1,000 items: the scheduler's
// and Attach's work per chip, which must stay linear in the number of chips.
// ns/item is the time per item moved.
//
// The benchmark keeps its name, graph, pool and items from before typed
// pends (when its pends were named "p<i>"), so its figures compare with
// earlier results. Each op runs on a fresh pool, as it always did: a pool
// keeps the pends it has made, so a pool used before would spare Attach the
// work measured here. The pends are declared in that pool, so each op builds
// its chips too, with the timer stopped; runlet.New (which names the
// pends), Attach and Run are timed.
func BenchmarkLinear10000(b *testing.B) {
	const n, items = 10_000, 1_000
	in := make([]int, items)
	for i := range in {
		in[i] = i
	}
	var out []int
	for b.Loop() {
		b.StopTimer()
		out = nil
		chips := linearChips(pool.New("default", 1024), n, in, &out)
		b.StartTimer()
		if err := runlet.Run(context.Background(), chips...); err != nil {
			b.Fatal(err)
		}
	}
	if len(out) != items || out[items-1] != items-1+n-2 {
		b.Fatalf("got %d items, last %v", len(out), out[len(out)-1:])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items), "ns/item")
}
