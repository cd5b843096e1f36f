package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// linearChips is a linear graph of n chips over one pool: FromSlice of items
// -> n-2 sync maps (x+1) -> Collect into dst, each pend "p<i>" in the pool
// "default".
func linearChips(n int, items []int, dst *[]int) []chip.Chip {
	pend := func(i int) chip.PendRef { return chip.At("default", fmt.Sprint("p", i)) }
	chips := make([]chip.Chip, 0, n)
	chips = append(chips, chip.FromSlice("in", pend(0), items))
	for i := 1; i < n-1; i++ {
		chips = append(chips, chip.Map(fmt.Sprint("m", i), pend(i-1), pend(i), func(x int) (int, error) { return x + 1, nil }))
	}
	return append(chips, chip.Collect("out", pend(n-2), dst))
}

// BenchmarkLinear10000 attaches and runs a linear graph of 10,000 chips
// (FromSlice -> 9,998 sync maps -> Collect) on 1,000 items: the scheduler's
// and Attach's work per chip, which must stay linear in the number of chips.
// The chips are built once, before the loop: a chip is a template that each
// runlet binds afresh. ns/item is the time per item moved.
func BenchmarkLinear10000(b *testing.B) {
	const n, items = 10_000, 1_000
	in := make([]int, items)
	for i := range in {
		in[i] = i
	}
	var out []int
	chips := linearChips(n, in, &out)
	for b.Loop() {
		out = nil
		r := runlet.New([]*pool.Pool{pool.New("default", 1024)}, chips, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	if len(out) != items || out[items-1] != items-1+n-2 {
		b.Fatalf("got %d items, last %v", len(out), out[len(out)-1:])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items), "ns/item")
}
