package runlet_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Two producers on one plain pend: the consumer sees every value of both and
// one END after the last.
func TestTwoProducersOnePendDeliverAll(t *testing.T) {
	for _, async := range []bool{false, true} {
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		var got []int
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in1", a, []int{1, 2, 3}),
			chip.FromSlice("in2", a, []int{4, 5, 6}),
			mapper("double", a, b, async, 2, func(v int) int { return 2 * v }),
			chip.Collect("out", b, &got),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatalf("async %v: Run: %v", async, err)
		}
		slices.Sort(got)
		if want := []int{2, 4, 6, 8, 10, 12}; !slices.Equal(got, want) {
			t.Errorf("async %v: got %v, want %v", async, got, want)
		}
	}
}

// Three producers, one of them a passive input (one producer, its END push
// being its end): END reaches the consumer only after all three.
func TestFanInCountsPassiveInput(t *testing.T) {
	a := ip(pool.New(pk, 16), "a")
	var got []int
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in1", a, []int{1, 2}),
		chip.FromSlice("in2", a, []int{3}),
		chip.Collect("out", a, &got),
	}, runlet.Config{})
	in, err := runlet.PendInput(r, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, pk := range []hints.Pack[int]{hints.Data(10), hints.Data(11)} {
		if err := in.Push(pk); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	// Run cannot end before the passive input's END: the chips' two ENDs
	// are held back.
	if err := in.PushWait(context.Background(), hints.Data(12)); err != nil {
		t.Fatal(err)
	}
	if err := in.PushWait(context.Background(), hints.EndOf[int](1)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []int{1, 2, 3, 10, 11, 12}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// The documented remedies keep working: an ENDRegulator that swallows all but
// the last of k ENDs, k consumers of k producers, and a Merge whose viewee
// has two producers of its own.
func TestFanInKeepsRegulators(t *testing.T) {
	t.Run("regulator", func(t *testing.T) {
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		var got []int
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in1", a, []int{1, 2, 3}),
			chip.FromSlice("in2", a, []int{4, 5}),
			chip.FromSlice("in3", a, []int{6}),
			chip.ENDRegulator("reg", a, b, 3, 1),
			chip.Collect("out", b, &got),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if slices.Sort(got); !slices.Equal(got, []int{1, 2, 3, 4, 5, 6}) {
			t.Errorf("got %v", got)
		}
	})
	t.Run("k consumers", func(t *testing.T) {
		a := ip(pool.New(pk, 4), "a")
		s1, s2 := &sink[int]{}, &sink[int]{}
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in1", a, ints(50)),
			chip.FromSlice("in2", a, ints(50)),
			s1.output("out1", a), s2.output("out2", a),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(s1.Got) + len(s2.Got); n != 100 || s1.Ends != 1 || s2.Ends != 1 {
			t.Errorf("got %d values, ENDs %d and %d", n, s1.Ends, s2.Ends)
		}
	})
	t.Run("merge", func(t *testing.T) {
		inner := pool.New("inner", 4)
		lp := logicalpool.New("lp", inner)
		x, y := ip(inner, "x"), ip(inner, "y")
		m, err := logicalpool.Merge(lp, "m", []*pool.Pend[int]{x, y})
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		r := runlet.New([]chip.Chip{
			chip.FromSlice("x1", x, []int{1, 2}),
			chip.FromSlice("x2", x, []int{3, 4}),
			chip.FromSlice("y1", y, ints(20)),
			chip.Collect("out", m, &got),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(got) != 24 {
			t.Errorf("got %d values %v, want 24", len(got), got)
		}
	})
}

// countedSource is an input chip that ends with one END pack carrying n.
func countedSource(key string, next *pool.Pend[int], values, n int) chip.Chip {
	return chip.NewInput(key, next, nil, func(_ context.Context, i *int) (hints.Pack[int], error) {
		if *i == values {
			return hints.EndOf[int](n), nil
		}
		*i++
		return hints.Data(*i), nil
	})
}

// queued returns how many packs pend key of p holds.
func queued(t *testing.T, p *pool.Pool, key string) int {
	t.Helper()
	for _, ps := range p.Snapshot().Pends {
		if ps.Key == key {
			return ps.Packs
		}
	}
	t.Fatalf("pool %q has no pend %q", p.Key(), key)
	return 0
}

// An END with a count is one pack: a consumer takes one END from it at a
// time, and what it leaves is one pack, whatever the count.
func TestEndCountIsOnePack(t *testing.T) {
	for _, n := range []int{1 << 23, math.MaxInt32} {
		for _, async := range []bool{false, true} {
			p := pool.New(pk, 4)
			a, b, c := ip(p, "a"), ip(p, "b"), ip(p, "c")
			var got []int
			left := -1 // what pend b holds when the flow has ended, before the runlet empties it
			r := runlet.New([]chip.Chip{
				countedSource("in", a, 3, 1),
				mapperEnd("fan", a, b, async, n),
				chip.ENDRegulator("reg", b, c, 3, 1),
				chip.New(chip.Config[int, struct{}, struct{}]{
					Key: "out", Prev: c,
					Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
						if in.Hint == hints.End {
							return hints.EndOf[struct{}](1), nil
						}
						got = append(got, in.Value)
						return hints.SkipOf[struct{}](), nil
					},
					// Close runs on the scheduler's goroutine once the flow has
					// ended, before the stopped runlet empties its pends.
					Close: func(*struct{}) { left = queued(t, p, "b") },
				}),
			}, runlet.Config{})
			if err := r.Run(context.Background()); err != nil {
				t.Fatalf("n %d async %v: %v", n, async, err)
			}
			slices.Sort(got) // two async workers: any order
			if !slices.Equal(got, []int{1, 2, 3}) {
				t.Errorf("n %d async %v: got %v", n, async, got)
			}
			if q := left; q != 1 {
				t.Errorf("n %d async %v: pend b holds %d packs, want the one END left", n, async, q)
			}
		}
	}
}

// mapperEnd passes data through and ends with EndOf(n).
func mapperEnd(key string, prev, next *pool.Pend[int], async bool, n int) chip.Chip {
	return chip.New(chip.Config[int, int, struct{}]{
		Key: key, Prev: prev, Next: next, Async: async, Concurrency: 2,
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				return hints.EndOf[int](n), nil
			}
			return in, nil
		},
	})
}

// The views and the passive handles count an END with a count as one pack
// too: a Duplicate copies it, a LoadBalance puts it in every viewee, a
// Merge takes one END from each viewee, and a PendOutput pulls one END at a
// time from it. d1 has two readers: the chip d1-lb during the run, the
// PendOutput after it.
func TestEndCountThroughViews(t *testing.T) {
	const n = math.MaxInt32
	inner := pool.New("inner", 8)
	lp := logicalpool.New("lp", inner)
	d1, d2, l1, l2 := ip(inner, "d1"), ip(inner, "d2"), ip(inner, "l1"), ip(inner, "l2")
	dup, err1 := logicalpool.Duplicate(lp, "dup", []*pool.Pend[int]{d1, d2}, nil)
	lb, err2 := logicalpool.LoadBalance(lp, "lb", []*pool.Pend[int]{l1, l2}, logicalpool.RoundRobin)
	m, err3 := logicalpool.Merge(lp, "m", []*pool.Pend[int]{l1, d2})
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	var got []int
	r := runlet.New([]chip.Chip{
		countedSource("in", dup, 4, n),
		mapperEnd("d1-lb", d1, lb, false, n),
		chip.Collect("l2-out", l2, new([]int)),
		chip.Collect("m-out", m, &got),
	}, runlet.Config{})
	out, err := runlet.PendOutput(r, d1)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) < 4 {
		t.Errorf("merge got %v, want at least d2's 4 values", got)
	}
	for _, k := range []string{"d1", "d2", "l1", "l2"} {
		if q := queued(t, inner, k); q > 1 {
			t.Errorf("pend %s holds %d packs, want at most 1", k, q)
		}
	}
	for range 3 {
		if pk, ok := out.Pull(); ok && (pk.Hint != hints.End || pk.Count > 1) {
			t.Errorf("PendOutput pulled %v (count %d), want a plain END", pk, pk.Count)
		}
	}
}
