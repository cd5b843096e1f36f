package runlet_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// swallowEnd passes data and turns END into SKIP: downstream never ends.
func swallowEnd(key string, prev, next *pool.Pend[int]) chip.Chip {
	return chip.New(chip.Config[int, int, struct{}]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				return hints.SkipOf[int](), nil
			}
			return in, nil
		},
	})
}

// A flow that can no longer move makes Run return ErrStalled with the state
// that shows who waits for what, instead of hanging.
func TestStallIsReported(t *testing.T) {
	p := pool.New(pk, 4)
	a, b := ip(p, "a"), ip(p, "b")
	var s sink[int]
	r := newRunlet(source("in", a, ints(3)), swallowEnd("lost-end", a, b), s.output("out", b))
	err := r.Run(context.Background())
	var se *runlet.StallError
	if !errors.Is(err, runlet.ErrStalled) || !errors.As(err, &se) {
		t.Fatalf("Run = %v, want ErrStalled", err)
	}
	for _, want := range []string{"#in [END]", "#lost-end [] a@default", "#out [] b@default", "pushWake[lost-end]", "pushWake[out]"} {
		if !strings.Contains(se.State, want) {
			t.Errorf("stall state lacks %q:\n%s", want, se.State)
		}
	}
	equal(t, "delivered before the stall", s.values(), []int{1, 2, 3})
	if len(s.Errs) != 1 || !errors.Is(s.Errs[0], runlet.ErrStalled) {
		t.Errorf("output told %v, want the stall error", s.Errs)
	}
}

// A merge of two producers into one consumer without an END regulator: the
// consumer ends at the first END and the flow ends (no stall); with the END
// swallowed instead, the second producer's END never arrives: a stall.
func TestMergeWithoutRegulator(t *testing.T) {
	m := ip(pool.New(pk, 2), "m")
	var s sink[int]
	r := newRunlet(source("a", m, ints(5)), source("b", m, ints(5)), s.output("out", m))
	if err := r.Run(context.Background()); err != nil {
		t.Errorf("Run = %v, want nil: the consumer ended at the first END", err)
	}
}

// Waiting is not stalling: async work in flight, an armed timer, a passive
// handle that may still push, and Pause are all things that can move later.
func TestWaitingIsNotAStall(t *testing.T) {
	t.Run("async work in flight", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := pool.New(pk, 2)
			a, b := ip(p, "a"), ip(p, "b")
			slow := chip.New(chip.Config[int, int, struct{}]{
				Key: "slow", Prev: a, Next: b, Async: true,
				Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					time.Sleep(time.Hour)
					return in, nil
				},
			})
			var s sink[int]
			mustRun(t, newRunlet(source("in", a, ints(2)), slow, s.output("out", b)))
		})
	})
	t.Run("armed timer", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// END is lost upstream, so the group [1 2] waits for its timer:
			// not a stall. Once the timer has flushed it, nothing is armed
			// and no END will ever come: a stall, exactly an hour in.
			p := pool.New(pk, 8)
			a, b, c := ip(p, "a"), ip(p, "b"), pool.NewPend[[]int](p, "c")
			var s sink[[]int]
			r := newRunlet(source("in", a, ints(2)), swallowEnd("lost-end", a, b),
				groups("g", b, c, 10, time.Hour), s.output("out", c))
			start := time.Now()
			if err := r.Run(context.Background()); !errors.Is(err, runlet.ErrStalled) {
				t.Fatalf("Run = %v, want ErrStalled", err)
			}
			if d := time.Since(start); d != time.Hour {
				t.Errorf("stall found after %v, want 1h (the timer's wait)", d)
			}
			if got := s.values(); len(got) != 1 || !equalInts(got[0], []int{1, 2}) {
				t.Errorf("groups %v, want [[1 2]]", got)
			}
		})
	})
	t.Run("passive handle", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := pool.New(pk, 2)
			inP, b := ip(p, "in"), ip(p, "b")
			var s sink[int]
			r := newRunlet(pass("p", inP, b), s.output("out", b))
			in, _ := runlet.PendInput(r, inP)
			done := make(chan error)
			go func() { done <- r.Run(context.Background()) }()
			time.Sleep(time.Hour) // nothing to do for an hour: still no stall
			in.PushWait(context.Background(), hints.Data(7))
			in.PushWait(context.Background(), hints.EndOf[int](1))
			if err := <-done; err != nil {
				t.Fatalf("Run = %v, want nil", err)
			}
			equal(t, "output", s.values(), []int{7})
		})
	})
	t.Run("paused", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a := ip(pool.New(pk, 2), "a")
			var s sink[int]
			r := newRunlet(slowSource("in", a, 5), s.output("out", a))
			done := make(chan error)
			go func() { done <- r.Run(context.Background()) }()
			time.Sleep(2500 * time.Microsecond)
			r.Pause()
			time.Sleep(time.Hour)
			r.Resume()
			if err := <-done; err != nil {
				t.Fatalf("Run = %v, want nil", err)
			}
			equal(t, "output", s.values(), ints(5))
		})
	})
}
