package runlet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// panicCase is a runlet with one user function that panics.
type panicCase struct {
	name string
	// build returns the runlet and, if the panic needs a push from outside
	// (a Describe call while the flow runs), a function the test runs on its
	// own goroutine while Run runs.
	build func(t *testing.T, later *laterErrs) (*runlet.Runlet, func(*runlet.Runlet))
	// names is what the error's text must name: the chip or the view.
	names string
	// first says the panic is Run's error; otherwise Run returns errBoom and
	// the panic reaches Config.OnError.
	first bool
	// attach says Attach fails: the runlet never runs, and Err stays nil.
	attach bool
}

// laterErrs records what Config.OnError receives.
type laterErrs struct {
	mu   sync.Mutex
	errs []error
}

func (l *laterErrs) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *laterErrs) get() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// bomb is a process that panics on value 2.
func bomb(v int) (int, error) {
	if v == 2 {
		panic("boom")
	}
	return v, nil
}

// panicky is an io.Reader and io.Writer that panics.
type panicky struct{}

func (panicky) Read([]byte) (int, error)  { panic("boom") }
func (panicky) Write([]byte) (int, error) { panic("boom") }

// viewRunlet runs 1..5 from a producer (async or not) into view "fan" of a
// logical pool over pends a and b, each drained by an output chip. define
// defines the view over the viewees it is given and returns it.
func viewRunlet(async bool, define func(lp *pool.Pool, viewees []*pool.Pend[int]) (*pool.Pend[int], error), later *laterErrs) *runlet.Runlet {
	store := pool.New("store", 16)
	lp := logicalpool.New("lp", store)
	a, b, x := ip(store, "a"), ip(store, "b"), ip(store, "x")
	fan, err := define(lp, []*pool.Pend[int]{a, b})
	if err != nil {
		panic(err)
	}
	var got []int
	var src chip.Chip = chip.FromSlice("src", fan, ints(5))
	if async {
		src = chip.FromSlice("src", x, ints(5))
	}
	chips := []chip.Chip{src,
		chip.Collect("outA", a, &got),
		chip.Collect("outB", b, &got),
	}
	if async {
		chips = append(chips, mapper("work", x, fan, true, 2, func(v int) int { return v }))
	}
	return runlet.New(chips, runlet.Config{OnError: later.add})
}

// failing is a chain in -> fail -> out where fail returns errBoom on its
// first value, and out carries the given hooks.
func failing(later *laterErrs, onError func(error, *hints.Pack[int], *struct{}), closeHook func(*struct{})) *runlet.Runlet {
	p := pool.New(pk, 4)
	a, b := ip(p, "a"), ip(p, "b")
	out := chip.New(chip.Config[int, struct{}, struct{}]{
		Key: "out", Prev: b,
		Process: func(context.Context, hints.Pack[int], *struct{}) (hints.Pack[struct{}], error) {
			return hints.SkipOf[struct{}](), nil
		},
		OnError: onError, Close: closeHook,
	})
	bad := chip.Map("fail", a, b, func(int) (int, error) { return 0, errBoom })
	return runlet.New([]chip.Chip{source("in", a, ints(3)), bad, out}, runlet.Config{OnError: later.add})
}

var panicCases = []panicCase{
	{name: "process/sync", names: `chip "m"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		var got []int
		return runlet.New([]chip.Chip{source("in", a, ints(5)), chip.Map("m", a, b, bomb), chip.Collect("out", b, &got)}, runlet.Config{OnError: l.add}), nil
	}},
	{name: "process/async", names: `chip "m"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		var got []int
		m := chip.New(chip.Config[int, int, struct{}]{
			Key: "m", Prev: a, Next: b, Async: true, Concurrency: 2,
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				if in.Hint == hints.End {
					return in, nil
				}
				v, err := bomb(in.Value)
				return hints.Data(v), err
			},
		})
		return runlet.New([]chip.Chip{source("in", a, ints(5)), m, chip.Collect("out", b, &got)}, runlet.Config{OnError: l.add}), nil
	}},
	{name: "state factory", names: `chip "s"`, first: true, attach: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		a := ip(pool.New(pk, 4), "a")
		s := chip.New(chip.Config[int, struct{}, int]{
			Key: "s", Prev: a,
			State: func() int { panic("boom") },
			Process: func(context.Context, hints.Pack[int], *int) (hints.Pack[struct{}], error) {
				return hints.SkipOf[struct{}](), nil
			},
		})
		return runlet.New([]chip.Chip{source("in", a, ints(5)), s}, runlet.Config{OnError: l.add}), nil
	}},
	{name: "timer", names: `chip "t"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		a := ip(pool.New(pk, 4), "a")
		tc := chip.New(chip.Config[int, struct{}, struct{}]{
			Key: "t", Prev: a,
			Timer: func(*struct{}) (time.Duration, bool) { panic("boom") },
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
				return hints.SkipOf[struct{}](), nil
			},
		})
		return runlet.New([]chip.Chip{source("in", a, ints(5)), tc}, runlet.Config{OnError: l.add}), nil
	}},
	{name: "describe hook", names: `chip "d"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		// "slow" holds value 1 until the test has called Describe, so the
		// hook runs while the flow runs; "d" runs again after that.
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		release := make(chan struct{})
		slow := mapper("slow", a, b, true, 1, func(v int) int {
			if v == 1 {
				<-release
			}
			return v
		})
		d := chip.New(chip.Config[int, struct{}, struct{}]{
			Key: "d", Prev: b,
			Describe: func(*struct{}) string { panic("boom") },
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
				if in.Hint == hints.End {
					return hints.EndOf[struct{}](1), nil
				}
				return hints.SkipOf[struct{}](), nil
			},
		})
		r := runlet.New([]chip.Chip{source("in", a, ints(5)), slow, d}, runlet.Config{OnError: l.add})
		return r, func(r *runlet.Runlet) {
			synctest.Wait() // slow is blocked on value 1
			if text := r.Describe(); !strings.Contains(text, "Describe panicked: boom") {
				t.Errorf("Describe does not show the hook's panic:\n%s", text)
			}
			close(release)
		}
	}},
	{name: "duplicate clone/sync", names: `view "fan"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		return viewRunlet(false, func(lp *pool.Pool, vs []*pool.Pend[int]) (*pool.Pend[int], error) {
			return logicalpool.Duplicate(lp, "fan", vs, func(v int) int { bomb(v); return v })
		}, l), nil
	}},
	{name: "duplicate clone/async", names: `view "fan"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		return viewRunlet(true, func(lp *pool.Pool, vs []*pool.Pend[int]) (*pool.Pend[int], error) {
			return logicalpool.Duplicate(lp, "fan", vs, func(v int) int { bomb(v); return v })
		}, l), nil
	}},
	{name: "balance key/sync", names: `view "fan"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		return viewRunlet(false, func(lp *pool.Pool, vs []*pool.Pend[int]) (*pool.Pend[int], error) {
			return logicalpool.LoadBalanceByKey(lp, "fan", vs, func(v int) uint64 { bomb(v); return uint64(v) })
		}, l), nil
	}},
	{name: "balance key/async", names: `view "fan"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		return viewRunlet(true, func(lp *pool.Pool, vs []*pool.Pend[int]) (*pool.Pend[int], error) {
			return logicalpool.LoadBalanceByKey(lp, "fan", vs, func(v int) uint64 { bomb(v); return uint64(v) })
		}, l), nil
	}},
	{name: "custom view/async", names: `chip "work"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		// A view of the user's own whose Push panics: the async result
		// path recovers it for the pushing chip.
		return viewRunlet(true, func(lp *pool.Pool, vs []*pool.Pend[int]) (*pool.Pend[int], error) {
			return pool.DefineView(lp, "fan", vs, true, func([]pool.Viewee[int]) pool.View[int] {
				return bombView{}
			})
		}, l), nil
	}},
	{name: "reader/Lines", names: `chip "lines"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		a := sp(pool.New(pk, 4), "a")
		var got []string
		return runlet.New([]chip.Chip{chip.Lines("lines", a, panicky{}), chip.Collect("out", a, &got)}, runlet.Config{OnError: l.add}), nil
	}},
	{name: "reader/FromReader", names: `chip "read"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		a := pool.NewPend[[]byte](pool.New(pk, 4), "a")
		bufs := pool.NewBuffers(64)
		return runlet.New([]chip.Chip{chip.FromReader("read", a, panicky{}, bufs), chip.ToWriter("w", a, io.Discard, bufs)}, runlet.Config{OnError: l.add}), nil
	}},
	{name: "writer/ToWriter", names: `chip "w"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		a := pool.NewPend[[]byte](pool.New(pk, 4), "a")
		bufs := pool.NewBuffers(64)
		return runlet.New([]chip.Chip{chip.FromReader("read", a, strings.NewReader("hello"), bufs), chip.ToWriter("w", a, panicky{}, bufs)}, runlet.Config{OnError: l.add}), nil
	}},
	{name: "writer/Transform", names: `chip "tr"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		p := pool.New(pk, 4)
		a, b := pool.NewPend[[]byte](p, "a"), pool.NewPend[[]byte](p, "b")
		bufs := pool.NewBuffers(64)
		wc := func(io.Writer) (io.WriteCloser, error) { return nopCloser{panicky{}}, nil }
		return runlet.New([]chip.Chip{
			chip.FromReader("read", a, strings.NewReader("hello"), bufs),
			chip.Transform("tr", a, b, bufs, wc),
			chip.ToWriter("w", b, io.Discard, bufs),
		}, runlet.Config{OnError: l.add}), nil
	}},
	{name: "reader/TransformReader", names: `chip "tr"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		p := pool.New(pk, 4)
		a, b := pool.NewPend[[]byte](p, "a"), pool.NewPend[[]byte](p, "b")
		bufs := pool.NewBuffers(64)
		rd := func(io.Reader) (io.Reader, error) { return panicky{}, nil }
		return runlet.New([]chip.Chip{
			chip.FromReader("read", a, strings.NewReader("hello"), bufs),
			chip.TransformReader("tr", a, b, bufs, rd),
			chip.ToWriter("w", b, io.Discard, bufs),
		}, runlet.Config{OnError: l.add}), nil
	}},
	{name: "close hook/clean end", names: `chip "c"`, first: true, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		a := ip(pool.New(pk, 4), "a")
		c := chip.New(chip.Config[int, struct{}, struct{}]{
			Key: "c", Prev: a,
			Close: func(*struct{}) { panic("boom") },
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
				if in.Hint == hints.End {
					return hints.EndOf[struct{}](1), nil
				}
				return hints.SkipOf[struct{}](), nil
			},
		})
		return runlet.New([]chip.Chip{source("in", a, ints(5)), c}, runlet.Config{OnError: l.add}), nil
	}},
	{name: "close hook/after an error", names: `chip "out"`, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		return failing(l, nil, func(*struct{}) { panic("boom") }), nil
	}},
	{name: "chip OnError hook", names: `chip "out"`, build: func(t *testing.T, l *laterErrs) (*runlet.Runlet, func(*runlet.Runlet)) {
		return failing(l, func(error, *hints.Pack[int], *struct{}) { panic("boom") }, nil), nil
	}},
}

// bombView is a push-only view whose Push panics on value 2.
type bombView struct{}

func (bombView) Limited() bool { return false }
func (bombView) Len() int      { return 0 }
func (bombView) Push(pk hints.Pack[int]) error {
	if pk.Hint == hints.None {
		bomb(pk.Value)
	}
	return nil
}
func (bombView) Pull() (hints.Pack[int], bool) { return hints.Pack[int]{}, false }
func (bombView) Peek() (hints.Pack[int], bool) { return hints.Pack[int]{}, false }

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Every user function that panics fails the runlet with a one-line error
// naming the chip or view, whose PanicError holds the stack; a panic after
// the first error goes to Config.OnError the same way. Nothing crashes,
// nothing hangs, no goroutine is left, and the runlet answers afterwards.
func TestNoPanicEscapes(t *testing.T) {
	for _, tc := range panicCases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var later laterErrs
				r, during := tc.build(t, &later)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if during != nil {
					go during(r)
				}
				err := r.Run(ctx)
				if errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Run hung: %v\n%s", err, r.Describe())
				}
				if !tc.first {
					if !errors.Is(err, errBoom) {
						t.Fatalf("Run = %v, want errBoom", err)
					}
					errs := later.get()
					if len(errs) != 1 {
						t.Fatalf("Config.OnError got %v, want the panic alone", errs)
					}
					err = errs[0]
				}
				checkPanicError(t, err, tc.names)
				if got := r.Err(); tc.first && !tc.attach && got != err {
					t.Errorf("Err() = %v, want Run's error", got)
				}
				_ = r.Describe()
			})
		})
	}
}

// checkPanicError checks err is a one-line error naming names, with a
// PanicError of "boom" and its stack.
func checkPanicError(t *testing.T, err error, names string) {
	t.Helper()
	var pe *chip.PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" || len(pe.Stack) == 0 {
		t.Fatalf("error %v: want a PanicError of boom with a stack", err)
	}
	text := err.Error()
	if strings.Contains(text, "\n") {
		t.Errorf("error text is not one line:\n%s", text)
	}
	if !strings.Contains(text, names) || !strings.Contains(text, "panic: boom") {
		t.Errorf("error %q does not name %s and the panic", text, names)
	}
	if full := fmt.Sprintf("%+v", pe); !strings.Contains(full, "goroutine") {
		t.Errorf("%%+v of the PanicError lacks the stack:\n%s", full)
	}
}

// A panic in Config.OnError itself leaves the runlet usable: Run returns
// its first error, the panic is logged, and Describe and Err answer.
func TestOnErrorPanicIsContained(t *testing.T) {
	var logged bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	defer slog.SetDefault(old)
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		out := chip.New(chip.Config[int, struct{}, struct{}]{
			Key: "out", Prev: b,
			Process: func(context.Context, hints.Pack[int], *struct{}) (hints.Pack[struct{}], error) {
				return hints.SkipOf[struct{}](), nil
			},
			OnError: func(error, *hints.Pack[int], *struct{}) { panic("hook") },
		})
		bad := chip.Map("fail", a, b, func(int) (int, error) { return 0, errBoom })
		r := runlet.New([]chip.Chip{source("in", a, ints(3)), bad, out},
			runlet.Config{OnError: func(error) { panic("boom") }})
		if err := r.Run(context.Background()); !errors.Is(err, errBoom) {
			t.Fatalf("Run = %v, want errBoom", err)
		}
		if err := r.Err(); !errors.Is(err, errBoom) {
			t.Errorf("Err = %v, want errBoom", err)
		}
		if d := r.Describe(); !strings.Contains(d, "fail") {
			t.Errorf("Describe:\n%s", d)
		}
	})
	if !strings.Contains(logged.String(), "boom") || !strings.Contains(logged.String(), "out") {
		t.Errorf("the panic of Config.OnError was not logged with the error it reported:\n%s", logged.String())
	}
}

// A panic in Config.OnError while the runlet has no error yet (here: work
// of an upstream chip fails after the flow ended) becomes Run's error.
func TestOnErrorPanicFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 64)
		a, b, c := ip(p, "a").Size(0, 1), ip(p, "b"), ip(p, "c")
		go1 := make(chan struct{})
		work := chip.New(chip.Config[int, int, struct{}]{
			Key: "work", Prev: a, Next: b, Async: true, Concurrency: 2,
			Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				switch in.Value {
				case 1:
					<-go1
					return in, nil
				case 2:
					<-ctx.Done() // the flow ends meanwhile
					return in, errBoom
				}
				return in, nil
			},
		})
		var got []int
		r := runlet.New([]chip.Chip{
			source("in", a, ints(3)), work,
			chip.Take("take", b, c, 1), chip.Collect("out", c, &got),
		}, runlet.Config{OnError: func(error) { panic("boom") }})
		done := make(chan error)
		go func() { done <- r.Run(context.Background()) }()
		synctest.Wait()
		close(go1)
		err := <-done
		checkPanicError(t, err, `chip "work"`)
		if !errors.Is(err, errBoom) {
			t.Errorf("Run = %v, want it to carry the error OnError was given", err)
		}
	})
}
