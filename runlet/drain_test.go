package runlet_test

import (
	"context"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// upTo returns 0..n-1.
func upTo(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// drainAndRun runs r, drains it from another goroutine after wait (fake
// time), and checks that Run and Drain both return nil and that no
// goroutine of the bubble is left.
func drainAndRun(t *testing.T, r *runlet.Runlet, wait time.Duration) {
	t.Helper()
	before := runtime.NumGoroutine()
	drained := make(chan error, 1)
	go func() {
		time.Sleep(wait)
		drained <- r.Drain(context.Background())
	}()
	require.NoError(t, r.Run(context.Background()), r.Describe())
	require.NoError(t, <-drained)
	synctest.Wait()
	assert.Empty(t, bubbleGoroutines(before), "goroutines left after Run")
}

// A sync input chip that would produce forever is given END instead of its
// next Skip: every value it produced reaches the output, in order, once.
// The drain is asked from inside the flow (a sync flow never lets fake time
// pass), from another goroutine, as a signal handler would.
func TestDrainSyncInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("p", 64)
		a, b := ip(p, "a"), ip(p, "b")
		var r *runlet.Runlet
		drained := make(chan error, 1)
		produced := 0
		src := chip.NewInput("src", a, nil, func(_ context.Context, _ *struct{}) (hints.Pack[int], error) {
			if produced == 5000 {
				go func() { drained <- r.Drain(context.Background()) }()
			}
			produced++
			return hints.Data(produced - 1), nil
		})
		var s sink[int]
		r = newRunlet(src, mapper("double", a, b, false, 0, func(v int) int { return 2 * v }), s.output("out", b))
		before := runtime.NumGoroutine()
		require.NoError(t, r.Run(context.Background()))
		require.NoError(t, <-drained)
		assert.Greater(t, produced, 5000, "the source ran until the drain reached it")
		want := upTo(produced)
		for i := range want {
			want[i] *= 2
		}
		equal(t, "every produced value, doubled, once", s.values(), want)
		assert.Equal(t, 1, s.Ends)
		synctest.Wait()
		assert.Empty(t, bubbleGoroutines(before))
	})
}

// An async input chip of one's own with 4 workers whose calls take 10ms:
// the calls in flight at the drain finish and are pushed, then the chip gets
// END and ends.
func TestDrainAsyncInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("p", 64)
		a := ip(p, "a")
		var next, ends atomic.Int64
		src := chip.New(chip.Config[struct{}, int, struct{}]{
			Key: "src", Next: a, Async: true, Concurrency: 4,
			Process: func(_ context.Context, in hints.Pack[struct{}], _ *struct{}) (hints.Pack[int], error) {
				if in.Hint == hints.End {
					ends.Add(1)
					return hints.EndOf[int](1), nil
				}
				time.Sleep(10 * time.Millisecond)
				return hints.Data(int(next.Add(1) - 1)), nil
			},
		})
		var s sink[int]
		r := newRunlet(src, s.output("out", a))
		drainAndRun(t, r, 105*time.Millisecond)
		got := s.values()
		slices.Sort(got) // 4 workers: any order
		equal(t, "every value made, once", got, upTo(int(next.Load())))
		assert.GreaterOrEqual(t, len(got), 40)
		assert.Equal(t, int64(1), ends.Load(), "END is handed out once, alone")
	})
}

// A Generate source: yield returns false once the runlet drains, and every
// value for which it returned true is pushed, in order.
func TestDrainGenerate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("p", 64)
		a := ip(p, "a")
		accepted, refused := 0, 0
		gen := chip.Generate("gen", a, func(ctx context.Context, yield func(int) bool) error {
			for i := 0; ; i++ {
				time.Sleep(time.Millisecond)
				if !yield(i) {
					refused++
					return nil
				}
				accepted++
			}
		})
		var s sink[int]
		r := newRunlet(gen, s.output("out", a))
		drainAndRun(t, r, 50*time.Millisecond+time.Microsecond)
		equal(t, "every accepted value, once, in order", s.values(), upTo(accepted))
		assert.Equal(t, 50, accepted)
		assert.Equal(t, 1, refused, "yield returned false after the drain")
	})
}

// A Generate whose gen waits on something else than yield: the drain does
// not wait for it (the chip ends; its Close cancels gen's ctx).
func TestDrainGenerateWaitingGen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("p", 64)
		a := ip(p, "a")
		gen := chip.Generate("gen", a, func(ctx context.Context, yield func(int) bool) error {
			for i := range 3 {
				yield(i)
			}
			<-ctx.Done() // ignores the drain: cancelled by Close
			return nil
		})
		var s sink[int]
		r := newRunlet(gen, s.output("out", a))
		drainAndRun(t, r, time.Second)
		equal(t, "values yielded before the drain", s.values(), []int{0, 1, 2})
	})
}

// FromChan stops reading at the drain: what it received is pushed, and the
// channel, never closed, is left alone.
func TestDrainFromChan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("p", 64)
		a := ip(p, "a")
		ch := make(chan int)
		var s sink[int]
		r := newRunlet(chip.FromChan("in", a, ch), s.output("out", a))
		go func() {
			for i := range 10 {
				ch <- i
			}
		}()
		drainAndRun(t, r, time.Second)
		equal(t, "every value sent", s.values(), upTo(10))
		select {
		case ch <- 99:
			t.Fatal("the chip still reads the channel")
		default:
		}
	})
}

// A Batch with a long maxWait flushes its partial batch as the drain's END
// reaches it, at once: not an hour later.
func TestDrainBatchFlushesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("p", 64)
		a, b := ip(p, "a"), pool.NewPend[[]int](p, "b")
		ch := make(chan int, 7)
		for i := range 7 {
			ch <- i
		}
		var s sink[[]int]
		r := newRunlet(chip.FromChan("in", a, ch), chip.Batch("batch", a, b, 100, time.Hour), s.output("out", b))
		start := time.Now()
		drainAndRun(t, r, time.Second)
		assert.Equal(t, time.Second, time.Since(start), "Run returned at the drain, not after maxWait")
		require.Len(t, s.values(), 1)
		equal(t, "the partial batch", s.values()[0], upTo(7))
	})
}

// slowFlow is a source feeding an async output chip whose calls take an
// hour unless their ctx is cancelled: a drain cannot finish in a test.
func slowFlow() *runlet.Runlet {
	p := pool.New("p", 4)
	a := ip(p, "a")
	slow := chip.New(chip.Config[int, struct{}, struct{}]{
		Key: "slow", Prev: a, Async: true,
		Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
			if in.Hint == hints.End {
				return hints.EndOf[struct{}](1), nil
			}
			select {
			case <-time.After(time.Hour):
			case <-ctx.Done():
				return hints.Pack[struct{}]{}, ctx.Err()
			}
			return hints.SkipOf[struct{}](), nil
		},
	})
	return newRunlet(source("src", a, upTo(100)), slow)
}

// A second Drain aborts the first: both return the abort error, which names
// the chips that had not ended and what they held; so does Run.
func TestDrainSecondRequestAborts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := slowFlow()
		first, second := make(chan error, 1), make(chan error, 1)
		go func() {
			time.Sleep(time.Second)
			first <- r.Drain(context.Background())
		}()
		go func() {
			time.Sleep(2 * time.Second)
			second <- r.Drain(context.Background())
		}()
		before := runtime.NumGoroutine()
		err := r.Run(context.Background())
		require.ErrorIs(t, err, runlet.ErrAborted)
		var de *runlet.DrainAbortError
		require.ErrorAs(t, err, &de)
		assert.ErrorIs(t, de.Reason, runlet.ErrDrainAgain)
		var names []string
		for _, c := range de.Chips {
			names = append(names, c.Chip)
		}
		// src is held back by the full pool, holding its next Skip pack;
		// slow runs the packs it took.
		assert.Equal(t, []string{"src", "slow"}, names)
		assert.Equal(t, "{}|SKIP|IDLE", de.Chips[0].Running)
		assert.True(t, strings.HasPrefix(de.Chips[1].Running, "RUN x"), de.Chips[1].Running)
		assert.Contains(t, err.Error(), `drain aborted (a second drain request): unfinished chips: "src" {}|SKIP|IDLE; "slow" RUN x`)
		assert.Equal(t, err, <-first)
		assert.Equal(t, err, <-second)
		synctest.Wait()
		assert.Empty(t, bubbleGoroutines(before))
	})
}

// The end of the drain's ctx aborts too; errors.Is finds the ctx's error,
// and Drain returns without waiting for Run.
func TestDrainCtxAborts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := slowFlow()
		drained := make(chan error, 1)
		go func() {
			time.Sleep(time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			drained <- r.Drain(ctx)
		}()
		start := time.Now()
		err := r.Run(context.Background())
		assert.Equal(t, 2*time.Second, time.Since(start))
		require.ErrorIs(t, err, runlet.ErrAborted)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, err, <-drained)
	})
}

// A Drain before Run ends the flow as it starts; Drain is idempotent on a
// runlet that has stopped: it returns Run's result.
func TestDrainBeforeAndAfterRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("p", 64)
		a := ip(p, "a")
		var s sink[int]
		calls := 0
		src := chip.NewInput("src", a, nil, func(_ context.Context, _ *struct{}) (hints.Pack[int], error) {
			calls++
			return hints.Data(calls), nil
		})
		r := newRunlet(src, s.output("out", a))
		drained := make(chan error, 1)
		go func() { drained <- r.Drain(context.Background()) }()
		synctest.Wait() // the drain is posted before Run
		require.NoError(t, r.Run(context.Background()))
		require.NoError(t, <-drained)
		assert.Equal(t, 0, calls)
		assert.Equal(t, 1, s.Ends)
		require.NoError(t, r.Drain(context.Background()))
	})
}

// Drained is closed at the drain for the chip's process ctx (and a ctx
// derived from it), nil for any other ctx.
func TestDrainedSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		assert.Nil(t, chip.Drained(context.Background()))
		p := pool.New("p", 64)
		a := ip(p, "a")
		var mu sync.Mutex
		var seen []string
		src := chip.New(chip.Config[struct{}, int, int]{
			Key: "src", Next: a, Async: true,
			Process: func(ctx context.Context, in hints.Pack[struct{}], n *int) (hints.Pack[int], error) {
				if in.Hint == hints.End {
					return hints.EndOf[int](1), nil
				}
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				select { // waits on the world, and on the drain
				case <-time.After(time.Hour):
					*n++
					return hints.Data(*n), nil
				case <-chip.Drained(ctx):
					mu.Lock()
					seen = append(seen, "drained")
					mu.Unlock()
					return hints.EndOf[int](1), nil
				}
			},
		})
		var s sink[int]
		r := newRunlet(src, s.output("out", a))
		drainAndRun(t, r, 30*time.Minute)
		assert.Equal(t, []string{"drained"}, seen)
		assert.Empty(t, s.values())
		assert.True(t, strings.Contains(r.Describe(), "src"))
	})
}

// DrainOnSignal with a real signal sent to this process: the first drains
// (every value the generator got accepted reaches the output, and Run
// returns nil), the helper's goroutines end with stop.
func TestDrainOnSignal(t *testing.T) {
	p := pool.New("p", 64)
	a := ip(p, "a")
	var accepted atomic.Int64
	started := make(chan struct{})
	gen := chip.Generate("gen", a, func(ctx context.Context, yield func(int) bool) error {
		for i := 0; ; i++ {
			if i == 1000 {
				close(started)
			}
			if !yield(i) {
				return nil
			}
			accepted.Add(1)
		}
	})
	var s sink[int]
	r := newRunlet(gen, s.output("out", a))
	stop := runlet.DrainOnSignal(context.Background(), r, syscall.SIGUSR1)
	defer stop()
	go func() {
		<-started
		_ = syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	}()
	require.NoError(t, r.Run(context.Background()))
	stop()
	equal(t, "every accepted value, once, in order", s.values(), upTo(int(accepted.Load())))
	assert.GreaterOrEqual(t, len(s.values()), 1000)
}

// The second signal aborts the drain, naming the chip that had not ended.
func TestDrainOnSignalSecondAborts(t *testing.T) {
	p := pool.New("p", 4)
	a := ip(p, "a")
	busy := make(chan struct{}, 1)
	slow := chip.New(chip.Config[int, struct{}, struct{}]{
		Key: "slow", Prev: a, Async: true,
		Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
			if in.Hint == hints.End {
				return hints.EndOf[struct{}](1), nil
			}
			select {
			case busy <- struct{}{}:
			default:
			}
			<-ctx.Done() // until the abort
			return hints.Pack[struct{}]{}, ctx.Err()
		},
	})
	r := newRunlet(source("src", a, upTo(100)), slow)
	keep := make(chan os.Signal, 1) // a late signal must not end the test process
	signal.Notify(keep, syscall.SIGUSR1)
	defer signal.Stop(keep)
	stop := runlet.DrainOnSignal(context.Background(), r, syscall.SIGUSR1)
	defer stop()
	go func() {
		<-busy
		_ = syscall.Kill(os.Getpid(), syscall.SIGUSR1)
		for r.Err() == nil { // the drain cannot finish: signal until the abort
			time.Sleep(10 * time.Millisecond)
			_ = syscall.Kill(os.Getpid(), syscall.SIGUSR1)
		}
	}()
	err := r.Run(context.Background())
	require.ErrorIs(t, err, runlet.ErrAborted)
	assert.Contains(t, err.Error(), "a second signal (user defined signal 1)")
	assert.Contains(t, err.Error(), `"slow" RUN x`)
}
