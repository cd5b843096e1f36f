package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

var errBoom = errors.New("boom")

// told records, in order, which chips were told which error and with what
// held pack.
type told struct {
	mu    sync.Mutex
	lines []string
}

func (tl *told) add(key string, err error, held *hints.Pack[int]) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	h := "nil"
	if held != nil {
		h = held.String()
	}
	tl.lines = append(tl.lines, fmt.Sprintf("%s:%v:%s", key, errors.Is(err, errBoom), h))
}

// chainWithFailure builds in -> pass -> fail(at value 3) -> pass2 -> out
// over pends a, b, c, d of p, recording error notifications.
func chainWithFailure(tl *told, p *pool.Pool, async bool, fail func(int) error) []chip.Chip {
	a, b, c, d := ip(p, "a"), ip(p, "b"), ip(p, "c"), ip(p, "d")
	pass := func(key string, prev, next *pool.Pend[int], f func(int) error) chip.Chip {
		return chip.New(chip.Config[int, int, struct{}]{
			Key: key, Prev: prev, Next: next, Async: async,
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				if in.Hint != hints.End && f != nil {
					if err := f(in.Value); err != nil {
						return in, err
					}
				}
				return in, nil
			},
			OnError: func(err error, held *hints.Pack[int], _ *struct{}) { tl.add(key, err, held) },
		})
	}
	in := chip.New(chip.Config[struct{}, int, int]{
		Key: "in", Next: a,
		Process: func(_ context.Context, _ hints.Pack[struct{}], i *int) (hints.Pack[int], error) {
			*i++
			return hints.Data(*i), nil // never ends by itself
		},
		OnError: func(err error, _ *hints.Pack[struct{}], _ *int) { tl.add("in", err, nil) },
	})
	out := chip.New(chip.Config[int, struct{}, struct{}]{
		Key: "out", Prev: d,
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
			if in.Hint == hints.End {
				return hints.EndOf[struct{}](1), nil
			}
			return hints.SkipOf[struct{}](), nil
		},
		OnError: func(err error, held *hints.Pack[int], _ *struct{}) { tl.add("out", err, held) },
	})
	return []chip.Chip{in, pass("p1", a, b, nil), pass("fail", b, c, fail), pass("p2", c, d, nil), out}
}

// An error in a middle chip reaches Run wrapped with the chip key, and every
// unfinished chip is told once, in chip order; the failing chip gets no pack.
func TestMiddleErrorReachesRunAndEveryChip(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var tl told
				chips := chainWithFailure(&tl, pool.New(pk, 2), async, func(v int) error {
					if v == 3 {
						return fmt.Errorf("value %d: %w", v, errBoom)
					}
					return nil
				})
				r := newRunlet(chips...)
				err := r.Run(context.Background())
				var ce *runlet.ChipError
				if !errors.As(err, &ce) || ce.Chip != "fail" || !errors.Is(err, errBoom) {
					t.Fatalf("Run = %v, want a ChipError for chip \"fail\" wrapping errBoom", err)
				}
				if !strings.Contains(err.Error(), `chip "fail"`) {
					t.Errorf("error text %q does not name the chip", err)
				}
				var keys []string
				for _, l := range tl.lines {
					keys = append(keys, strings.SplitN(l, ":", 2)[0])
					if !strings.Contains(l, ":true:") {
						t.Errorf("notification %q did not carry errBoom", l)
					}
				}
				equal(t, "told chips in order", keys, []string{"in", "p1", "fail", "p2", "out"})
				for _, l := range tl.lines {
					if strings.HasPrefix(l, "fail:") && !strings.HasSuffix(l, ":nil") {
						t.Errorf("failing chip was told with a pack: %q", l)
					}
				}
				if d := r.Describe(); !strings.HasPrefix(d, "[FAILED]") {
					t.Errorf("Describe does not start with [FAILED]:\n%s", d)
				}
			})
		})
	}
}

// A panic in a process becomes an error with the panic value and a stack.
func TestPanicBecomesError(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var tl told
				chips := chainWithFailure(&tl, pool.New(pk, 3), async, func(v int) error {
					if v == 5 {
						panic("kaboom")
					}
					return nil
				})
				err := newRunlet(chips...).Run(context.Background())
				var pe *chip.PanicError
				if !errors.As(err, &pe) || pe.Value != "kaboom" {
					t.Fatalf("Run = %v, want a PanicError with value kaboom", err)
				}
				if !strings.Contains(string(pe.Stack), "errors_test.go") {
					t.Errorf("panic stack does not show the panicking function:\n%s", pe.Stack)
				}
				var ce *runlet.ChipError
				if !errors.As(err, &ce) || ce.Chip != "fail" {
					t.Errorf("Run = %v, want it wrapped with chip \"fail\"", err)
				}
			})
		})
	}
}

// Chips that ended before the error are not told; a blocked chip is told
// with the pack it holds.
func TestEndedChipsAreNotTold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 5)
		a, b := ip(p, "a"), ip(p, "b")
		var tl told
		in := source("in", a, []int{1, 2})
		failAtEnd := chip.New(chip.Config[int, int, struct{}]{
			Key: "fail", Prev: a, Next: b,
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				if in.Hint == hints.End {
					return in, errBoom
				}
				return in, nil
			},
			OnError: func(err error, held *hints.Pack[int], _ *struct{}) { tl.add("fail", err, held) },
		})
		var s sink[int]
		err := newRunlet(in, failAtEnd, s.output("out", b)).Run(context.Background())
		if !errors.Is(err, errBoom) {
			t.Fatalf("Run = %v, want errBoom", err)
		}
		equal(t, "told", tl.lines, []string{"fail:true:nil"})
		if len(s.Errs) != 1 || !errors.Is(s.Errs[0], errBoom) {
			t.Errorf("output was told %v, want errBoom once", s.Errs)
		}
		// fail pushed 1 and 2 and failed on END in one burst: out never ran.
		equal(t, "delivered before the error", s.values(), nil)
	})
}

// Later errors (here: a panic in an OnError hook) go to Config.OnError.
func TestLaterErrorsGoToOnError(t *testing.T) {
	p := pool.New(pk, 1)
	a, b := ip(p, "a"), ip(p, "b")
	var later []error
	bad := chip.New(chip.Config[int, int, struct{}]{
		Key: "bad", Prev: a, Next: b,
		Process: func(context.Context, hints.Pack[int], *struct{}) (hints.Pack[int], error) {
			return hints.Pack[int]{}, errBoom
		},
	})
	out := chip.New(chip.Config[int, struct{}, struct{}]{
		Key: "out", Prev: b,
		Process: func(context.Context, hints.Pack[int], *struct{}) (hints.Pack[struct{}], error) {
			return hints.SkipOf[struct{}](), nil
		},
		OnError: func(error, *hints.Pack[int], *struct{}) { panic("hook failed") },
	})
	r := runlet.New([]chip.Chip{source("in", a, []int{1}), bad, out},
		runlet.Config{OnError: func(err error) { later = append(later, err) }})
	if err := r.Run(context.Background()); !errors.Is(err, errBoom) {
		t.Fatalf("Run = %v, want errBoom", err)
	}
	if len(later) != 1 || !strings.Contains(later[0].Error(), "hook failed") || !strings.Contains(later[0].Error(), `chip "out"`) {
		t.Errorf("OnError got %v, want one error naming chip \"out\" and the hook's panic", later)
	}
}

// Abort stops a flow that would never end; the error matches ErrAborted and
// the cause, and every chip is told.
func TestAbort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var tl told
		chips := chainWithFailure(&tl, pool.New(pk, 4), true, func(v int) error {
			time.Sleep(time.Millisecond) // an async chip busy in "I/O"
			return nil
		})
		r := newRunlet(chips...)
		cause := errors.New("operator said stop")
		go func() {
			time.Sleep(50 * time.Millisecond)
			r.Abort(cause)
		}()
		err := r.Run(context.Background())
		if !errors.Is(err, runlet.ErrAborted) || !errors.Is(err, cause) {
			t.Fatalf("Run = %v, want ErrAborted wrapping the cause", err)
		}
		if len(tl.lines) != 5 {
			t.Errorf("told %d chips, want 5: %v", len(tl.lines), tl.lines)
		}
	})
}

// Cancelling Run's ctx stops the flow, cancels the process ctx of async
// chips blocked in I/O, and Run returns ctx's error.
func TestContextCancelStopsBlockedAsyncWork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 8)
		a, b := ip(p, "a"), ip(p, "b")
		blocked := chip.New(chip.Config[int, int, struct{}]{
			Key: "io", Prev: a, Next: b, Async: true, Concurrency: 4,
			Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				<-ctx.Done() // blocked until the runlet stops
				return in, ctx.Err()
			},
		})
		var s sink[int]
		r := newRunlet(source("in", a, ints(100)), blocked, s.output("out", b))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := r.Run(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Run = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("Run returned after %v, want exactly 1s of fake time", d)
		}
		if len(s.Errs) != 1 || !errors.Is(s.Errs[0], context.DeadlineExceeded) {
			t.Errorf("output told %v, want the ctx error once", s.Errs)
		}
	})
}
