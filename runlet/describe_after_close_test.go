package runlet_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// R2-1: settle now always builds a snapshot (for Detach), after it closed
// the chips, so every run calls each chip's Describe hook once after its
// Close, even when nobody observes; a panic there is lost.
func TestDescribeHookNotCalledAfterClose(t *testing.T) {
	p := pool.New(pk, 4)
	a, b := ip(p, "a"), ip(p, "b")
	var closed atomic.Bool
	var after atomic.Int32
	c := chip.New(chip.Config[int, int, struct{}]{
		Key: "m", Prev: a, Next: b,
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) { return in, nil },
		Close:   func(*struct{}) { closed.Store(true) },
		Describe: func(*struct{}) string {
			if closed.Load() {
				after.Add(1)
				panic("hook after Close")
			}
			return ""
		},
	})
	var s sink[int]
	r := newRunlet(source("in", a, ints(3)), c, s.output("out", b))
	err := r.Run(context.Background())
	if n := after.Load(); n != 0 {
		t.Errorf("Describe hook called %d times after Close, with nobody observing; Run = %v (the hook's panic is lost)", n, err)
	}
}

// The Describe hook that runs as the runlet settles (before Close, for the
// last notes) is user code like any other: its panic is Run's error.
func TestDescribeHookPanicAtSettleIsReported(t *testing.T) {
	p := pool.New(pk, 4)
	a, b := ip(p, "a"), ip(p, "b")
	c := chip.New(chip.Config[int, int, struct{}]{
		Key: "m", Prev: a, Next: b,
		Process:  func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) { return in, nil },
		Describe: func(*struct{}) string { panic("hook") },
	})
	var s sink[int]
	r := newRunlet(source("in", a, ints(3)), c, s.output("out", b))
	err := r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "Describe hook") || !strings.Contains(err.Error(), `"m"`) {
		t.Errorf("Run = %v, want chip m's Describe hook panic", err)
	}
}
