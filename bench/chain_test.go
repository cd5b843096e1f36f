package bench

import (
	"context"
	"runtime"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/samber/ro"
	"github.com/sourcegraph/conc/stream"
	kitsune "github.com/zenbaku/go-kitsune"
	"golang.org/x/sync/errgroup"
)

// step is the work of each of the four map stages.
func step(x int) int { return x*3 + 1 }

func step4(x int) int { return step(step(step(step(x)))) }

// mapStep is step as a map function of the libraries that take an error.
func mapStep(x int) (int, error) { return step(x), nil }

// chain4 is input 0..n-1 -> four x*3+1 maps -> sum: the per-item overhead
// of a pipeline whose work is almost nothing.
//
// Fused is the plain loop with the work inlined (the limit); FusedCalls the
// same loop calling runlet's six process functions through function values
// (the limit for any runtime that calls user code per stage); Channels a
// goroutine per stage (channels buffered 1024); RunletSync four chip.Map
// (sync chips: one goroutine); RunletAsync the four maps as async chips;
// Kitsune four kitsune.Map; Errgroup the errgroup pipeline pattern (a
// goroutine per stage, select on ctx); Ro four ro.Map under ro.Pipe; Conc a
// conc stream (conc has no stages: one task per item does the four maps,
// its callback sums in order).
var chain4 = workload{
	name: "Chain4",
	want: func(n int) uint64 {
		s := 0
		for i := range n {
			s += step4(i)
		}
		return uint64(s)
	},
	systems: []system{
		{"Fused", func(n int) (uint64, error) {
			s := 0
			for i := range n {
				s += step4(i)
			}
			return uint64(s), nil
		}},
		{"FusedCalls", chain4FusedCalls},
		{"Channels", func(n int) (uint64, error) {
			c := chanCount(n)
			for range 4 {
				in, out := c, make(chan int, 1024)
				go func() {
					for v := range in {
						out <- step(v)
					}
					close(out)
				}()
				c = out
			}
			s := 0
			for v := range c {
				s += v
			}
			return uint64(s), nil
		}},
		{"RunletSync", func(n int) (uint64, error) {
			s := 0
			q := ats[int](newPool(), "p0", "p1", "p2", "p3", "p4")
			err := runRunlet(
				count("in", q[0], n),
				chip.Map("m1", q[0], q[1], mapStep),
				chip.Map("m2", q[1], q[2], mapStep),
				chip.Map("m3", q[2], q[3], mapStep),
				chip.Map("m4", q[3], q[4], mapStep),
				chip.ForEach("sum", q[4], func(v int) error { s += v; return nil }),
			)
			return uint64(s), err
		}},
		{"RunletAsync", func(n int) (uint64, error) {
			s := 0
			q := ats[int](newPool(), "p0", "p1", "p2", "p3", "p4")
			chips := []chip.Chip{count("in", q[0], n)}
			for k, key := range []string{"m1", "m2", "m3", "m4"} {
				chips = append(chips, chip.New(chip.Config[int, int, struct{}]{
					Key: key, Prev: q[k], Next: q[k+1], Async: true,
					Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
						if in.Hint == hints.None {
							in.Value = step(in.Value)
						}
						return in, nil
					},
				}))
			}
			chips = append(chips, chip.ForEach("sum", q[4], func(v int) error { s += v; return nil }))
			err := runRunlet(chips...)
			return uint64(s), err
		}},
		{"Kitsune", func(n int) (uint64, error) {
			m := func(_ context.Context, v int) (int, error) { return step(v), nil }
			p := kitsune.Map(kitsune.Map(kitsune.Map(kitsune.Map(kitsuneCount(n), m), m), m), m)
			s := 0
			_, err := p.ForEach(func(_ context.Context, v int) error { s += v; return nil }).Run(context.Background())
			return uint64(s), err
		}},
		{"Errgroup", func(n int) (uint64, error) {
			g, ctx := errgroup.WithContext(context.Background())
			c := egCount(ctx, g, n)
			for range 4 {
				c = egStage(ctx, g, c, step)
			}
			s := 0
			for v := range c {
				s += v
			}
			return uint64(s), g.Wait()
		}},
		{"Ro", func(n int) (uint64, error) {
			m := ro.Map(func(v int64) int64 { return int64(step(int(v))) })
			var s int64
			var err error
			ro.Pipe4(ro.Range(0, int64(n)), m, m, m, m).Subscribe(ro.NewObserver(
				func(v int64) { s += v }, func(e error) { err = e }, func() {}))
			return uint64(s), err
		}},
		{"Conc", func(n int) (uint64, error) {
			st := stream.New().WithMaxGoroutines(runtime.GOMAXPROCS(0))
			s := 0
			for i := range n {
				st.Go(func() stream.Callback {
					v := step4(i)
					return func() { s += v }
				})
			}
			st.Wait()
			return uint64(s), nil
		}},
	},
}

// chain4FusedCalls is a plain loop calling the process functions of chain4's
// six runlet chips (a counter input, four maps, a summing output) through
// function values (opaque keeps the compiler from inlining any of them).
func chain4FusedCalls(n int) (uint64, error) {
	in := opaque(func(_ context.Context, _ hints.Pack[struct{}], i *int) (hints.Pack[int], error) {
		if *i == n {
			return hints.Pack[int]{Hint: hints.End}, nil
		}
		*i++
		return hints.Pack[int]{Value: *i - 1}, nil
	})
	mapf := func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
		in.Value = step(in.Value)
		return in, nil
	}
	s := 0
	out := opaque(func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
		if in.Hint == hints.End {
			return hints.Pack[struct{}]{Hint: hints.End}, nil
		}
		s += in.Value
		return hints.Pack[struct{}]{Hint: hints.Skip}, nil
	})
	procs := []chip.Process[int, int, struct{}]{mapf, mapf, mapf, mapf}
	ctx, i, none := context.Background(), 0, struct{}{}
	for {
		p, _ := in(ctx, hints.Pack[struct{}]{Hint: hints.Skip}, &i)
		if p.Hint == hints.End {
			out(ctx, p, &none)
			break
		}
		for _, f := range procs {
			p, _ = f(ctx, p, &none)
		}
		out(ctx, p, &none)
	}
	return uint64(s), nil
}

func BenchmarkChain4(b *testing.B) { benchWorkload(b, chain4) }
