package runlet_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

var errBridgeTest = errors.New("bridge test failure")

// bridgeRun runs up and down, each on its own goroutine, and returns their
// Run errors once both have returned.
func bridgeRun(up, down *runlet.Runlet) (upErr, downErr error) {
	return bridgeRunCtx(context.Background(), up, context.Background(), down)
}

func bridgeRunCtx(upCtx context.Context, up *runlet.Runlet, downCtx context.Context, down *runlet.Runlet) (upErr, downErr error) {
	u, d := make(chan error, 1), make(chan error, 1)
	go func() { u <- up.Run(upCtx) }()
	go func() { d <- down.Run(downCtx) }()
	return <-u, <-d
}

// endless is a sync input chip producing 1, 2, 3, ... and never ending.
func endless(key string, next *pool.Pend[int]) chip.Chip {
	return chip.NewInput(key, next, nil, func(_ context.Context, i *int) (hints.Pack[int], error) {
		*i++
		return hints.Data(*i), nil
	})
}

// failAt is a pass-through chip failing with errBridgeTest at value n.
func failAt(key string, prev, next *pool.Pend[int], n int) chip.Chip {
	return chip.Map(key, prev, next, func(v int) (int, error) {
		if v == n {
			return 0, errBridgeTest
		}
		return v, nil
	})
}

// A bridge carries 1000 values and the END, in order, from one runlet to
// another, each running on its own goroutine.
func TestBridgeCarriesValuesInOrder(t *testing.T) {
	for _, capacity := range []int{0, 1, 16} {
		t.Run("", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := runlet.NewBridge[int](capacity)
				a, bp := ip(pool.New(pk, 8), "a"), ip(pool.New(pk, 8), "b") // one pool per runlet
				up := newRunlet(source("src", a, ints(1000)), b.Out("to-down", a))
				var s sink[int]
				down := newRunlet(b.In("from-up", bp), s.output("sink", bp))
				upErr, downErr := bridgeRun(up, down)
				if upErr != nil || downErr != nil {
					t.Fatalf("Run errors: up %v, down %v", upErr, downErr)
				}
				equal(t, "values across the bridge", s.values(), ints(1000))
				if s.Ends != 1 || len(s.Errs) != 0 {
					t.Errorf("sink saw %d ENDs and errors %v, want 1 END and none", s.Ends, s.Errs)
				}
			})
		})
	}
}

// With capacity 4 and a slow downstream, the upstream never runs ahead of
// the downstream by more than the bridge's buffer plus what the two runlets'
// pools (and their chips' batches) may hold: a slow downstream holds the
// upstream back.
func TestBridgeBackpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			n        = 300
			capacity = 4
			limit    = 4 // of each runlet's pool
		)
		a, bp := ip(pool.New(pk, limit), "a"), ip(pool.New(pk, limit), "b") // one pool per runlet
		var produced, consumed, ahead atomic.Int64
		src := chip.NewInput("src", a, nil, func(_ context.Context, i *int) (hints.Pack[int], error) {
			if *i == n {
				return hints.EndOf[int](1), nil
			}
			*i++
			d := produced.Add(1) - consumed.Load()
			for m := ahead.Load(); d > m && !ahead.CompareAndSwap(m, d); m = ahead.Load() {
			}
			return hints.Data(*i), nil
		})
		var got []int
		slow := chip.New(chip.Config[int, struct{}, struct{}]{
			Key: "slow", Prev: bp, Async: true,
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
				if in.Hint == hints.End {
					return hints.EndOf[struct{}](1), nil
				}
				time.Sleep(time.Millisecond)
				got = append(got, in.Value)
				consumed.Add(1)
				return hints.SkipOf[struct{}](), nil
			},
		})
		b := runlet.NewBridge[int](capacity)
		up := newRunlet(src, b.Out("to-down", a))
		down := newRunlet(b.In("from-up", bp), slow)
		start := time.Now()
		if upErr, downErr := bridgeRun(up, down); upErr != nil || downErr != nil {
			t.Fatalf("Run errors: up %v, down %v", upErr, downErr)
		}
		equal(t, "values", got, ints(n))
		// Each pool may be busted by one pack and an async chip holds at
		// most what its prev pend held (limit+1) in its batch: upstream pend
		// + Out's batch, the buffer, In's one pack, downstream pend + the
		// slow chip's batch, and the value being produced.
		bound := int64(2*(limit+1) + capacity + 1 + 2*(limit+1) + 1)
		if m := ahead.Load(); m > bound {
			t.Errorf("the upstream ran %d values ahead of the downstream, more than %d: no backpressure", m, bound)
		} else if m < capacity {
			t.Errorf("the upstream ran only %d values ahead; the buffer of %d never filled (the test measures nothing)", m, capacity)
		} else {
			t.Logf("upstream ahead by at most %d values (bound %d)", m, bound)
		}
		if el := time.Since(start); el < n*time.Millisecond {
			t.Errorf("took %v of fake time, less than the slow chip's %v", el, n*time.Millisecond)
		}
	})
}

// An upstream failure fails the downstream runlet with an error matching
// ErrBridgeUpstream and the upstream's error; both Runs return.
func TestBridgeUpstreamFailureReachesDownstream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := runlet.NewBridge[int](4)
		pu, pd := pool.New(pk, 8), pool.New(pk, 8) // one pool per runlet
		a, bp, c := ip(pu, "a"), ip(pu, "b"), ip(pd, "c")
		up := newRunlet(source("src", a, ints(1000)), failAt("fail", a, bp, 50), b.Out("to-down", bp))
		var s sink[int]
		down := newRunlet(b.In("from-up", c), s.output("sink", c))
		upErr, downErr := bridgeRun(up, down)
		var ce *runlet.ChipError
		if !errors.As(upErr, &ce) || ce.Chip != "fail" || !errors.Is(upErr, errBridgeTest) {
			t.Fatalf("upstream Run: %v, want the fail chip's error", upErr)
		}
		if !errors.Is(downErr, runlet.ErrBridgeUpstream) || !errors.Is(downErr, errBridgeTest) {
			t.Fatalf("downstream Run: %v, want an error matching ErrBridgeUpstream and the original", downErr)
		}
		if !errors.As(downErr, &ce) || ce.Chip != "from-up" {
			t.Errorf("downstream Run: %v, want a ChipError naming the In chip", downErr)
		}
		if errors.Is(downErr, runlet.ErrBridgeDownstream) {
			t.Errorf("downstream Run: %v matches ErrBridgeDownstream", downErr)
		}
		got := s.values()
		equal(t, "values before the failure", got, ints(len(got)))
		if len(got) >= 50 || s.Ends != 0 {
			t.Errorf("sink got %d values and %d ENDs, want fewer than 50 and none", len(got), s.Ends)
		}
		if len(s.Errs) != 1 || !errors.Is(s.Errs[0], runlet.ErrBridgeUpstream) {
			t.Errorf("the downstream sink was told %v, want the bridge's error", s.Errs)
		}
	})
}

// stuckAfter is an async output chip that takes n values, then waits for
// its ctx: a downstream that stops taking anything.
func stuckAfter(key string, prev *pool.Pend[int], n int64, seen *atomic.Int64) chip.Chip {
	return chip.New(chip.Config[int, struct{}, struct{}]{
		Key: key, Prev: prev, Async: true,
		Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
			if seen.Add(1) > n {
				<-ctx.Done()
				return hints.Pack[struct{}]{}, ctx.Err()
			}
			return hints.SkipOf[struct{}](), nil
		},
	})
}

// The end of the upstream's ctx, its Abort and its Detach reach the
// downstream too, each with the upstream's own error, while the
// downstream's In chip is idle (its next pend is full).
func TestBridgeUpstreamStopReachesDownstream(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(up *runlet.Runlet, cancel context.CancelFunc)
		want error
	}{
		{"ctx", func(_ *runlet.Runlet, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"abort", func(up *runlet.Runlet, _ context.CancelFunc) { up.Abort(errBridgeTest) }, errBridgeTest},
		{"detach", func(up *runlet.Runlet, _ context.CancelFunc) { up.Detach() }, runlet.ErrDetached},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := runlet.NewBridge[int](4)
				a, bp := ip(pool.New(pk, 8), "a"), ip(pool.New(pk, 8), "b") // one pool per runlet
				up := newRunlet(endless("src", a), b.Out("to-down", a))
				var seen atomic.Int64
				down := newRunlet(b.In("from-up", bp), stuckAfter("sink", bp, 10, &seen))
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				u, d := make(chan error, 1), make(chan error, 1)
				go func() { u <- up.Run(ctx) }()
				go func() { d <- down.Run(context.Background()) }()
				synctest.Wait() // everything waits for the stuck sink
				if seen.Load() <= 10 {
					t.Fatalf("the sink saw %d values before the stop, want more than 10", seen.Load())
				}
				tc.stop(up, cancel)
				upErr, downErr := <-u, <-d
				if !errors.Is(upErr, tc.want) {
					t.Errorf("upstream Run: %v, want %v", upErr, tc.want)
				}
				if !errors.Is(downErr, runlet.ErrBridgeUpstream) || !errors.Is(downErr, tc.want) {
					t.Errorf("downstream Run: %v, want ErrBridgeUpstream and %v", downErr, tc.want)
				}
				var ce *runlet.ChipError
				if !errors.As(downErr, &ce) || ce.Chip != "from-up" {
					t.Errorf("downstream Run: %v, want a ChipError naming the In chip", downErr)
				}
			})
		})
	}
}

// A downstream failure stops an upstream whose Out chip is idle, waiting
// for packs from a source that produces nothing more.
func TestBridgeDownstreamFailureReachesIdleUpstream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := runlet.NewBridge[int](4)
		pu, pd := pool.New(pk, 8), pool.New(pk, 8) // one pool per runlet
		a, bp, c := ip(pu, "a"), ip(pd, "b"), ip(pd, "c")
		gen := chip.Generate("gen", a, func(ctx context.Context, yield func(int) bool) error {
			for i := 1; i <= 5; i++ {
				if !yield(i) {
					return nil
				}
			}
			<-ctx.Done() // a source with nothing more to say, for now
			return ctx.Err()
		})
		up := newRunlet(gen, b.Out("to-down", a))
		release := make(chan struct{})
		gate := chip.New(chip.Config[int, int, struct{}]{
			Key: "gate", Prev: bp, Next: c, Async: true,
			Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				if in.Hint == hints.End {
					return in, nil
				}
				if in.Value == 5 {
					<-release // fail only once the upstream is idle
					return in, errBridgeTest
				}
				return in, nil
			},
		})
		var s sink[int]
		down := newRunlet(b.In("from-up", bp), gate, s.output("sink", c))
		u, d := make(chan error, 1), make(chan error, 1)
		go func() { u <- up.Run(context.Background()) }()
		go func() { d <- down.Run(context.Background()) }()
		synctest.Wait()
		close(release)
		upErr, downErr := <-u, <-d
		if !errors.Is(downErr, errBridgeTest) {
			t.Fatalf("downstream Run: %v, want the gate's error", downErr)
		}
		if !errors.Is(upErr, runlet.ErrBridgeDownstream) || !errors.Is(upErr, errBridgeTest) {
			t.Fatalf("upstream Run: %v, want ErrBridgeDownstream and the original", upErr)
		}
		var ce *runlet.ChipError
		if !errors.As(upErr, &ce) || ce.Chip != "to-down" {
			t.Errorf("upstream Run: %v, want a ChipError naming the Out chip", upErr)
		}
		// The gate is async: values sharing its batch with 5 are dropped.
		got := s.values()
		if len(got) > 4 {
			t.Errorf("%d values delivered past the failing gate", len(got))
		}
		equal(t, "values before the failure", got, ints(len(got)))
	})
}

// A downstream failure fails the upstream runlet, which was waiting for
// room in the bridge, with an error matching ErrBridgeDownstream and the
// downstream's error; both Runs return.
func TestBridgeDownstreamFailureReachesUpstream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := runlet.NewBridge[int](4)
		pu, pd := pool.New(pk, 8), pool.New(pk, 8) // one pool per runlet
		a, bp, c := ip(pu, "a"), ip(pd, "b"), ip(pd, "c")
		up := newRunlet(endless("src", a), b.Out("to-down", a))
		var s sink[int]
		down := newRunlet(b.In("from-up", bp), failAt("fail", bp, c, 10), s.output("sink", c))
		upErr, downErr := bridgeRun(up, down)
		var ce *runlet.ChipError
		if !errors.As(downErr, &ce) || ce.Chip != "fail" || !errors.Is(downErr, errBridgeTest) {
			t.Fatalf("downstream Run: %v, want the fail chip's error", downErr)
		}
		if !errors.Is(upErr, runlet.ErrBridgeDownstream) || !errors.Is(upErr, errBridgeTest) {
			t.Fatalf("upstream Run: %v, want an error matching ErrBridgeDownstream and the original", upErr)
		}
		if !errors.As(upErr, &ce) || ce.Chip != "to-down" {
			t.Errorf("upstream Run: %v, want a ChipError naming the Out chip", upErr)
		}
		if errors.Is(upErr, runlet.ErrBridgeUpstream) {
			t.Errorf("upstream Run: %v matches ErrBridgeUpstream", upErr)
		}
		equal(t, "values before the failure", s.values(), ints(9))
	})
}

// A downstream whose flow ends before the bridge's END (a Take) stops the
// upstream with ErrBridgeDownstream, while the downstream's Run succeeds.
func TestBridgeDownstreamEndStopsUpstream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := runlet.NewBridge[int](4)
		pu, pd := pool.New(pk, 8), pool.New(pk, 8) // one pool per runlet
		a, bp, c := ip(pu, "a"), ip(pd, "b"), ip(pd, "c")
		up := newRunlet(endless("src", a), b.Out("to-down", a))
		var s sink[int]
		down := newRunlet(b.In("from-up", bp), chip.Take("take", bp, c, 5), s.output("sink", c))
		upErr, downErr := bridgeRun(up, down)
		if downErr != nil {
			t.Fatalf("downstream Run: %v", downErr)
		}
		if !errors.Is(upErr, runlet.ErrBridgeDownstream) {
			t.Fatalf("upstream Run: %v, want ErrBridgeDownstream", upErr)
		}
		equal(t, "values", s.values(), ints(5))
	})
}

// Once the upstream has passed END on, its later failure does not reach the
// downstream: the stream it carried is complete.
func TestBridgeCompleteStreamSurvivesLaterUpstreamFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := runlet.NewBridge[int](16)
		pu, pd := pool.New(pk, 8), pool.New(pk, 8) // one pool per runlet
		a, x, bp := ip(pu, "a"), ip(pu, "x"), ip(pd, "b")
		// Branch 1 ends quickly through the bridge; branch 2 fails later.
		late := chip.New(chip.Config[int, struct{}, struct{}]{
			Key: "late", Prev: x, Async: true,
			Process: func(context.Context, hints.Pack[int], *struct{}) (hints.Pack[struct{}], error) {
				time.Sleep(time.Second) // long after the bridge's END
				return hints.Pack[struct{}]{}, errBridgeTest
			},
		})
		up := newRunlet(
			source("src", a, ints(3)), b.Out("to-down", a),
			source("src2", x, ints(1)), late,
		)
		var s sink[int]
		down := newRunlet(b.In("from-up", bp), s.output("sink", bp))
		upErr, downErr := bridgeRun(up, down)
		if !errors.Is(upErr, errBridgeTest) {
			t.Fatalf("upstream Run: %v, want the late failure", upErr)
		}
		if downErr != nil {
			t.Fatalf("downstream Run: %v, want nil", downErr)
		}
		equal(t, "values", s.values(), ints(3))
	})
}

// A Bridge's chips bind once: a second runlet using the same Out fails its
// Attach.
func TestBridgeBindsOnce(t *testing.T) {
	b := runlet.NewBridge[int](1)
	a, bp := ip(pool.New(pk, 8), "a"), ip(pool.New(pk, 8), "b")
	out := b.Out("to-down", a)
	if err := newRunlet(source("src", a, ints(1)), out).Attach(); err != nil {
		t.Fatalf("first Attach: %v", err)
	}
	// The second runlet shares a's pool with the first: out names pend a.
	err := newRunlet(source("src", a, ints(1)), out).Attach()
	if err == nil || !contains(err.Error(), "already bound") {
		t.Fatalf("second Attach: %v, want an error saying the chip is already bound", err)
	}
	if err := newRunlet(b.In("from-up", bp), new(sink[int]).output("sink", bp)).Attach(); err != nil {
		t.Fatalf("the In side's first Attach: %v", err)
	}
}
