package runlet_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
	"github.com/stretchr/testify/require"
)

// scaler is the state of a Map-like chip whose factor a cast changes.
type scaler struct {
	factor int
	seen   int           // process calls on DATA
	casts  int           // casts that ran
	active *atomic.Int32 // process calls running now (shared by the test)
	gate   chan struct{} // if set, a call on the value 1 waits for it to close
}

// scaleChip multiplies by the state's factor (2 at first) and counts.
func scaleChip(key string, prev, next *pool.Pend[int], async bool, n int, active *atomic.Int32, gate chan struct{}) chip.Chip {
	if active == nil {
		active = new(atomic.Int32)
	}
	return chip.New(chip.Config[int, int, scaler]{
		Key: key, Prev: prev, Next: next, Async: async, Concurrency: n, Ordered: true,
		State: func() scaler { return scaler{factor: 2, active: active, gate: gate} },
		Process: func(_ context.Context, in hints.Pack[int], s *scaler) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				return in, nil
			}
			s.active.Add(1)
			defer s.active.Add(-1)
			if in.Value == 1 && s.gate != nil {
				<-s.gate
			}
			if !async {
				s.seen++ // an async chip's workers share the state: only sync chips count here
			}
			return hints.Data(in.Value * s.factor), nil
		},
	})
}

// castFlow returns r over chips with a feed into in and a drain of out.
func castFlow(t *testing.T, in, out *pool.Pend[int], chips ...chip.Chip) (*runlet.Runlet, *runlet.Input[int], *runlet.Output[int]) {
	t.Helper()
	r := runlet.New(chips, runlet.Config{})
	feed, err := runlet.PendInput(r, in)
	require.NoError(t, err)
	o, err := runlet.PendOutput(r, out)
	require.NoError(t, err)
	return r, feed, o
}

func pullN(t *testing.T, o *runlet.Output[int], n int) []int {
	t.Helper()
	var got []int
	for range n {
		pk, err := o.PullWait(context.Background())
		require.NoError(t, err)
		require.Equal(t, hints.None, pk.Hint, "got %v", pk)
		got = append(got, pk.Value)
	}
	return got
}

func pushAll(t *testing.T, feed *runlet.Input[int], vs ...int) {
	t.Helper()
	for _, v := range vs {
		require.NoError(t, feed.PushWait(context.Background(), hints.Data(v)))
	}
}

// finish pushes END, pulls it and checks that Run returned nil.
func finish(t *testing.T, feed *runlet.Input[int], o *runlet.Output[int], done <-chan error) {
	t.Helper()
	require.NoError(t, feed.PushWait(context.Background(), hints.EndOf[int](1)))
	pk, err := o.PullWait(context.Background())
	require.NoError(t, err)
	require.Equal(t, hints.End, pk.Hint)
	require.NoError(t, <-done)
}

func runAsync(r *runlet.Runlet) <-chan error {
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	return done
}

// TestCastChangesFactorMidStream changes a running chip's factor with a
// Cast: the values before are scaled by the old factor, those after by the
// new one, and a Call reads what the chip counted.
func TestCastChangesFactorMidStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("default", 16)
		in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
		r, feed, o := castFlow(t, in, out, scaleChip("scale", in, out, false, 0, nil, nil))
		done := runAsync(r)
		pushAll(t, feed, 1, 2, 3)
		require.Equal(t, []int{2, 4, 6}, pullN(t, o, 3))
		require.NoError(t, runlet.Cast(r, "scale", func(s *scaler) { s.factor = 10 }))
		pushAll(t, feed, 4, 5)
		require.Equal(t, []int{40, 50}, pullN(t, o, 2))
		seen, err := runlet.Call(context.Background(), r, "scale", func(s *scaler) (int, error) { return s.seen, nil })
		require.NoError(t, err)
		require.Equal(t, 5, seen)
		_, err = runlet.Call(context.Background(), r, "scale", func(s *scaler) (int, error) { return 0, errors.New("mine") })
		require.EqualError(t, err, "mine", "the function's own error comes back as it is")
		finish(t, feed, o, done)
	})
}

// TestCastBeforeRun queues a Cast before Run, which runs before the first
// process call, and gives up a Call whose ctx ends before Run: its function
// never runs.
func TestCastBeforeRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("default", 16)
		in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
		r, feed, o := castFlow(t, in, out, scaleChip("scale", in, out, false, 0, nil, nil))
		require.NoError(t, runlet.Cast(r, "scale", func(s *scaler) { s.factor = 3 }))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		ran := false
		_, err := runlet.Call(ctx, r, "scale", func(s *scaler) (int, error) { ran = true; return 0, nil })
		require.ErrorIs(t, err, context.DeadlineExceeded)
		var ce *runlet.CastError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "scale", ce.Chip)
		done := runAsync(r)
		pushAll(t, feed, 1, 2)
		require.Equal(t, []int{3, 6}, pullN(t, o, 2))
		finish(t, feed, o, done)
		require.False(t, ran, "a Call given up before its function started never runs it")
	})
}

// TestCastNeverConcurrent checks that casts never run while a process call
// of their chip does: a sync chip, and an async chip with 4 workers, cast to
// 200 times in between the values pushed, while batches are out. The cast writes the factor that process
// calls read without a lock (the race detector would see an overlap), and
// counts the process calls running when it runs (must be 0). The chip keeps
// order, so the factors of its outputs never go down: a batch handed out
// after a cast sees it, one handed out before had finished before it ran.
func TestCastNeverConcurrent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		async bool
		n     int
	}{{"sync", false, 0}, {"async4", true, 4}} {
		t.Run(tc.name, func(t *testing.T) {
			const values, casts = 3000, 200
			p := pool.New("default", 64)
			in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
			active := new(atomic.Int32)
			var overlaps atomic.Int32
			r, feed, o := castFlow(t, in, out, scaleChip("scale", in, out, tc.async, tc.n, active, nil))
			done := runAsync(r)
			var wg sync.WaitGroup
			wg.Go(func() { // the casts go in between the pushes, while batches are out
				for v := range values {
					require.NoError(t, feed.PushWait(context.Background(), hints.Data(v+1)))
					if v%(values/casts) != 0 {
						continue
					}
					require.NoError(t, runlet.Cast(r, "scale", func(s *scaler) {
						if s.active.Load() != 0 {
							overlaps.Add(1)
						}
						s.factor++
						s.casts++
					}))
				}
			})
			got := pullN(t, o, values)
			wg.Wait()
			ran, err := runlet.Call(context.Background(), r, "scale", func(s *scaler) (int, error) { return s.casts, nil })
			require.NoError(t, err)
			require.Equal(t, casts, ran, "casts run in order, before a later Call")
			finish(t, feed, o, done)
			require.Zero(t, overlaps.Load(), "a cast ran during a process call")
			last := 0
			for i, v := range got {
				require.Zero(t, v%(i+1), "output %d (%d) is not its input times a factor", i, v)
				f := v / (i + 1)
				require.GreaterOrEqual(t, f, last, "output %d: factor went down", i)
				require.LessOrEqual(t, f, 2+casts)
				last = f
			}
		})
	}
}

// TestCastHoldsBackAsync queues a Call to an async chip with 2 workers while
// one of its calls is in flight: the Call waits for that call to return, and
// the chip hands out no new batch meanwhile (the next value, though a worker
// is free, is not processed before the Call has run).
func TestCastHoldsBackAsync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("default", 16)
		in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
		gate := make(chan struct{})
		var calls atomic.Int32
		active := new(atomic.Int32)
		r, feed, o := castFlow(t, in, out, scaleChip("slow", in, out, true, 2, active, gate))
		done := runAsync(r)
		pushAll(t, feed, 1)
		synctest.Wait()
		require.Equal(t, int32(1), active.Load(), "the call on 1 waits for the gate")
		got := make(chan int32, 1)
		go func() {
			n, err := runlet.Call(context.Background(), r, "slow", func(s *scaler) (int32, error) {
				calls.Add(1)
				s.factor = 5
				return s.active.Load(), nil
			})
			require.NoError(t, err)
			got <- n
		}()
		synctest.Wait()
		pushAll(t, feed, 2)
		synctest.Wait()
		require.Equal(t, int32(1), active.Load(), "no batch is handed out while a Call waits")
		require.Zero(t, calls.Load(), "the Call waits for the call in flight")
		close(gate)
		require.Zero(t, <-got, "the Call ran with no process call in flight")
		require.Equal(t, []int{2, 10}, pullN(t, o, 2), "1 was scaled before the Call, 2 after")
		finish(t, feed, o, done)
	})
}

// TestCallFailsOnRestart fails the Calls pending on a chip as its restart
// does: the pending Call gets ErrRestarted, the pending Cast is dropped and
// counted, and neither function ever runs.
func TestCallFailsOnRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("default", 16)
		in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
		gate := make(chan struct{})
		r, feed, o := castFlow(t, in, out, scaleChip("slow", in, out, true, 1, nil, gate))
		done := runAsync(r)
		pushAll(t, feed, 1)
		synctest.Wait() // the call on 1 is in flight, waiting for the gate
		var ran atomic.Int32
		errc := make(chan error, 1)
		go func() {
			_, err := runlet.Call(context.Background(), r, "slow", func(s *scaler) (int, error) { ran.Add(1); return 0, nil })
			errc <- err
		}()
		require.NoError(t, runlet.Cast(r, "slow", func(s *scaler) { ran.Add(1) }))
		synctest.Wait()
		runlet.FailCalls(r, "slow", runlet.ErrRestarted)
		err := <-errc
		require.ErrorIs(t, err, runlet.ErrRestarted)
		require.EqualError(t, err, `runlet: call to chip "slow": chip restarted`)
		snap := r.Snapshot()
		require.Equal(t, uint64(1), snap.Chips[0].CastsDropped)
		close(gate)
		require.Equal(t, []int{2}, pullN(t, o, 1))
		finish(t, feed, o, done)
		require.Zero(t, ran.Load(), "a failed Call's and a dropped Cast's functions never run")
	})
}

// TestCastAfterEnd casts to a chip that has ended (its flow is done while
// another flow of the runlet runs) and to a runlet that has stopped.
func TestCastAfterEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("default", 16)
		nums, doubled := pool.NewPend[int](p, "nums"), pool.NewPend[int](p, "doubled")
		in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
		var kept []int
		r, feed, o := castFlow(t, in, out,
			chip.FromSlice("src", nums, []int{1, 2}),
			scaleChip("double", nums, doubled, false, 0, nil, nil),
			chip.Collect("keep", doubled, &kept),
			scaleChip("scale", in, out, false, 0, nil, nil))
		done := runAsync(r)
		synctest.Wait()
		require.Equal(t, []int{2, 4}, kept)
		_, err := runlet.Call(context.Background(), r, "double", func(s *scaler) (int, error) { return s.seen, nil })
		require.ErrorIs(t, err, runlet.ErrChipEnded)
		require.EqualError(t, err, `runlet: call to chip "double": chip has ended`)
		require.NoError(t, runlet.Cast(r, "double", func(s *scaler) { s.factor = 0 }))
		require.Equal(t, uint64(1), chipSnap(t, r, "double").CastsDropped, "a cast to an ended chip is dropped and counted")
		finish(t, feed, o, done)
		_, err = runlet.Call(context.Background(), r, "scale", func(s *scaler) (int, error) { return s.seen, nil })
		require.ErrorIs(t, err, runlet.ErrStopped)
		require.EqualError(t, err, `runlet: call to chip "scale": runlet has stopped`)
		require.ErrorIs(t, runlet.Cast(r, "scale", func(s *scaler) {}), runlet.ErrStopped)
	})
}

func chipSnap(t *testing.T, r *runlet.Runlet, key string) runlet.ChipSnapshot {
	t.Helper()
	for _, c := range r.Snapshot().Chips {
		if c.Key == key {
			return c
		}
	}
	t.Fatalf("no chip %q in the snapshot", key)
	return runlet.ChipSnapshot{}
}

// TestCastBadRequests checks the errors of a request that cannot run: a
// state of another type, an unknown key, a nil function, a chip with a
// state of its own (a sub-runlet). None of them reaches the chip.
func TestCastBadRequests(t *testing.T) {
	p := pool.New("default", 16)
	in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
	r, _, _ := castFlow(t, in, out, scaleChip("scale", in, out, false, 0, nil, nil))
	err := runlet.Cast(r, "scale", func(s *int) {})
	require.EqualError(t, err, `runlet: cast to chip "scale": state type mismatch: the chip's state is runlet_test.scaler, the function takes *int`)
	_, err = runlet.Call(context.Background(), r, "scale", func(s *string) (int, error) { return 0, nil })
	require.EqualError(t, err, `runlet: call to chip "scale": state type mismatch: the chip's state is runlet_test.scaler, the function takes *string`)
	err = runlet.Cast(r, "sacle", func(s *scaler) {})
	require.EqualError(t, err, `runlet: cast to chip "sacle": no chip "sacle" in the runlet (did you mean "scale"?)`)
	require.ErrorContains(t, runlet.Cast[scaler](r, "scale", nil), "nil function")
	var ce *runlet.CastError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "cast", ce.Op)

	build := func() (*runlet.Runlet, *runlet.Input[int], *runlet.Output[int], error) {
		return nil, nil, nil, errors.New("not built")
	}
	sub := runlet.New([]chip.Chip{runlet.SubRunlet("inner", pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b"), build)}, runlet.Config{})
	err = runlet.Cast(sub, "inner", func(s *scaler) {})
	require.ErrorContains(t, err, `cast to chip "inner": state type mismatch: the chip's state is runlet.subState[int,int]`)
}

// TestCastPanic checks that a panic in a Call's function is the chip's
// error, which Run returns, and the Call's.
func TestCastPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("default", 16)
		in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
		r, _, _ := castFlow(t, in, out, scaleChip("scale", in, out, false, 0, nil, nil))
		done := runAsync(r)
		_, err := runlet.Call(context.Background(), r, "scale", func(s *scaler) (int, error) { panic("boom") })
		var pe *chip.PanicError
		require.ErrorAs(t, err, &pe)
		runErr := <-done
		var ce *runlet.ChipError
		require.ErrorAs(t, runErr, &ce)
		require.Equal(t, "scale", ce.Chip)
		require.ErrorAs(t, runErr, &pe)
		require.Equal(t, "boom", pe.Value)
	})
}

// TestCastFromInside casts from a sync chip's own process call (on the
// scheduler's goroutine) and from a cast's function: neither waits for
// itself, and each runs before the chip's next process call.
func TestCastFromInside(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("default", 16)
		in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
		var r *runlet.Runlet
		self := chip.New(chip.Config[int, int, scaler]{
			Key: "self", Prev: in, Next: out,
			State: func() scaler { return scaler{factor: 2} },
			Process: func(_ context.Context, pk hints.Pack[int], s *scaler) (hints.Pack[int], error) {
				if pk.Hint == hints.End {
					return pk, nil
				}
				if pk.Value == 3 {
					err := runlet.Cast(r, "self", func(s *scaler) {
						s.factor = 100
						require.NoError(t, runlet.Cast(r, "self", func(s *scaler) { s.factor++ }))
					})
					if err != nil {
						return pk, err
					}
				}
				return hints.Data(pk.Value * s.factor), nil
			},
		})
		r2, feed, o := castFlow(t, in, out, self)
		r = r2
		done := runAsync(r)
		for _, v := range []int{1, 2, 3} {
			pushAll(t, feed, v)
			require.Equal(t, []int{2 * v}, pullN(t, o, 1))
		}
		pushAll(t, feed, 4)
		require.Equal(t, []int{404}, pullN(t, o, 1), "both casts ran before the next call")
		finish(t, feed, o, done)
	})
}
