package runlet_test

import (
	"context"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Two runlets share pend x the documented way: A feeds it with two sources
// (and says so with a PendOutput), B reads it (and says so with a
// PendInput). x's producers are A's two sources whatever the order the
// runlets attach in (B's PendInput is A's edge, not a third producer, and B
// attaching must not set the count back to its one input): B gets all 100
// values, and both Runs return nil.
func TestSharedPendCountsFeederChipsInAnyAttachOrder(t *testing.T) {
	for _, order := range []string{"A then B", "B then A", "concurrent Run"} {
		t.Run(order, func(t *testing.T) {
			shared := pool.New("p", 4)
			x := ip(shared, "x")
			a := runlet.New([]chip.Chip{
				source("s1", x, ints(50)),
				source("s2", x, ints(50)),
			}, runlet.Config{})
			var s sink[int]
			b := runlet.New([]chip.Chip{s.output("out", x)}, runlet.Config{})
			if _, err := runlet.PendOutput(a, x); err != nil {
				t.Fatal(err)
			}
			if _, err := runlet.PendInput(b, x); err != nil {
				t.Fatal(err)
			}
			switch order {
			case "A then B":
				attach(t, a, b)
			case "B then A":
				attach(t, b, a)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a hang, not a speed limit
			defer cancel()
			errs := make(chan error, 2)
			for _, r := range []*runlet.Runlet{a, b} {
				go func() { errs <- r.Run(ctx) }()
			}
			for range 2 {
				if err := <-errs; err != nil {
					t.Errorf("Run: %v", err)
				}
			}
			if n := len(s.values()); n != 100 {
				t.Errorf("B got %d values, want 100 (both sources)", n)
			}
		})
	}
}

func attach(t *testing.T, rs ...*runlet.Runlet) {
	t.Helper()
	for _, r := range rs {
		if err := r.Attach(); err != nil {
			t.Fatal(err)
		}
	}
}
