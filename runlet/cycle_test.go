package runlet_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
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
	_ = hints.End
}
