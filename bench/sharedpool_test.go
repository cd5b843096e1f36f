package bench

import (
	"context"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// BenchmarkSequentialRunsOnOnePool times one small runlet (FromSlice of 8
// values -> Collect) built and run on a pool that every earlier iteration
// used too: the per-run cost must stay flat however many runlets ran on the
// pool before (a scheduling group that kept every runlet made each run walk
// them all).
func BenchmarkSequentialRunsOnOnePool(b *testing.B) {
	p := pool.New("p", 16)
	a := pool.NewPend[int](p, "a") // declared once, as chip.At("p", "a") cost nothing per run
	values := []int{1, 2, 3, 4, 5, 6, 7, 8}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var got []int
		r := runlet.New([]chip.Chip{
			chip.FromSlice("src", a, values),
			chip.Collect("out", a, &got),
		}, runlet.Config{})
		if err := r.Run(ctx); err != nil {
			b.Fatal(err)
		}
		if len(got) != len(values) {
			b.Fatalf("got %v", got)
		}
	}
}
