package chip_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// An async chip with 4 workers feeding a pend limited to 5 (private 1)
// keeps to the documented bound: max(private, limit) + one pack per worker +
// the END. It used to hand a pack to every worker that freed up, however
// much was in flight, so a slow big batch landed on top of the singletons
// that overtook it: 11 packs, found by the random-runlet harness.
func TestAsyncChipKeepsToThePendBound(t *testing.T) {
	for _, ordered := range []bool{false, true} {
		for seed := range 40 {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New("P", 64)
				a, next := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b").Size(1, 5)
				vals := make([]int, 40)
				for i := range vals {
					vals[i] = i
				}
				high := 0
				m := chip.New(chip.Config[int, int, struct{}]{
					Key: "m", Prev: a, Next: next, Async: true, Concurrency: 4, Ordered: ordered,
					Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
						if in.Hint != hints.End {
							time.Sleep(time.Duration((in.Value*7+seed)%3) * time.Millisecond)
						}
						return in, nil
					},
				})
				var got int
				out := chip.New(chip.Config[int, struct{}, struct{}]{
					Key: "out", Prev: next, Async: true,
					Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
						if in.Hint == hints.End {
							return hints.EndOf[struct{}](1), nil
						}
						got++
						time.Sleep(time.Duration((in.Value*5+seed)%4) * time.Millisecond)
						return hints.SkipOf[struct{}](), nil
					},
				})
				var b *engine.Pend[int]
				r := runlet.New([]chip.Chip{
					chip.FromSlice("in", a, vals),
					&probe{Chip: m, after: func() {
						if b == nil {
							b, _ = engine.Get[int]((*engine.Pool)(p), "b")
						}
						high = max(high, b.Size())
					}},
					out,
				}, runlet.Config{})
				if err := r.Run(context.Background()); err != nil {
					t.Fatal(err)
				}
				if got != len(vals) {
					t.Errorf("ordered %v, seed %d: %d values reached the output, want %d", ordered, seed, got, len(vals))
				}
				if bound := 5 + 4 + 1; high > bound {
					t.Errorf("ordered %v, seed %d: pend b held %d packs, over its bound %d", ordered, seed, high, bound)
				}
			})
		}
	}
}

// probe calls after each time the scheduler has run the chip.
type probe struct {
	chip.Chip
	after func()
}

func (c *probe) Bind(b engine.Binding) (engine.Runner, error) {
	r, err := c.Chip.Bind(b)
	if err != nil {
		return nil, err
	}
	return &probeRunner{r, c.after}, nil
}

type probeRunner struct {
	engine.Runner
	after func()
}

func (r *probeRunner) Run(budget int) engine.Result {
	res := r.Runner.Run(budget)
	r.after()
	return res
}

// Async chips sharing a pool do not each take its whole room: the packs one
// has in flight count in the others' room (engine.Pend.Expect). Two chips of
// 4 workers each feeding a pool limited to 16 keep it within the bound
// max(limit, private sizes) + per pend (one pack per worker + END).
func TestAsyncChipsSharingAPoolKeepToItsBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := pool.New("src", pool.Unlimited)
		p := pool.New("P", 16)
		vals := make([]int, 400)
		worker := func(key string, from, to *pool.Pend[int]) chip.Chip {
			return chip.ParallelMap(key, from, to, 4, func(_ context.Context, v int) (int, error) {
				time.Sleep(time.Millisecond)
				return v, nil
			})
		}
		slow := func(key string, from *pool.Pend[int]) chip.Chip {
			return chip.New(chip.Config[int, struct{}, struct{}]{
				Key: key, Prev: from, Async: true,
				Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
					if in.Hint == hints.End {
						return hints.EndOf[struct{}](1), nil
					}
					time.Sleep(2 * time.Millisecond)
					return hints.SkipOf[struct{}](), nil
				},
			})
		}
		a1, a2 := pool.NewPend[int](src, "a1"), pool.NewPend[int](src, "a2")
		b1, b2 := pool.NewPend[int](p, "b1"), pool.NewPend[int](p, "b2")
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in1", a1, vals),
			chip.FromSlice("in2", a2, vals),
			worker("w1", a1, b1), worker("w2", a2, b2),
			slow("out1", b1), slow("out2", b2),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if bound := 16 + 2*(4+1); p.High() > bound {
			t.Errorf("pool P held %d, over its bound %d", p.High(), bound)
		}
	})
}

// An async 1:N chip with several workers keeps to the bound too: each
// batch's REDO run is cut at its share of the room, not at the whole room
// (8 inputs of 100 outputs each, 4 workers, a pool limited to 8 reached 19
// when every batch could fill the room).
func TestAsyncFanOutWithWorkersKeepsToTheBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("P", 8)
		src := pool.New("src", pool.Unlimited)
		a, b := pool.NewPend[int](src, "a"), pool.NewPend[int](p, "b")
		vals := []int{0, 1, 2, 3, 4, 5, 6, 7}
		var mu sync.Mutex
		drawn := map[int]int{}
		fan := chip.New(chip.Config[int, int, struct{}]{
			Key: "fan", Prev: a, Next: b, Async: true, Concurrency: 4,
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				if in.Hint == hints.End {
					return in, nil
				}
				mu.Lock()
				j := drawn[in.Value]
				drawn[in.Value]++
				mu.Unlock()
				out := hints.Data(in.Value*1000 + j)
				if j < 99 {
					out.Hint = hints.Redo
				}
				return out, nil
			},
		})
		got := map[int]bool{}
		out := chip.New(chip.Config[int, struct{}, struct{}]{
			Key: "out", Prev: b, Async: true,
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
				if in.Hint == hints.End {
					return hints.EndOf[struct{}](1), nil
				}
				time.Sleep(time.Millisecond)
				got[in.Value] = true
				return hints.SkipOf[struct{}](), nil
			},
		})
		r := runlet.New([]chip.Chip{chip.FromSlice("in", a, vals), fan, out}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(got) != 800 {
			t.Errorf("%d distinct outputs, want 800", len(got))
		}
		if bound := 8 + 4 + 1; p.High() > bound {
			t.Errorf("pool P held %d, over its bound %d", p.High(), bound)
		}
	})
}
