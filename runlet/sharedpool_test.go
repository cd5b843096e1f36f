package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// pendPacks returns how many packs pend holds in pool p, from its snapshot.
func pendPacks(p *pool.Pool, pend string) int {
	for _, ps := range p.Snapshot().Pends {
		if ps.Key == pend {
			return ps.Packs
		}
	}
	return 0
}

// snapPacks returns how many packs pend of pool holds in a runlet snapshot.
func snapPacks(s runlet.Snapshot, poolKey, pend string) int {
	for _, ps := range s.Pools {
		if ps.Key != poolKey {
			continue
		}
		for _, pd := range ps.Pends {
			if pd.Key == pend {
				return pd.Packs
			}
		}
	}
	return 0
}

// secondRunGetsItsOwn runs FromSlice{100,101} -> p.a -> Collect on p and
// checks that it returns exactly its own values.
func secondRunGetsItsOwn(t *testing.T, p *pool.Pool) {
	t.Helper()
	var got []int
	a := ip(p, "a")
	r := runlet.New([]chip.Chip{
		chip.FromSlice("src", a, []int{100, 101}),
		chip.Collect("out", a, &got),
	}, runlet.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Run(ctx); err != nil {
		t.Fatalf("second run: %v", err)
	}
	equal(t, "second run's values", got, []int{100, 101})
}

// A runlet that stops with packs still queued (its Take ended early, a chip
// failed, its ctx was cancelled, it was aborted or detached) leaves none of
// them in the pool: a later runlet on the same pool and pend keys receives
// exactly its own values.
func TestSharedPoolLeftoversDoNotLeak(t *testing.T) {
	values := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	// Each case builds run 1's middle chip (p.a -> p.b) and says how it
	// stops; run 1 is FromSlice 0..9 -> p.a -> middle -> p.b -> Collect.
	cases := []struct {
		name    string
		middle  func(r **runlet.Runlet, cancel context.CancelFunc, a, b *pool.Pend[int]) chip.Chip
		wantErr func(error) bool
	}{
		{"take", func(_ **runlet.Runlet, _ context.CancelFunc, a, b *pool.Pend[int]) chip.Chip {
			return chip.Take[int]("mid", a, b, 2)
		}, func(err error) bool { return err == nil }},
		{"error", func(_ **runlet.Runlet, _ context.CancelFunc, a, b *pool.Pend[int]) chip.Chip {
			return chip.Map("mid", a, b, func(v int) (int, error) {
				if v == 2 {
					return 0, errors.New("boom")
				}
				return v, nil
			})
		}, func(err error) bool { var ce *runlet.ChipError; return errors.As(err, &ce) }},
		{"cancel", func(_ **runlet.Runlet, cancel context.CancelFunc, a, b *pool.Pend[int]) chip.Chip {
			return chip.Tap("mid", a, b, func(v int) error {
				if v == 2 {
					cancel()
					synctest.Wait() // the ctx's callback has posted its mail
				}
				return nil
			})
		}, func(err error) bool { return errors.Is(err, context.Canceled) }},
		{"abort", func(r **runlet.Runlet, _ context.CancelFunc, a, b *pool.Pend[int]) chip.Chip {
			return chip.Tap("mid", a, b, func(v int) error {
				if v == 2 {
					(*r).Abort(nil)
				}
				return nil
			})
		}, func(err error) bool { return errors.Is(err, runlet.ErrAborted) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New("p", 64)
				a, b := ip(p, "a"), ip(p, "b")
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				var r *runlet.Runlet
				var got []int
				r = runlet.New([]chip.Chip{
					chip.FromSlice("src", a, values),
					c.middle(&r, cancel, a, b),
					chip.Collect("out", b, &got),
				}, runlet.Config{Budget: 1})
				if err := r.Run(ctx); !c.wantErr(err) {
					t.Fatalf("first run: %v", err)
				}
				if n := pendPacks(p, "a"); n != 0 {
					t.Errorf("pend a holds %d packs after the first run, want 0", n)
				}
				if s := p.Size(); s != 0 {
					t.Errorf("pool size %d after the first run, want 0", s)
				}
				secondRunGetsItsOwn(t, p)
			})
		})
	}
}

// Detach returns the state as it was, queued packs included, and still
// leaves nothing in the pool for a later runlet.
func TestSharedPoolDetachShowsThenEmpties(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("p", 64)
		a, b := ip(p, "a"), ip(p, "b")
		gate := make(chan struct{})
		var got []int
		r := runlet.New([]chip.Chip{
			chip.FromSlice("src", a, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}),
			chip.New(chip.Config[int, int, struct{}]{
				Key: "mid", Prev: a, Next: b, Async: true, Concurrency: 1,
				Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					<-gate
					return in, nil
				},
			}),
			chip.Collect("out", b, &got),
		}, runlet.Config{})
		done := make(chan error, 1)
		go func() { done <- r.Run(context.Background()) }()
		synctest.Wait() // the worker waits at the gate; a holds the rest
		s := r.Detach()
		if n := snapPacks(s, "p", "a"); n == 0 {
			t.Errorf("Detach's snapshot shows pend a empty, want the packs it held:\n%s", s)
		}
		close(gate)
		if err := <-done; !errors.Is(err, runlet.ErrDetached) {
			t.Fatalf("first run: %v", err)
		}
		if n := pendPacks(p, "a"); n != 0 {
			t.Errorf("pend a holds %d packs after Detach, want 0", n)
		}
		secondRunGetsItsOwn(t, p)
	})
}

// Two runlets sharing a pend, one feeding and one reading it, run one after
// the other: what the producer leaves in the pend it hands over (declared
// with PendOutput) is kept for the reader.
func TestSharedPoolHandOverIsKept(t *testing.T) {
	p := pool.New("p", 64)
	x := ip(p, "x")
	a := runlet.New([]chip.Chip{chip.FromSlice("src", x, []int{1, 2, 3})}, runlet.Config{})
	if _, err := runlet.PendOutput(a, x); err != nil {
		t.Fatal(err)
	}
	var s sink[int]
	b := runlet.New([]chip.Chip{s.output("out", x)}, runlet.Config{})
	if _, err := runlet.PendInput(b, x); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	equal(t, "handed over", s.values(), []int{1, 2, 3})
}

// A scheduling group forgets the runlets that ended and those never run:
// after many sequential runs on one pool, with never-run runlets built on it
// along the way, it holds no member and the heap has not grown.
func TestGroupForgetsEndedRunlets(t *testing.T) {
	runs := 20000
	if testing.Short() {
		runs = 2000
	}
	p := pool.New("p", 8)
	a := ip(p, "a")
	run := func(i int) {
		var got []int
		r := runlet.New([]chip.Chip{
			chip.FromSlice("src", a, []int{i, i + 1}),
			chip.Collect("out", a, &got),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if len(got) != 2 || got[0] != i {
			t.Fatalf("run %d got %v", i, got)
		}
		if i%10 == 0 { // one built and never run, one attached and never run
			runlet.New([]chip.Chip{chip.FromSlice("src", a, []int{1})}, runlet.Config{})
			n := runlet.New([]chip.Chip{
				chip.FromSlice("src", a, []int{1}),
				chip.Collect("out", a, &got),
			}, runlet.Config{})
			if err := n.Attach(); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(0)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 1; i < runs; i++ {
		run(i)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := runlet.GroupMembers(p); n != 0 {
		t.Errorf("group holds %d members after %d sequential runs, want 0", n, runs)
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 1<<20 {
		t.Errorf("heap grew by %d bytes over %d sequential runs, want under 1 MiB", grew, runs)
	}
}

// A runlet built (or attached) on a pool and never run does not keep a later
// runlet on that pool from being judged stalled.
func TestNeverRunRunletDoesNotHideStall(t *testing.T) {
	for _, attach := range []bool{false, true} {
		t.Run(fmt.Sprint("attach=", attach), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New("p", 4)
				x, a, b := ip(p, "x"), ip(p, "a"), ip(p, "b")
				var got []int
				never := runlet.New([]chip.Chip{
					chip.FromSlice("src", x, []int{1}),
					chip.Collect("out", x, &got),
				}, runlet.Config{})
				if attach {
					if err := never.Attach(); err != nil {
						t.Fatal(err)
					}
				}
				var s sink[int]
				r := runlet.New([]chip.Chip{
					source("in", a, ints(3)), swallowEnd("lost-end", a, b), s.output("out", b),
				}, runlet.Config{})
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if err := r.Run(ctx); !errors.Is(err, runlet.ErrStalled) {
					t.Fatalf("Run = %v, want ErrStalled", err)
				}
			})
		})
	}
}
