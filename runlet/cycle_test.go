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
	x, y, z := ip(inner, "x"), ip(inner, "y"), ip(inner, "z")
	route, err := logicalpool.LoadBalanceByKey(lp, "route", []*pool.Pend[int]{x, z}, func(v int) uint64 {
		if v < 3 {
			return 0
		}
		return 1
	})
	if err != nil {
		t.Fatal(err)
	}
	return runlet.New([]chip.Chip{
		chip.FromSlice("in", x, []int{0, 1, 5}),
		chip.Map("step", x, y, func(v int) (int, error) { return v + 1, nil }),
		chip.Map("route", y, route, func(v int) (int, error) { return v, nil }),
		chip.Collect("out", z, got),
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
	p := pool.New(pk, 4)
	a, b := ip(p, "a"), ip(p, "b")
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in", a, []int{1}),
		chip.Map("self", a, a, func(v int) (int, error) { return v, nil }),
		chip.Map("on", a, b, func(v int) (int, error) { return v, nil }),
		chip.Collect("out", b, new([]int)),
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
	d1, d2, d3, d4 := ip(inner, "d1"), ip(inner, "d2"), ip(inner, "d3"), ip(inner, "d4")
	e1, e2, f1, f2, g := ip(inner, "e1"), ip(inner, "e2"), ip(inner, "f1"), ip(inner, "f2"), ip(inner, "g")
	dup, err := logicalpool.Duplicate(lp, "dup", []*pool.Pend[int]{d1, d2, d3, d4}, nil)
	must(t, err)
	m, err := logicalpool.Merge(lp, "m", []*pool.Pend[int]{e1, e2})
	must(t, err)
	j, err := logicalpool.Join2(lp, "j", f1, f2)
	must(t, err)
	id := func(v int) (int, error) { return v, nil }
	var merged []int
	var joined []logicalpool.Pair[int, int]
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in", dup, []int{1, 2, 3}),
		chip.Map("a1", d1, e1, id),
		chip.Map("a2", d2, e2, id),
		chip.Map("b1", d3, f1, id),
		chip.Map("b2", d4, f2, id),
		chip.Map("m-on", m, g, id),
		chip.Collect("m-out", g, &merged),
		chip.Collect("j-out", j, &joined),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(merged) != 6 || len(joined) != 3 {
		t.Errorf("merged %v, joined %v; want 6 values and 3 pairs", merged, joined)
	}
}
