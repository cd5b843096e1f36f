package bench

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// BenchmarkDescribe measures how long Describe takes (ns/op is ns per
// Describe call) on an endless sync-only flow (a counting source, two sync
// maps and a sink): "Burst" calls it from another goroutine while the
// scheduler runs the flow's bursts, "Idle" on the same runlet attached but
// not running, where Describe copies the state itself. packs/op is how many
// packs the source made per Describe call: the flow kept moving while it was
// observed.
func BenchmarkDescribe(b *testing.B) {
	b.Run("Burst", func(b *testing.B) {
		var made atomic.Int64
		r := endlessRunlet(&made)
		done := make(chan error, 1)
		go func() { done <- r.Run(context.Background()) }()
		for made.Load() == 0 {
			runtime.Gosched()
		}
		start := made.Load()
		for b.Loop() {
			_ = r.Describe()
		}
		b.StopTimer()
		b.ReportMetric(float64(made.Load()-start)/float64(b.N), "packs/op")
		r.Abort(nil)
		if err := <-done; !errors.Is(err, runlet.ErrAborted) {
			b.Fatalf("Run = %v, want ErrAborted", err)
		}
	})
	b.Run("Idle", func(b *testing.B) {
		var made atomic.Int64
		r := endlessRunlet(&made)
		if err := r.Attach(); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			_ = r.Describe()
		}
	})
}

// endlessRunlet is gen -> inc -> dbl -> drop, all sync, where gen never ends
// and counts what it makes in made.
func endlessRunlet(made *atomic.Int64) *runlet.Runlet {
	p := pool.New("p", 64)
	a, b, c := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b"), pool.NewPend[int](p, "c")
	gen := chip.NewInput("gen", a, nil, func(context.Context, *struct{}) (hints.Pack[int], error) {
		return hints.Data(int(made.Add(1))), nil
	})
	inc := chip.Map("inc", a, b, func(v int) (int, error) { return v + 1, nil })
	dbl := chip.Map("dbl", b, c, func(v int) (int, error) { return v * 2, nil })
	drop := chip.NewOutput("drop", c, nil, func(context.Context, hints.Pack[int], *struct{}) error { return nil })
	return runlet.New([]chip.Chip{gen, inc, dbl, drop}, runlet.Config{})
}
