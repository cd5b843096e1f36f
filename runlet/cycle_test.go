package runlet_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// recirculate builds a loop as a crawler or a retry would: values start at
// x; "step" adds one and "route" sends values below 3 back to x, the others
// on to the output.
func recirculate(t *testing.T, got *[]int) *runlet.Runlet {
	t.Helper()
	inner := pool.New("p", 16)
	lp := logicalpool.New("lp", inner)
	if err := logicalpool.LoadBalanceByKey[int](lp, "route", []string{"x", "z"}, func(v int) uint64 {
		if v < 3 {
			return 0
		}
		return 1
	}); err != nil {
		t.Fatal(err)
	}
	return runlet.New([]*pool.Pool{inner, lp}, []chip.Chip{
		chip.FromSlice("in", chip.At("p", "x"), []int{0, 1, 5}),
		chip.Map("step", chip.At("p", "x"), chip.At("p", "y"), func(v int) (int, error) { return v + 1, nil }),
		chip.Map("route", chip.At("p", "y"), chip.At("lp", "route"), func(v int) (int, error) { return v, nil }),
		chip.Collect("out", chip.At("p", "z"), got),
	}, runlet.Config{})
}

// A graph with a cycle is refused at Attach with an error that spells out
// the cycle; runlet cannot tell when packs in a loop are done.
func TestCycleRefused(t *testing.T) {
	var got []int
	r := recirculate(t, &got)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := r.Run(ctx)
	if err == nil {
		t.Fatalf("Run of a cycle: no error, got %v", got)
	}
	want := `chip "step" → pend "y" → chip "route" → pend "x" → chip "step"`
	if !strings.Contains(err.Error(), want) || !errors.Is(err, runlet.ErrCycle) {
		t.Errorf("Run of a cycle: %v\nwant an ErrCycle naming %s", err, want)
	}
	var ce *runlet.CycleError
	if !errors.As(err, &ce) || len(ce.Chips) != 2 || ce.Pends[1] != "x" {
		t.Errorf("CycleError = %+v, want chips step, route and pends y, x", ce)
	}
}

// A chip feeding its own prev pend is a cycle of one.
func TestCycleOfOneChip(t *testing.T) {
	r := runlet.New([]*pool.Pool{pool.New(pk, 4)}, []chip.Chip{
		chip.FromSlice("in", at("a"), []int{1}),
		chip.Map("self", at("a"), at("a"), func(v int) (int, error) { return v, nil }),
		chip.Map("on", at("a"), at("b"), func(v int) (int, error) { return v, nil }),
		chip.Collect("out", at("b"), new([]int)),
	}, runlet.Config{})
	err := r.Attach()
	if want := `chip "self" → pend "a" → chip "self"`; !errors.Is(err, runlet.ErrCycle) || !strings.Contains(err.Error(), want) {
		t.Errorf("Attach = %v, want an ErrCycle naming %s", err, want)
	}
}

// Graphs whose branches meet again without a loop are not cycles: a
// Duplicate whose branches meet in a Merge and in a Join2.
func TestCycleDiamondsAccepted(t *testing.T) {
	inner := pool.New("p", 16)
	lp := logicalpool.New("lp", inner)
	for _, err := range []error{
		logicalpool.Duplicate[int](lp, "dup", []string{"d1", "d2", "d3", "d4"}, nil),
		logicalpool.Merge[int](lp, "m", []string{"e1", "e2"}),
		logicalpool.Join2[int, int](lp, "j", "f1", "f2"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	id := func(v int) (int, error) { return v, nil }
	at := func(pool, pend string) chip.PendRef { return chip.At(pool, pend) }
	var merged []int
	var joined []logicalpool.Pair[int, int]
	r := runlet.New([]*pool.Pool{inner, lp}, []chip.Chip{
		chip.FromSlice("in", at("lp", "dup"), []int{1, 2, 3}),
		chip.Map("a1", at("p", "d1"), at("p", "e1"), id),
		chip.Map("a2", at("p", "d2"), at("p", "e2"), id),
		chip.Map("b1", at("p", "d3"), at("p", "f1"), id),
		chip.Map("b2", at("p", "d4"), at("p", "f2"), id),
		chip.Map("m-on", at("lp", "m"), at("p", "g"), id),
		chip.Collect("m-out", at("p", "g"), &merged),
		chip.Collect("j-out", at("lp", "j"), &joined),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(merged) != 6 || len(joined) != 3 {
		t.Errorf("merged %v, joined %v; want 6 values and 3 pairs", merged, joined)
	}
}
