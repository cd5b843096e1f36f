package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// slowSource is an async input chip producing 1..n, one per millisecond.
func slowSource(key string, next *pool.Pend[int], n int) chip.Chip {
	return chip.New(chip.Config[struct{}, int, int]{
		Key: key, Next: next, Async: true,
		Process: func(_ context.Context, _ hints.Pack[struct{}], i *int) (hints.Pack[int], error) {
			if *i == n {
				return hints.EndOf[int](1), nil
			}
			time.Sleep(time.Millisecond)
			*i++
			return hints.Data(*i), nil
		},
	})
}

// Pause, Resume and repeated Triggers lose and duplicate nothing, and no new
// work starts while paused.
func TestPauseResumeTriggerLoseNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		var s sink[int]
		r := newRunlet(slowSource("in", a, 300), mapper("x2", a, b, true, 3, func(v int) int { return v * 2 }), s.output("out", b))
		done := make(chan error)
		go func() { done <- r.Run(context.Background()) }()
		for round := range 3 {
			time.Sleep(40 * time.Millisecond)
			r.Pause()
			time.Sleep(5 * time.Millisecond) // work in flight drains
			before := len(s.values())
			time.Sleep(100 * time.Millisecond)
			if after := len(s.values()); after != before {
				t.Errorf("round %d: %d values arrived while paused", round, after-before)
			}
			if !strings.Contains(r.Describe(), "[PAUSED]") {
				t.Errorf("Describe does not show [PAUSED]")
			}
			for range 5 {
				r.Trigger() // a trigger while paused starts nothing either
			}
			r.Resume()
		}
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		got := s.values()
		seen := map[int]int{}
		for _, v := range got {
			seen[v]++
		}
		for v := 1; v <= 300; v++ {
			if seen[v*2] != 1 {
				t.Errorf("value %d delivered %d times, want 1", v*2, seen[v*2])
			}
		}
		if len(got) != 300 {
			t.Errorf("delivered %d values, want 300", len(got))
		}
	})
}

// After Detach the state no longer changes: no push, no trigger, and Run
// returns ErrDetached.
func TestDetachFreezesState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		var s sink[int]
		r := newRunlet(slowSource("in", a, 1000), s.output("out", b),
			mapper("p", a, b, true, 2, func(v int) int { return v }))
		done := make(chan error)
		go func() { done <- r.Run(context.Background()) }()
		time.Sleep(30 * time.Millisecond)
		snap := r.Detach()
		if snap.State != "detached" || !strings.HasPrefix(snap.String(), "[DETACHED]") {
			t.Errorf("Detach snapshot state %q, text:\n%s", snap.State, snap)
		}
		if err := <-done; !errors.Is(err, runlet.ErrDetached) {
			t.Fatalf("Run = %v, want ErrDetached", err)
		}
		n := len(s.values())
		before := r.Describe()
		r.Trigger()
		r.Resume()
		time.Sleep(100 * time.Millisecond)
		if after := r.Describe(); after != before {
			t.Errorf("state changed after Detach:\nbefore\n%s\nafter\n%s", before, after)
		}
		if len(s.values()) != n {
			t.Errorf("%d values delivered after Detach", len(s.values())-n)
		}
	})
}

// A passive runlet: fed by PendInput, drained by PendOutput, both blocking
// variants, round trip in order.
func TestPassiveRoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 2)
		inPend, outPend := ip(p, "in"), sp(p, "out")
		r := newRunlet(mapper("x10", inPend, outPend, false, 0, func(v int) string { return fmt.Sprint(v * 10) }))
		in, err := runlet.PendInput(r, inPend)
		if err != nil {
			t.Fatal(err)
		}
		out, err := runlet.PendOutput(r, outPend)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- r.Run(context.Background()) }()
		ctx := context.Background()
		pushed := make(chan struct{})
		go func() {
			defer close(pushed)
			for v := 1; v <= 50; v++ {
				if err := in.PushWait(ctx, hints.Data(v)); err != nil {
					t.Errorf("PushWait(%d): %v", v, err)
				}
			}
			if err := in.PushWait(ctx, hints.EndOf[int](1)); err != nil {
				t.Errorf("PushWait(END): %v", err)
			}
		}()
		var got []string
		for {
			p, err := out.PullWait(ctx)
			if err != nil {
				t.Fatalf("PullWait: %v", err)
			}
			if p.Hint == hints.End {
				break
			}
			got = append(got, p.Value)
		}
		<-pushed
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		want := make([]string, 50)
		for i := range want {
			want[i] = fmt.Sprint((i + 1) * 10)
		}
		equal(t, "round trip", got, want)
		if _, err := out.PullWait(ctx); !errors.Is(err, runlet.ErrEnded) {
			t.Errorf("PullWait after the end = %v, want ErrEnded", err)
		}
		if err := in.Push(hints.Data(1)); !errors.Is(err, runlet.ErrEnded) {
			t.Errorf("Push after the end = %v, want ErrEnded", err)
		}
	})
}

// The non-blocking pair, and blocking calls that give up when ctx ends leave
// the state unchanged.
func TestPassiveNonBlockingAndCancel(t *testing.T) {
	p := pool.New(pk, 0)
	inPend, outPend := ip(p, "in"), ip(p, "out")
	r := newRunlet(mapper("id", inPend, outPend, false, 0, func(v int) int { return v }))
	in, _ := runlet.PendInput(r, inPend)
	out, _ := runlet.PendOutput(r, outPend)
	if err := r.Attach(); err != nil {
		t.Fatal(err)
	}
	r.Trigger()
	// Pool limit 0: "in" takes one pack, the chip moves it to "out", "in"
	// takes a second, and the chip holds it because "out" is busted.
	for v := 1; v <= 3; v++ {
		if !in.CanPush() {
			t.Fatalf("CanPush false before push %d", v)
		}
		if err := in.Push(hints.Data(v)); err != nil {
			t.Fatalf("Push(%d): %v", v, err)
		}
	}
	if in.CanPush() {
		t.Fatalf("CanPush true with a full pend:\n%s", r.Describe())
	}
	if err := in.Push(hints.Data(99)); !errors.Is(err, runlet.ErrLimited) || !strings.Contains(err.Error(), `pend "in"`) {
		t.Fatalf("Push into a limited pend = %v, want ErrLimited naming the pend", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := r.Describe()
	if err := in.PushWait(ctx, hints.Data(99)); !errors.Is(err, context.Canceled) {
		t.Fatalf("PushWait with a done ctx = %v", err)
	}
	if after := r.Describe(); after != before {
		t.Errorf("PushWait that gave up changed the state:\n%s\n---\n%s", before, after)
	}
	var got []int
	for out.CanPull() {
		p, _ := out.Pull()
		got = append(got, p.Value)
	}
	equal(t, "pulled", got, []int{1, 2, 3})
	if _, err := out.PullWait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("PullWait with a done ctx = %v", err)
	}
}

// An async chip with Concurrency N reaches N calls in flight and never more.
func TestAsyncConcurrencyBound(t *testing.T) {
	for _, n := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(pk, 1000)
				a, b := ip(p, "a"), ip(p, "b")
				var now, peak atomic.Int32
				work := chip.New(chip.Config[int, int, struct{}]{
					Key: "work", Prev: a, Next: b, Async: true, Concurrency: n,
					Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
						c := now.Add(1)
						for {
							p := peak.Load()
							if c <= p || peak.CompareAndSwap(p, c) {
								break
							}
						}
						time.Sleep(time.Millisecond)
						now.Add(-1)
						return in, nil
					},
				})
				var s sink[int]
				mustRun(t, newRunlet(source("in", a, ints(200)), work, s.output("out", b)))
				if got := peak.Load(); got != int32(n) {
					t.Errorf("peak in flight %d, want %d", got, n)
				}
				if len(s.values()) != 200 {
					t.Errorf("delivered %d, want 200", len(s.values()))
				}
			})
		})
	}
}

// A pool limit of 0 completes, sync and async, in order.
func TestPoolLimitZeroCompletes(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprint("async=", async), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(pk, 0)
				a, b, c := ip(p, "a"), ip(p, "b"), ip(p, "c")
				var s sink[int]
				r := newRunlet(source("in", a, ints(100)),
					mapper("m1", a, b, async, 1, func(v int) int { return v }),
					mapper("m2", b, c, async, 1, func(v int) int { return v }),
					s.output("out", c))
				mustRun(t, r)
				equal(t, "output", s.values(), ints(100))
				if d := r.Describe(); !strings.Contains(d, "@default 0/0") {
					t.Errorf("Describe after the end:\n%s", d)
				}
			})
		})
	}
}

// A graph of sync chips runs inside Run on the caller's goroutine.
func TestSyncGraphStartsNoGoroutine(t *testing.T) {
	p := pool.New(pk, 3)
	a, b := ip(p, "a"), ip(p, "b")
	base := runtime.NumGoroutine()
	var during []int
	var mu sync.Mutex
	out := chip.NewOutput("out", b, nil, func(_ context.Context, _ hints.Pack[int], _ *struct{}) error {
		mu.Lock()
		during = append(during, runtime.NumGoroutine())
		mu.Unlock()
		return nil
	})
	mustRun(t, newRunlet(source("in", a, ints(20)), mapper("m", a, b, false, 0, func(v int) int { return v }), out))
	// More goroutines during the run would be the runlet's; fewer are those
	// an earlier test left winding down (the tests run in shuffled order).
	for _, n := range during {
		if n > base {
			t.Fatalf("%d goroutines during the run, %d before", n, base)
		}
	}
	if len(during) != 21 {
		t.Errorf("output ran %d times, want 21", len(during))
	}
}

// A passive runlet whose chip feeding the drained pend ends early (a Take)
// finishes: chips that feed a PendOutput's pend are output chips.
func TestPassiveRunletEndsWithItsOutputChip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A pool large enough that nothing waits for room: out is pulled only
		// after Run has returned.
		p := pool.New(pk, 100)
		inPend, mid, outPend := ip(p, "in"), ip(p, "mid"), ip(p, "out")
		r := newRunlet(
			mapper("x2", inPend, mid, false, 0, func(v int) int { return v * 2 }),
			chip.Take("first3", mid, outPend, 3))
		in, _ := runlet.PendInput(r, inPend)
		out, _ := runlet.PendOutput(r, outPend)
		if err := r.Attach(); err != nil { // so pushes reach the chips at once
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- r.Run(context.Background()) }()
		time.Sleep(time.Millisecond) // Run has triggered the chips
		var pushErr error
		for v := 1; v <= 10 && pushErr == nil; v++ {
			pushErr = in.PushWait(context.Background(), hints.Data(v))
		}
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil once first3 has ended", err)
		}
		if !errors.Is(pushErr, runlet.ErrEnded) {
			t.Errorf("pushing after the end = %v, want ErrEnded", pushErr)
		}
		var got []int
		for {
			p, ok := out.Pull()
			if !ok || p.Hint == hints.End {
				break
			}
			got = append(got, p.Value)
		}
		equal(t, "taken", got, []int{2, 4, 6})
	})
}

// A chip that ends early (Take) tells its upstream to stop while the rest
// of the flow goes on: the endless source is ended at once instead of
// producing until the pool is full.
func TestTakeEndsUpstream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 1000)
		a, b, c := ip(p, "a"), ip(p, "b"), ip(p, "c")
		var produced atomic.Int32
		endless := chip.New(chip.Config[struct{}, int, int]{
			Key: "in", Next: a, Async: true,
			Process: func(_ context.Context, _ hints.Pack[struct{}], i *int) (hints.Pack[int], error) {
				time.Sleep(time.Millisecond)
				produced.Add(1)
				*i++
				return hints.Data(*i), nil
			},
		})
		slow := mapper("slow", b, c, true, 1, func(v int) int {
			time.Sleep(time.Second)
			return v
		})
		var s sink[int]
		r := newRunlet(endless, chip.Take("take3", a, b, 3), slow, s.output("out", c))
		mustRun(t, r) // lasts about 3s of fake time, for the slow map
		equal(t, "taken", s.values(), []int{1, 2, 3})
		if n := produced.Load(); n > 10 {
			t.Errorf("the source produced %d values, want it stopped right after the third", n)
		}
	})
}
