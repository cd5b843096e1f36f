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

var errSeq = errors.New("seq failure")

// seqRunlet is a passive runlet over a pool of the given limit: a map chip
// doubling ints from pend "in" to pend "out", with handles for both. A
// non-nil mk makes the chip between the two pends instead.
func seqRunlet(t *testing.T, limit int, mk func(in, out *pool.Pend[int]) chip.Chip) (*runlet.Runlet, *runlet.Input[int], *runlet.Output[int]) {
	t.Helper()
	p := pool.New(pk, limit)
	inP, outP := ip(p, "in"), ip(p, "out")
	if mk == nil {
		mk = func(in, out *pool.Pend[int]) chip.Chip {
			return mapper("double", in, out, false, 0, func(v int) int { return 2 * v })
		}
	}
	r := newRunlet(mk(inP, outP))
	in, err := runlet.PendInput(r, inP)
	if err != nil {
		t.Fatal(err)
	}
	out, err := runlet.PendOutput(r, outP)
	if err != nil {
		t.Fatal(err)
	}
	return r, in, out
}

// feed pushes values, then END unless endless, then keeps pushing until a
// push fails; the channel reports that error.
func feed(in *runlet.Input[int], values []int, end bool) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx := context.Background()
		for _, v := range values {
			if err := in.PushWait(ctx, hints.Data(v)); err != nil {
				done <- err
				return
			}
		}
		if end {
			done <- in.PushWait(ctx, hints.EndOf[int](1))
			return
		}
		for v := len(values) + 1; ; v++ {
			if err := in.PushWait(ctx, hints.Data(v)); err != nil {
				done <- err
				return
			}
		}
	}()
	return done
}

// A full loop gets every value, in order, and no error; Run has returned by
// the time the loop ends.
func TestSeqAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, in, out := seqRunlet(t, 4, nil)
		fed := feed(in, ints(100), true)
		var got []int
		for v, err := range runlet.Seq(context.Background(), r, out) {
			if err != nil {
				t.Fatalf("error after %v: %v", got, err)
			}
			got = append(got, v)
		}
		want := make([]int, 100)
		for i := range want {
			want[i] = 2 * (i + 1)
		}
		equal(t, "values", got, want)
		select {
		case <-r.Done():
		default:
			t.Fatal("Run still running after the loop")
		}
		if err := r.Err(); err != nil {
			t.Errorf("Err = %v", err)
		}
		if err := <-fed; err != nil {
			t.Errorf("feeder: %v", err)
		}
	})
}

// The loop body runs before the next value is pulled: with a slow consumer
// the runlet holds no more than its pool allows, and the feeder waits.
func TestSeqBackpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, in, out := seqRunlet(t, 4, nil)
		var pushed atomic.Int32
		done := make(chan struct{})
		go func() {
			defer close(done)
			for v := range 50 {
				if in.PushWait(context.Background(), hints.Data(v)) != nil {
					return
				}
				pushed.Add(1)
			}
			in.PushWait(context.Background(), hints.EndOf[int](1))
		}()
		n := 0
		for _, err := range runlet.Seq(context.Background(), r, out) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 1 {
				time.Sleep(time.Hour) // everyone else is blocked meanwhile
				if n := pushed.Load(); n > 8 {
					t.Errorf("%d values pushed while the consumer slept on the first, want a few (pool limit 4)", n)
				}
			}
		}
		<-done
		if n != 50 {
			t.Errorf("got %d values, want 50", n)
		}
	})
}

// Breaking out after 3 values aborts the runlet: Run has returned when the
// loop is left, the feeder's push fails, and no goroutine is left (synctest
// fails the test otherwise).
func TestSeqBreak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, in, out := seqRunlet(t, 4, nil)
		fed := feed(in, nil, false) // endless
		var got []int
		for v, err := range runlet.Seq(context.Background(), r, out) {
			if err != nil {
				t.Fatal(err)
			}
			if got = append(got, v); len(got) == 3 {
				break
			}
		}
		equal(t, "values", got, []int{2, 4, 6})
		select {
		case <-r.Done():
		default:
			t.Fatal("Run still running after break")
		}
		if err := r.Err(); !errors.Is(err, runlet.ErrAborted) {
			t.Errorf("Err = %v, want ErrAborted", err)
		}
		if err := <-fed; !errors.Is(err, runlet.ErrAborted) {
			t.Errorf("feeder's push = %v, want ErrAborted", err)
		}
	})
}

// A panic in the loop body stops the runlet too before it propagates.
func TestSeqPanicInBody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, in, out := seqRunlet(t, 4, nil)
		fed := feed(in, nil, false)
		func() {
			defer func() {
				if v := recover(); v != errSeq {
					t.Errorf("recovered %v, want errSeq", v)
				}
			}()
			for range runlet.Seq(context.Background(), r, out) {
				panic(errSeq)
			}
		}()
		if err := r.Err(); !errors.Is(err, runlet.ErrAborted) {
			t.Errorf("Err = %v, want ErrAborted", err)
		}
		<-fed
	})
}

// A failing chip ends the loop with its error, after the values that made it
// out before the failure.
func TestSeqChipError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		failAt5 := func(in, out *pool.Pend[int]) chip.Chip {
			return chip.New(chip.Config[int, int, struct{}]{
				Key: "fail", Prev: in, Next: out,
				Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					if in.Value == 5 {
						return hints.Pack[int]{}, errSeq
					}
					return in, nil
				},
			})
		}
		r, in, out := seqRunlet(t, 100, failAt5)
		fed := feed(in, ints(10), true)
		var got []int
		var errs []error
		for v, err := range runlet.Seq(context.Background(), r, out) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if len(errs) > 0 {
				t.Errorf("value %d after the error", v)
			}
			got = append(got, v)
		}
		var ce *runlet.ChipError
		if len(errs) != 1 || !errors.Is(errs[0], errSeq) || !errors.As(errs[0], &ce) || ce.Chip != "fail" {
			t.Fatalf("errors %v, want one: errSeq from chip \"fail\"", errs)
		}
		equal(t, "values before the error", got, []int{1, 2, 3, 4})
		<-fed
	})
}

// The end of ctx stops the runlet and the loop with ctx's error.
func TestSeqCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, in, out := seqRunlet(t, 4, nil)
		fed := feed(in, nil, false) // endless: the feeder waits for room
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var got, n int
		var last error
		for v, err := range runlet.Seq(ctx, r, out) {
			n++
			got, last = v, err
			if err == nil {
				time.Sleep(2 * time.Minute) // slow consumer: ctx ends meanwhile
			}
		}
		if !errors.Is(last, context.DeadlineExceeded) || got != 0 || n != 2 {
			t.Errorf("after %d pairs the last is (%d, %v), want 2 pairs ending (0, DeadlineExceeded)", n, got, last)
		}
		if err := <-fed; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("feeder's push = %v, want DeadlineExceeded", err)
		}
	})
}

// A runlet that cannot attach ends the loop with the Attach error instead of
// waiting forever.
func TestSeqAttachError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bad := func(in, out *pool.Pend[int]) chip.Chip {
			return chip.New(chip.Config[int, int, struct{}]{Key: "bad", Prev: in, Next: out}) // no Process
		}
		r, _, out := seqRunlet(t, 4, bad)
		var errs []error
		for _, err := range runlet.Seq(context.Background(), r, out) {
			errs = append(errs, err)
		}
		if len(errs) != 1 || errs[0] == nil || !contains(errs[0].Error(), "nil process") {
			t.Errorf("errors %v, want the Attach error", errs)
		}
	})
}

// A handle of another runlet is refused.
func TestSeqForeignHandle(t *testing.T) {
	r1, _, _ := seqRunlet(t, 4, nil)
	_, _, out2 := seqRunlet(t, 4, nil)
	var errs []error
	for _, err := range runlet.Seq(context.Background(), r1, out2) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || errs[0] == nil {
		t.Errorf("errors %v, want one", errs)
	}
}
