package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// observeDeadline turns a hang into a failure. It bounds how long a test
// waits for a call that must come back, not how fast anything runs: none of
// the tests below measure time.
const observeDeadline = 30 * time.Second

// maxStopPacks is how many packs the source of an endless flow may still
// make between a stop request and Run's return (Config.Budget is 1024).
const maxStopPacks = 10_000

// endlessFlow is a sync-only flow that never ends: a source counting the packs it
// makes, two sync maps and a sink that drops everything.
type endlessFlow struct {
	made atomic.Int64 // packs the source has made
	r    *runlet.Runlet
	done chan error // Run's result
}

func startEndless(t *testing.T, ctx context.Context) *endlessFlow {
	t.Helper()
	e := &endlessFlow{done: make(chan error, 1)}
	p := pool.New(pk, 64)
	a, b, c := ip(p, "a"), ip(p, "b"), ip(p, "c")
	src := chip.NewInput("gen", a, nil, func(context.Context, *struct{}) (hints.Pack[int], error) {
		return hints.Data(int(e.made.Add(1))), nil
	})
	sinkChip := chip.NewOutput("drop", c, nil, func(context.Context, hints.Pack[int], *struct{}) error { return nil })
	e.r = newRunlet(src,
		mapper("inc", a, b, false, 0, func(v int) int { return v + 1 }),
		mapper("dbl", b, c, false, 0, func(v int) int { return v * 2 }),
		sinkChip)
	go func() { e.done <- e.r.Run(ctx) }()
	e.waitPast(t, ctx, 0)
	return e
}

// waitPast waits until the source has made more than n packs.
func (e *endlessFlow) waitPast(t *testing.T, ctx context.Context, n int64) {
	t.Helper()
	for e.made.Load() <= n {
		if ctx.Err() != nil {
			t.Fatalf("the source did not get past %d packs: %v", n, ctx.Err())
		}
		time.Sleep(time.Millisecond) // a poll, not a measure
	}
}

// wait returns Run's result, or fails the test at the deadline.
func (e *endlessFlow) wait(t *testing.T, ctx context.Context) error {
	t.Helper()
	select {
	case err := <-e.done:
		return err
	case <-ctx.Done():
		t.Fatalf("Run did not return: %v", ctx.Err())
		return nil
	}
}

// within runs f on another goroutine and fails the test if it has not
// returned by ctx's end.
func within(t *testing.T, ctx context.Context, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("%s did not return: %v", what, ctx.Err())
	}
}

// Describe and Snapshot from another goroutine return while an endless sync
// flow holds the scheduler: the source keeps making packs after they return.
func TestObserveEndlessSyncFlow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), observeDeadline)
	defer cancel()
	e := startEndless(t, ctx)
	var text string
	var snap runlet.Snapshot
	var err error
	within(t, ctx, "Describe, Snapshot and Err", func() {
		text = e.r.Describe()
		snap = e.r.Snapshot()
		err = e.r.Err()
	})
	after := e.made.Load()
	e.waitPast(t, ctx, after) // still running after the observers returned
	for _, c := range []string{"#gen", "#inc", "#dbl", "#drop"} {
		if !strings.Contains(text, c) {
			t.Errorf("Describe does not name %s:\n%s", c, text)
		}
	}
	if snap.State != "running" || len(snap.Chips) != 4 {
		t.Errorf("Snapshot state %q with %d chips, want running with 4", snap.State, len(snap.Chips))
	}
	if err != nil {
		t.Errorf("Err while running = %v, want nil", err)
	}
	e.r.Abort(nil)
	if err := e.wait(t, ctx); !errors.Is(err, runlet.ErrAborted) {
		t.Fatalf("Run = %v, want ErrAborted", err)
	}
	if !errors.Is(e.r.Err(), runlet.ErrAborted) {
		t.Errorf("Err after Abort = %v, want ErrAborted", e.r.Err())
	}
}

// Abort, Detach and the end of Run's ctx, from another goroutine, stop an
// endless sync flow within a bounded number of packs.
func TestStopEndlessSyncFlow(t *testing.T) {
	cases := []struct {
		name string
		stop func(e *endlessFlow, cancelRun context.CancelFunc) string // what went wrong
		want error
	}{
		{"abort", func(e *endlessFlow, _ context.CancelFunc) string {
			e.r.Abort(errors.New("enough"))
			return ""
		}, runlet.ErrAborted},
		{"detach", func(e *endlessFlow, _ context.CancelFunc) string {
			if s := e.r.Detach(); s.State != "detached" || len(s.Chips) != 4 {
				return fmt.Sprintf("Detach returned state %q with %d chips", s.State, len(s.Chips))
			}
			return ""
		}, runlet.ErrDetached},
		{"cancel", func(_ *endlessFlow, cancelRun context.CancelFunc) string {
			cancelRun()
			return ""
		}, context.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), observeDeadline)
			defer cancel()
			runCtx, cancelRun := context.WithCancel(ctx)
			defer cancelRun()
			e := startEndless(t, runCtx)
			var bad string
			within(t, ctx, tc.name, func() { bad = tc.stop(e, cancelRun) })
			if bad != "" {
				t.Error(bad)
			}
			// The request is made once the call has returned: count from here.
			at := e.made.Load()
			err := e.wait(t, ctx)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Run = %v, want %v", err, tc.want)
			}
			if n := e.made.Load() - at; n > maxStopPacks {
				t.Errorf("the source made %d packs after the stop request, want at most %d", n, maxStopPacks)
			}
		})
	}
}

// A sync chip that calls Describe, Snapshot and Err completes: the flow ends
// normally with every value, and every call saw the chips.
func TestObserveFromSyncChip(t *testing.T) {
	t.Run("completes", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), observeDeadline)
		defer cancel()
		observeFromTap(t, ctx)
	})
	if t.Failed() {
		return // the bubble below would hang instead of failing
	}
	// On the scheduler's own goroutine an observer must not wait for the
	// scheduler: in a synctest bubble no fake time passes during Run (an
	// observer that waited would block, and the clock would move).
	t.Run("never waits", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			observeFromTap(t, context.Background())
			if waited := time.Since(start); waited != 0 {
				t.Errorf("observers inside a sync chip waited %v of fake time", waited)
			}
		})
	})
}

// observeFromTap runs in -> tap -> out, where tap observes the runlet for
// every value.
func observeFromTap(t *testing.T, ctx context.Context) {
	p := pool.New(pk, 16)
	a, b := ip(p, "a"), ip(p, "b")
	var r *runlet.Runlet
	var s sink[int]
	var calls, named int
	tap := chip.Tap("tap", a, b, func(int) error {
		calls++
		text := r.Describe()
		snap := r.Snapshot()
		if strings.Contains(text, "#tap") && len(snap.Chips) == 3 && r.Err() == nil {
			named++
		}
		return nil
	})
	const n = 3000
	r = newRunlet(source("in", a, ints(n)), tap, s.output("out", b))
	var err error
	within(t, ctx, "Run", func() { err = r.Run(ctx) })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	equal(t, "values", s.values(), ints(n))
	if calls != n || named != n {
		t.Errorf("%d calls, %d saw the chips; want %d each", calls, named, n)
	}
	if got := r.Snapshot(); got.State != "ended" {
		t.Errorf("state after Run %q, want ended", got.State)
	}
}

// An async chip whose process calls Describe, Snapshot and Err completes.
func TestObserveFromAsyncChip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), observeDeadline)
	defer cancel()
	p := pool.New(pk, 16)
	a, b := ip(p, "a"), ip(p, "b")
	var r *runlet.Runlet
	var s sink[int]
	var calls, named atomic.Int64
	obs := chip.New(chip.Config[int, int, struct{}]{
		Key: "obs", Prev: a, Next: b, Async: true, Concurrency: 2,
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			calls.Add(1)
			if strings.Contains(r.Describe(), "#obs") && len(r.Snapshot().Chips) == 3 && r.Err() == nil {
				named.Add(1)
			}
			return in, nil
		},
		Ordered: true,
	})
	const n = 500
	r = newRunlet(source("in", a, ints(n)), obs, s.output("out", b))
	var err error
	within(t, ctx, "Run", func() { err = r.Run(ctx) })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	equal(t, "values", s.values(), ints(n))
	if calls.Load() < n || named.Load() != calls.Load() {
		t.Errorf("%d of %d observations saw the chips, for %d values", named.Load(), calls.Load(), n)
	}
}

// Detach and Abort called from inside a sync chip, on the scheduler's own
// goroutine, return at once and stop the flow within a bounded number of
// packs.
func TestStopFromSyncChip(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(r *runlet.Runlet) error
		want error
	}{
		{"detach", func(r *runlet.Runlet) error {
			if s := r.Detach(); s.State != "detached" || len(s.Chips) != 3 {
				return fmt.Errorf("Detach returned state %q with %d chips", s.State, len(s.Chips))
			}
			return nil
		}, runlet.ErrDetached},
		{"abort", func(r *runlet.Runlet) error { r.Abort(nil); return nil }, runlet.ErrAborted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), observeDeadline)
			defer cancel()
			const stopAt = 100
			p := pool.New(pk, 16)
			a, b := ip(p, "a"), ip(p, "b")
			var r *runlet.Runlet
			var s sink[int]
			tap := chip.Tap("tap", a, b, func(v int) error {
				if v == stopAt {
					if err := tc.stop(r); err != nil {
						t.Error(err) // Run still ends with tc.want
					}
				}
				return nil
			})
			r = newRunlet(source("in", a, ints(1_000_000)), tap, s.output("out", b))
			var err error
			within(t, ctx, "Run", func() { err = r.Run(ctx) })
			if !errors.Is(err, tc.want) {
				t.Fatalf("Run = %v, want %v", err, tc.want)
			}
			if n := len(s.values()); n < stopAt/2 || n > stopAt+maxStopPacks {
				t.Errorf("%d values arrived, want about %d", n, stopAt)
			}
		})
	}
}
