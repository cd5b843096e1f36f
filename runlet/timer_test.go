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

// groups gathers ints into slices of up to size, flushing a partial group
// when maxWait has passed since its first value (a Timer chip).
func groups(key string, prev *pool.Pend[int], next *pool.Pend[[]int], size int, maxWait time.Duration) chip.Chip {
	type state struct {
		buf   []int
		first time.Time
	}
	return chip.New(chip.Config[int, []int, state]{
		Key: key, Prev: prev, Next: next,
		Timer: func(s *state) (time.Duration, bool) {
			return maxWait - time.Since(s.first), len(s.buf) > 0
		},
		Process: func(_ context.Context, in hints.Pack[int], s *state) (hints.Pack[[]int], error) {
			flush := func(h hints.Hint) hints.Pack[[]int] {
				out := hints.Pack[[]int]{Value: s.buf, Hint: h}
				s.buf = nil
				return out
			}
			switch in.Hint {
			case hints.Skip: // time is up
				if len(s.buf) == 0 {
					return hints.SkipOf[[]int](), nil
				}
				return flush(hints.None), nil
			case hints.End:
				if len(s.buf) > 0 {
					return flush(hints.Redo), nil
				}
				return hints.EndOf[[]int](1), nil
			}
			if len(s.buf) == 0 {
				s.first = time.Now()
			}
			s.buf = append(s.buf, in.Value)
			if len(s.buf) == size {
				return flush(hints.None), nil
			}
			return hints.SkipOf[[]int](), nil
		},
	})
}

// groupsPends declares the pends of a passive groups runlet in p: ints in
// "in", groups out of "out".
func groupsPends(p *pool.Pool) (*pool.Pend[int], *pool.Pend[[]int]) {
	return ip(p, "in"), pool.NewPend[[]int](p, "out")
}

// A Timer chip flushes a partial group once its wait runs out, with no new
// input, at exactly the fake time asked for.
func TestTimerFlushesIdlePartialGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inP, outP := groupsPends(pool.New(pk, 100))
		r := newRunlet(groups("g", inP, outP, 3, 200*time.Millisecond))
		in, _ := runlet.PendInput(r, inP)
		out, _ := runlet.PendOutput(r, outP)
		done := make(chan error)
		go func() { done <- r.Run(context.Background()) }()
		ctx := context.Background()
		start := time.Now()
		for _, v := range []int{1, 2, 3, 4, 5} { // one full group, then 4 5 wait
			if err := in.PushWait(ctx, hints.Data(v)); err != nil {
				t.Fatal(err)
			}
		}
		p, err := out.PullWait(ctx)
		if err != nil || !equalInts(p.Value, []int{1, 2, 3}) || time.Since(start) != 0 {
			t.Fatalf("first group %v at %v (%v), want [1 2 3] at once", p.Value, time.Since(start), err)
		}
		p, err = out.PullWait(ctx)
		if err != nil || !equalInts(p.Value, []int{4, 5}) {
			t.Fatalf("second group %v (%v), want [4 5]", p.Value, err)
		}
		if d := time.Since(start); d != 200*time.Millisecond {
			t.Errorf("partial group flushed after %v, want 200ms", d)
		}
		// A value after an idle time starts a new wait; END flushes it early.
		time.Sleep(time.Second)
		in.PushWait(ctx, hints.Data(6))
		in.PushWait(ctx, hints.EndOf[int](1))
		p, _ = out.PullWait(ctx)
		end, _ := out.PullWait(ctx)
		if !equalInts(p.Value, []int{6}) || end.Hint != hints.End {
			t.Errorf("after END got %v then %v, want [6] then END", p.Value, end.Hint)
		}
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// A runlet stopped while a timer is pending leaves no goroutine behind
// (synctest fails the test if one is left blocked).
func TestPendingTimerStoppedOnAbort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inP, outP := groupsPends(pool.New(pk, 100))
		r := newRunlet(groups("g", inP, outP, 10, time.Hour))
		in, _ := runlet.PendInput(r, inP)
		if _, err := runlet.PendOutput(r, outP); err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- r.Run(context.Background()) }()
		in.PushWait(context.Background(), hints.Data(1)) // arms a 1h timer
		time.Sleep(time.Minute)
		if d := r.Describe(); !strings.Contains(d, `#g [] in@default >> out@default`) {
			t.Errorf("Describe:\n%s", d)
		}
		r.Abort(nil)
		if err := <-done; !errors.Is(err, runlet.ErrAborted) {
			t.Errorf("Run = %v, want ErrAborted", err)
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A deadline from an earlier wait never fires for a group started later:
// Timer is asked afresh whenever input runs out.
func TestTimerDeadlineDoesNotGoStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inP, outP := groupsPends(pool.New(pk, 100))
		r := newRunlet(groups("g", inP, outP, 3, 200*time.Millisecond))
		in, _ := runlet.PendInput(r, inP)
		out, _ := runlet.PendOutput(r, outP)
		done := make(chan error)
		go func() { done <- r.Run(context.Background()) }()
		ctx, start := context.Background(), time.Now()
		in.PushWait(ctx, hints.Data(1)) // group [1] waits until 200ms
		time.Sleep(10 * time.Millisecond)
		r.Pause()
		time.Sleep(290 * time.Millisecond) // past the old deadline, paused
		for _, v := range []int{2, 3, 4} {
			in.PushWait(ctx, hints.Data(v))
		}
		r.Resume() // [1 2 3] goes out now; [4] starts a group at 300ms
		if p, _ := out.PullWait(ctx); !equalInts(p.Value, []int{1, 2, 3}) || time.Since(start) != 300*time.Millisecond {
			t.Fatalf("first group %v at %v, want [1 2 3] at 300ms", p.Value, time.Since(start))
		}
		if p, _ := out.PullWait(ctx); !equalInts(p.Value, []int{4}) || time.Since(start) != 500*time.Millisecond {
			t.Errorf("second group %v at %v, want [4] at 500ms", p.Value, time.Since(start))
		}
		r.Abort(nil)
		<-done
	})
}
