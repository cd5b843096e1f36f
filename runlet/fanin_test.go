package runlet_test

import (
	"context"
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
		var got []int
		r := runlet.New([]*pool.Pool{pool.New(pk, 4)}, []chip.Chip{
			chip.FromSlice("in1", at("a"), []int{1, 2, 3}),
			chip.FromSlice("in2", at("a"), []int{4, 5, 6}),
			mapper("double", at("a"), at("b"), async, 2, func(v int) int { return 2 * v }),
			chip.Collect("out", at("b"), &got),
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
	var got []int
	r := runlet.New([]*pool.Pool{pool.New(pk, 16)}, []chip.Chip{
		chip.FromSlice("in1", at("a"), []int{1, 2}),
		chip.FromSlice("in2", at("a"), []int{3}),
		chip.Collect("out", at("a"), &got),
	}, runlet.Config{})
	in, err := runlet.PendInput[int](r, pk, "a")
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
		var got []int
		r := runlet.New([]*pool.Pool{pool.New(pk, 4)}, []chip.Chip{
			chip.FromSlice("in1", at("a"), []int{1, 2, 3}),
			chip.FromSlice("in2", at("a"), []int{4, 5}),
			chip.FromSlice("in3", at("a"), []int{6}),
			chip.ENDRegulator[int]("reg", at("a"), at("b"), 3, 1),
			chip.Collect("out", at("b"), &got),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if slices.Sort(got); !slices.Equal(got, []int{1, 2, 3, 4, 5, 6}) {
			t.Errorf("got %v", got)
		}
	})
	t.Run("k consumers", func(t *testing.T) {
		s1, s2 := &sink[int]{}, &sink[int]{}
		r := runlet.New([]*pool.Pool{pool.New(pk, 4)}, []chip.Chip{
			chip.FromSlice("in1", at("a"), ints(50)),
			chip.FromSlice("in2", at("a"), ints(50)),
			s1.output("out1", at("a")), s2.output("out2", at("a")),
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
		if err := logicalpool.Merge[int](lp, "m", []string{"x", "y"}); err != nil {
			t.Fatal(err)
		}
		var got []int
		r := runlet.New([]*pool.Pool{inner, lp}, []chip.Chip{
			chip.FromSlice("x1", chip.At("inner", "x"), []int{1, 2}),
			chip.FromSlice("x2", chip.At("inner", "x"), []int{3, 4}),
			chip.FromSlice("y1", chip.At("inner", "y"), ints(20)),
			chip.Collect("out", chip.At("lp", "m"), &got),
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
func countedSource(key string, next chip.PendRef, values, n int) chip.Chip {
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
			var got []int
			left := -1 // what pend b holds when the flow has ended, before the runlet empties it
			r := runlet.New([]*pool.Pool{p}, []chip.Chip{
				countedSource("in", at("a"), 3, 1),
				mapperEnd("fan", at("a"), at("b"), async, n),
				chip.ENDRegulator[int]("reg", at("b"), at("c"), 3, 1),
				chip.New(chip.Config[int, struct{}, struct{}]{
					Key: "out", Prev: at("c"), Next: chip.Output,
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
func mapperEnd(key string, prev, next chip.PendRef, async bool, n int) chip.Chip {
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
	for _, err := range []error{
		logicalpool.Duplicate[int](lp, "dup", []string{"d1", "d2"}, nil),
		logicalpool.LoadBalance[int](lp, "lb", []string{"l1", "l2"}, logicalpool.RoundRobin),
		logicalpool.Merge[int](lp, "m", []string{"l1", "d2"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var got []int
	r := runlet.New([]*pool.Pool{inner, lp}, []chip.Chip{
		countedSource("in", chip.At("lp", "dup"), 4, n),
		mapperEnd("d1-lb", chip.At("inner", "d1"), chip.At("lp", "lb"), false, n),
		chip.Collect("l2-out", chip.At("inner", "l2"), new([]int)),
		chip.Collect("m-out", chip.At("lp", "m"), &got),
	}, runlet.Config{})
	out, err := runlet.PendOutput[int](r, "inner", "d1")
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
