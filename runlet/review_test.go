package runlet_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Run's ctx stops a graph of sync chips that never waits: the loop runs on
// Run's own goroutine and reads the stop between bursts. (Real time: under
// synctest a loop that never blocks would never let the fake clock move.)
func TestRunCtxStopsEndlessSyncGraph(t *testing.T) {
	a := ip(pool.New(pk, 16), "a")
	endless := chip.NewInput("in", a, nil, func(_ context.Context, i *int) (hints.Pack[int], error) {
		*i++
		return hints.Data(*i), nil
	})
	var s sink[int]
	r := newRunlet(endless, s.output("out", a))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := r.Run(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run returned %v after its 50ms ctx", d)
	}
	if len(s.values()) == 0 {
		t.Errorf("nothing flowed before the deadline")
	}
}

// A PullWait caller waiting while an async chip pushes during a Pause gets
// the value after Resume (the wake during the pause reached no one).
func TestPullWaitAfterPauseAndResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 8)
		inP, outP := ip(p, "in"), ip(p, "out")
		slow := chip.New(chip.Config[int, int, struct{}]{
			Key: "slow", Prev: inP, Next: outP, Async: true,
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				time.Sleep(time.Second)
				return in, nil
			},
		})
		r := newRunlet(slow)
		in, _ := runlet.PendInput(r, inP)
		out, _ := runlet.PendOutput(r, outP)
		done := make(chan error)
		go func() { done <- r.Run(context.Background()) }()
		ctx := context.Background()
		in.PushWait(ctx, hints.Data(7))
		time.Sleep(time.Millisecond)
		r.Pause() // the value is pushed to out while paused
		got := make(chan int)
		go func() {
			p, err := out.PullWait(ctx)
			if err != nil {
				t.Errorf("PullWait: %v", err)
			}
			got <- p.Value
		}()
		time.Sleep(2 * time.Second)
		r.Resume()
		if v := <-got; v != 7 {
			t.Errorf("PullWait got %d, want 7", v)
		}
		in.PushWait(ctx, hints.EndOf[int](1))
		out.PullWait(ctx)
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// Pause and Resume at random moments never make Run report a stall: Resume
// clears the pause and triggers in one step.
func TestPauseResumeNeverFakesAStall(t *testing.T) {
	for run := range 30 {
		p := pool.New(pk, 8)
		a, b, c := ip(p, "a"), ip(p, "b"), ip(p, "c")
		var s sink[int]
		r := newRunlet(source("in", a, ints(200)),
			chip.ParallelMap("pm", a, b, 4, func(_ context.Context, v int) (int, error) {
				time.Sleep(10 * time.Microsecond)
				return v, nil
			}),
			chip.OrderedMap("om", b, c, 3, func(_ context.Context, v int) (int, error) { return v, nil }),
			s.output("out", c))
		stop := make(chan struct{})
		go func() {
			rng := rand.New(rand.NewPCG(uint64(run), 3))
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Duration(rng.IntN(200)) * time.Microsecond):
				}
				r.Pause()
				time.Sleep(time.Duration(rng.IntN(100)) * time.Microsecond)
				r.Resume()
			}
		}()
		err := r.Run(context.Background())
		close(stop)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if len(s.values()) != 200 {
			t.Fatalf("run %d: %d values, want 200", run, len(s.values()))
		}
	}
}

// An END with a count pushed through a passive handle is that many ENDs: a
// split to two consumers ends both.
func TestPushEndWithCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		split := ip(pool.New(pk, 8), "split")
		var a, b sink[int]
		r := newRunlet(a.output("a", split), b.output("b", split))
		in, _ := runlet.PendInput(r, split)
		done := make(chan error)
		go func() { done <- r.Run(context.Background()) }()
		for v := 1; v <= 4; v++ {
			in.PushWait(context.Background(), hints.Data(v))
		}
		in.PushWait(context.Background(), hints.EndOf[int](2))
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil: both consumers ended", err)
		}
		if a.Ends != 1 || b.Ends != 1 || len(a.values())+len(b.values()) != 4 {
			t.Errorf("ENDs %d and %d, values %v and %v", a.Ends, b.Ends, a.values(), b.values())
		}
	})
}

// Bad input gets one error from Attach, never a panic: a typed nil chip, a
// state factory that panics, nil constructor arguments; and a Describe hook
// that panics does not take Describe down.
func TestAttachNeverPanics(t *testing.T) {
	p := pool.New(pk, 4)
	a, b, c := ip(p, "a"), ip(p, "b"), ip(p, "c")
	var nilFunc *chip.Func[int, int, struct{}]
	boom := chip.New(chip.Config[int, int, struct{}]{
		Key: "boom", Prev: a, Next: b,
		State:   func() struct{} { panic("no state for you") },
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) { return in, nil },
	})
	var s sink[int]
	r := newRunlet(source("in", a, ints(1)), nilFunc, boom,
		chip.ForEach("each", b, nil), chip.FromChan("ch", c, nil), s.output("out", c))
	err := r.Attach()
	for _, want := range []string{"chip #1: Spec panicked", `chip "boom": state factory: panic: no state for you`, `chip "each": nil f`, `chip "ch": nil ch`} {
		if err == nil || !contains(err.Error(), want) {
			t.Errorf("Attach error lacks %q:\n%v", want, err)
		}
	}
	x := ip(pool.New(pk, 4), "x")
	hook := chip.New(chip.Config[int, struct{}, struct{}]{
		Key: "hook", Prev: x,
		Process: func(context.Context, hints.Pack[int], *struct{}) (hints.Pack[struct{}], error) {
			return hints.SkipOf[struct{}](), nil
		},
		Describe: func(*struct{}) string { panic("bad hook") },
	})
	r2 := newRunlet(source("in", x, ints(1)), hook)
	if err := r2.Attach(); err != nil {
		t.Fatal(err)
	}
	if d := r2.Describe(); !contains(d, "[Describe panicked: bad hook]") {
		t.Errorf("Describe:\n%s", d)
	}
}
