package runlet_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// An async completion posted while an observer holds the group lock is not
// lost: the observer may let go between the poster's failed TryLock and its
// look at the observers, and the poster must then try again, for the
// observer never takes mail. The kick gap hook only widens that window (a
// preemption there does the same); a lost wake hangs Run, even past its ctx.
func TestAsyncWakeNotLostToObserver(t *testing.T) {
	runlet.SetKickGap(func() { time.Sleep(time.Millisecond) })
	defer runlet.SetKickGap(nil)
	for run := range 10 {
		p := pool.New(pk, 8)
		a, b := ip(p, "a"), ip(p, "b")
		var s sink[int]
		r := newRunlet(
			source("in", a, ints(100)),
			mapper("m", a, b, true, 2, func(v int) int { time.Sleep(100 * time.Microsecond); return v }),
			s.output("out", b))
		var stop atomic.Bool
		go func() {
			for !stop.Load() {
				_ = r.Snapshot()
				runtime.Gosched()
			}
		}()
		done := make(chan error, 1)
		go func() { done <- r.Run(context.Background()) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d: Run: %v", run, err)
			}
		case <-time.After(20 * time.Second): // a hang, not a speed limit
			stop.Store(true)
			t.Fatalf("run %d: Run did not return (got %d of 100 values): a wake was lost", run, len(s.values()))
		}
		stop.Store(true)
		if n := len(s.values()); n != 100 {
			t.Fatalf("run %d: got %d values, want 100", run, n)
		}
	}
}
