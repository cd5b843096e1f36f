package runlet_test

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/thejerf/suture/v4"
)

var _ suture.Service = (*runlet.Service)(nil)

// events records a supervisor's events.
type events struct {
	mu  sync.Mutex
	all []suture.Event
}

func (e *events) hook(ev suture.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) types() []suture.EventType {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ts []suture.EventType
	for _, ev := range e.all {
		ts = append(ts, ev.Type())
	}
	return ts
}

// TestServiceRestartedBySuture runs a flow as a suture service whose first
// two runs fail on the value 3: suture restarts it at once after the first
// failure, backs off after the second (FailureThreshold 1), and the third
// run, a fresh runlet with fresh state, succeeds and stays down
// (ErrDoNotRestart). Each run's outputs are its own.
func TestServiceRestartedBySuture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		kept := map[int][]int{}
		var builds atomic.Int32
		build := func() (*runlet.Runlet, error) {
			run := int(builds.Add(1))
			p := pool.New("default", 16)
			nums, parsed := pool.NewPend[int](p, "nums"), pool.NewPend[int](p, "parsed")
			return runlet.New([]chip.Chip{
				chip.FromSlice("src", nums, []int{1, 2, 3, 4, 5}),
				chip.Map("parse", nums, parsed, func(v int) (int, error) {
					if run < 3 && v == 3 {
						return 0, fmt.Errorf("bad value %d", v)
					}
					return v * 10, nil
				}),
				lockedSink("keep", parsed, &mu, func(v int) { kept[run] = append(kept[run], v) }),
			}, runlet.Config{OnError: func(error) {}}), nil
		}
		svc := runlet.NewService("parser", build, runlet.ServiceConfig{Ended: suture.ErrDoNotRestart})
		var ev events
		sup := suture.New("tree", suture.Spec{EventHook: ev.hook, FailureThreshold: 1, FailureBackoff: time.Second})
		sup.Add(svc)
		ctx, cancel := context.WithCancel(context.Background())
		supDone := make(chan error, 1)
		go func() { supDone <- sup.Serve(ctx) }()
		time.Sleep(time.Minute) // fake time: past the backoff
		synctest.Wait()
		require.Equal(t, 3, svc.Runs())
		require.Equal(t, int32(3), builds.Load())
		require.Equal(t, []suture.EventType{
			suture.EventTypeServiceTerminate, // run 1 failed: restarted at once
			suture.EventTypeBackoff,          // run 2 failed: past the threshold
			suture.EventTypeServiceTerminate,
			suture.EventTypeResume, // after the backoff: run 3
		}, ev.types())
		for i, run := range []int{1, 2} {
			term := ev.all[[]int{0, 2}[i]].(suture.EventServiceTerminate)
			require.Equal(t, "parser", term.ServiceName)
			require.Equal(t, run == 1, term.Restarting)
			require.Equal(t, fmt.Sprintf(`runlet: service "parser", run %d: runlet: chip "parse": bad value 3`, run), fmt.Sprint(term.Err))
		}
		mu.Lock()
		got := map[int][]int{1: kept[1], 2: kept[2], 3: kept[3]}
		mu.Unlock()
		for _, run := range []int{1, 2} {
			require.Subset(t, []int{10, 20}, got[run], "run %d failed on 3: nothing from 3 on came out", run)
		}
		require.Equal(t, []int{10, 20, 30, 40, 50}, got[3], "the third run, a fresh runlet, ran the whole flow")
		require.NotNil(t, svc.Runlet())
		require.NoError(t, svc.Runlet().Err(), "the latest run ended cleanly")
		cancel()
		require.ErrorIs(t, <-supDone, context.Canceled)
	})
}

// lockedSink is an output chip that hands each value to keep under mu.
func lockedSink(key string, prev *pool.Pend[int], mu *sync.Mutex, keep func(int)) chip.Chip {
	return chip.New(chip.Config[int, struct{}, struct{}]{Key: key, Prev: prev,
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
			if in.Hint == hints.End {
				return hints.EndOf[struct{}](1), nil
			}
			mu.Lock()
			keep(in.Value)
			mu.Unlock()
			return hints.Pack[struct{}]{Hint: hints.Skip}, nil
		}})
}

// recorded is a service that hands what each Serve returned to errs.
type recorded struct {
	*runlet.Service
	errs chan error
}

func (r recorded) Serve(ctx context.Context) error {
	err := r.Service.Serve(ctx)
	r.errs <- err
	return err
}

// TestServiceStopsWithTree stops a supervisor tree while a service's flow
// runs (a source yields a value each fake millisecond). With
// ServiceConfig.Drain, Serve drains the runlet: every value the source
// yielded comes out, in order, and Serve returns nil. Without it, the
// runlet stops at once and Serve returns the ctx's error. Neither is
// restarted, and no goroutine is left (the bubble would report it).
func TestServiceStopsWithTree(t *testing.T) {
	for _, drain := range []time.Duration{time.Second, 0} {
		t.Run(fmt.Sprintf("drain=%v", drain), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var kept []int
				var yielded atomic.Int64
				build := func() (*runlet.Runlet, error) {
					p := pool.New("default", 16)
					nums, doubled := pool.NewPend[int](p, "nums"), pool.NewPend[int](p, "doubled")
					return runlet.New([]chip.Chip{
						chip.Generate("ticks", nums, func(ctx context.Context, yield func(int) bool) error {
							for i := 0; ; i++ {
								select {
								case <-ctx.Done():
									return nil
								case <-time.After(time.Millisecond):
								}
								if !yield(i) {
									return nil
								}
								yielded.Add(1)
							}
						}),
						chip.Map("double", nums, doubled, func(v int) (int, error) { return 2 * v, nil }),
						lockedSink("keep", doubled, &mu, func(v int) { kept = append(kept, v) }),
					}, runlet.Config{}), nil
				}
				svc := recorded{runlet.NewService("ticker", build, runlet.ServiceConfig{Drain: drain}), make(chan error, 4)}
				var ev events
				sup := suture.New("tree", suture.Spec{EventHook: ev.hook})
				sup.Add(svc)
				ctx, cancel := context.WithCancel(context.Background())
				supDone := make(chan error, 1)
				go func() { supDone <- sup.Serve(ctx) }()
				time.Sleep(100*time.Millisecond + time.Microsecond)
				cancel()
				require.ErrorIs(t, <-supDone, context.Canceled)
				err := <-svc.errs
				synctest.Wait()
				require.Equal(t, 1, svc.Runs(), "not restarted")
				require.Empty(t, ev.types(), "no failure event")
				mu.Lock()
				got := kept
				mu.Unlock()
				require.GreaterOrEqual(t, len(got), 90, "about 100 values in 100 fake ms")
				for i, v := range got {
					require.Equal(t, 2*i, v, "in order, none lost or doubled")
				}
				if drain > 0 {
					require.NoError(t, err, "a clean drain")
					require.Len(t, got, int(yielded.Load()), "every value yielded came out")
					return
				}
				require.ErrorIs(t, err, context.Canceled)
				require.ErrorContains(t, err, `runlet: service "ticker", run 1: `)
			})
		})
	}
}

// TestServiceServe calls Serve directly: a build error, a build panic and a
// nil runlet are that run's error; a clean end returns ServiceConfig.Ended;
// each Serve builds a fresh runlet.
func TestServiceServe(t *testing.T) {
	ctx := context.Background()
	svc := runlet.NewService("bad", func() (*runlet.Runlet, error) { return nil, errors.New("no config") }, runlet.ServiceConfig{})
	require.EqualError(t, svc.Serve(ctx), `runlet: service "bad", run 1: build: no config`)
	require.Equal(t, "bad", svc.String())
	require.Nil(t, svc.Runlet())

	svc = runlet.NewService("panicky", func() (*runlet.Runlet, error) { panic("oops") }, runlet.ServiceConfig{})
	var pe *chip.PanicError
	require.ErrorAs(t, svc.Serve(ctx), &pe)
	require.Equal(t, "oops", pe.Value)

	svc = runlet.NewService("nil", func() (*runlet.Runlet, error) { return nil, nil }, runlet.ServiceConfig{})
	require.ErrorContains(t, svc.Serve(ctx), "nil runlet")

	done := errors.New("done")
	var outs [][]int
	svc = runlet.NewService("ok", func() (*runlet.Runlet, error) {
		p := pool.New("default", 8)
		nums := pool.NewPend[int](p, "nums")
		outs = append(outs, nil)
		return runlet.New([]chip.Chip{
			chip.FromSlice("src", nums, []int{1, 2}),
			chip.Collect("keep", nums, &outs[len(outs)-1]),
		}, runlet.Config{}), nil
	}, runlet.ServiceConfig{Ended: done})
	require.ErrorIs(t, svc.Serve(ctx), done)
	first := svc.Runlet()
	require.ErrorIs(t, svc.Serve(ctx), done)
	require.NotSame(t, first, svc.Runlet(), "each Serve runs a fresh runlet")
	require.Equal(t, 2, svc.Runs())
	require.Equal(t, [][]int{{1, 2}, {1, 2}}, outs)
}
