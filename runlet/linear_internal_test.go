package runlet

import (
	"context"
	"fmt"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
)

// A linear graph of n chips (FromSlice -> n-2 sync maps -> Collect, every
// pend in one pool) runs correctly, and ending its chips looks at O(n) slots
// in all: endUpstream and abandonReads used to scan every slot for each chip
// that ended, O(n^2) for the graph (2.8 s for 10,000 chips).
func TestLinearGraphEndsInLinearWork(t *testing.T) {
	const n, items = 10_000, 20
	pend := func(i int) chip.PendRef { return chip.At("default", fmt.Sprint("p", i)) }
	in := make([]int, items)
	for i := range in {
		in[i] = i
	}
	var out []int
	chips := []chip.Chip{chip.FromSlice("in", pend(0), in)}
	for i := 1; i < n-1; i++ {
		chips = append(chips, chip.Map(fmt.Sprint("m", i), pend(i-1), pend(i), func(x int) (int, error) { return x + 1, nil }))
	}
	chips = append(chips, chip.Collect("out", pend(n-2), &out))
	r := New([]*pool.Pool{pool.New("default", 64)}, chips, Config{})
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(out) != items {
		t.Fatalf("got %d items, want %d", len(out), items)
	}
	for i, v := range out {
		if v != i+n-2 {
			t.Fatalf("item %d = %d, want %d", i, v, i+n-2)
		}
	}
	// Each chip ends once; each pend has one reader and one feeder.
	if r.e().EndScans() == 0 || r.e().EndScans() > 4*n {
		t.Errorf("ending the chips looked at %d slots, want at most %d (4 per chip)", r.e().EndScans(), 4*n)
	}
}
