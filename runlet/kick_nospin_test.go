package runlet_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// R2-2: a poster (an async completion) that finds an observer holding the
// group lock spins (runtime.Gosched plus a full stack walk per turn) for as
// long as the observer holds it, which includes user Describe hooks.
func TestKickDoesNotSpinWhileObserverHolds(t *testing.T) {
	var spins atomic.Int64
	runlet.SetKickGap(func() { spins.Add(1) })
	defer runlet.SetKickGap(nil)
	p := pool.New(pk, 4)
	a, b := ip(p, "a"), ip(p, "b")
	gate := make(chan struct{})
	var once atomic.Bool
	m := chip.New(chip.Config[int, int, struct{}]{
		Key: "m", Prev: a, Next: b, Async: true, Concurrency: 1,
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			<-gate
			return in, nil
		},
	})
	var got atomic.Int32
	out := chip.New(chip.Config[int, struct{}, struct{}]{
		Key: "out", Prev: b,
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
			if in.Hint == hints.End {
				return hints.EndOf[struct{}](1), nil
			}
			got.Add(1)
			return hints.SkipOf[struct{}](), nil
		},
		Describe: func(*struct{}) string {
			if once.CompareAndSwap(false, true) {
				close(gate) // the worker completes and posts its wake now
				deadline := time.Now().Add(2 * time.Second)
				for spins.Load() < 10000 && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
			}
			return ""
		},
	})
	r := newRunlet(source("in", a, ints(1)), m, out)
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	// Observe until the hook has run once (the loop is idle waiting for the worker).
	for !once.Load() {
		_ = r.Describe()
		time.Sleep(time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := spins.Load(); n >= 10000 {
		t.Errorf("the worker's kick spun %d times while an observer held the lock (busy wait, a stack walk each)", n)
	}
}
