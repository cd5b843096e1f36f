package runlet_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

var errSubTest = errors.New("sub test failure")

// subBuild returns a build function for SubRunlet: a passive runlet over a
// pool "s" of limit whose chips (made by mk) pull from pend "in" and push
// into pend "out". last, if not nil, gets the runlet built last.
func subBuild(limit int, last *atomic.Pointer[runlet.Runlet], mk func(in, out *pool.Pend[int]) []chip.Chip) func() (*runlet.Runlet, *runlet.Input[int], *runlet.Output[int], error) {
	return func() (*runlet.Runlet, *runlet.Input[int], *runlet.Output[int], error) {
		p := pool.New("s", limit)
		inP, outP := ip(p, "in"), ip(p, "out")
		r := runlet.New(mk(inP, outP), runlet.Config{})
		in, err := runlet.PendInput(r, inP)
		if err != nil {
			return nil, nil, nil, err
		}
		out, err := runlet.PendOutput(r, outP)
		if err != nil {
			return nil, nil, nil, err
		}
		if last != nil {
			last.Store(r)
		}
		return r, in, out, nil
	}
}

// doubleThenFilter is x*2 then a filter dropping multiples of 3 (N:1),
// through pend "mid" of in's pool.
func doubleThenFilter(fail int) func(in, out *pool.Pend[int]) []chip.Chip {
	return func(in, out *pool.Pend[int]) []chip.Chip {
		mid := ip(in.Pool(), "mid")
		return []chip.Chip{
			chip.Map("double", in, mid, func(x int) (int, error) {
				if x == fail {
					return 0, errSubTest
				}
				return x * 2, nil
			}),
			chip.Filter("no3", mid, out, func(x int) (bool, error) { return x%3 != 0, nil }),
		}
	}
}

// A parent input -> SubRunlet(x*2, then a filter) -> parent output gets the
// right values, in order, and one END; the sub-runlet ran to its end.
func TestSubRunletMapFilter(t *testing.T) {
	for _, limit := range []int{1, 4, 64} {
		t.Run("", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var subR atomic.Pointer[runlet.Runlet]
				var s sink[int]
				p := pool.New(pk, 4)
				a, b := ip(p, "a"), ip(p, "b")
				parent := newRunlet(
					source("src", a, ints(200)),
					runlet.SubRunlet("sub", a, b, subBuild(limit, &subR, doubleThenFilter(-1))),
					s.output("sink", b),
				)
				mustRun(t, parent)
				var want []int
				for _, v := range ints(200) {
					if v*2%3 != 0 {
						want = append(want, v*2)
					}
				}
				equal(t, "values", s.values(), want)
				if s.Ends != 1 {
					t.Errorf("sink saw %d ENDs, want 1", s.Ends)
				}
				r := subR.Load()
				select {
				case <-r.Done():
				default:
					t.Fatal("the sub-runlet is still running after the parent's Run")
				}
				if err := r.Err(); err != nil {
					t.Errorf("the sub-runlet's error: %v, want nil (a clean end)", err)
				}
			})
		})
	}
}

// A chip error inside the sub-runlet fails the parent: errors.As reaches the
// SubRunlet chip's ChipError and, through it, the inner chip's.
func TestSubRunletChipErrorFailsParent(t *testing.T) {
	for _, at7 := range []int{7, 200} { // mid-stream, and the last value (seen at END)
		t.Run("", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var s sink[int]
				p := pool.New(pk, 4)
				a, b := ip(p, "a"), ip(p, "b")
				parent := newRunlet(
					source("src", a, ints(200)),
					runlet.SubRunlet("sub", a, b, subBuild(4, nil, doubleThenFilter(at7))),
					s.output("sink", b),
				)
				err := parent.Run(context.Background())
				if !errors.Is(err, errSubTest) {
					t.Fatalf("Run: %v, want the inner chip's error", err)
				}
				var outer *runlet.ChipError
				if !errors.As(err, &outer) || outer.Chip != "sub" {
					t.Fatalf("Run: %v, want a ChipError naming the SubRunlet chip", err)
				}
				var inner *runlet.ChipError
				if !errors.As(outer.Err, &inner) || inner.Chip != "double" || !errors.Is(inner, errSubTest) {
					t.Fatalf("Run: %v, want it to wrap the inner chip's ChipError", err)
				}
				if s.Ends != 0 || len(s.Errs) != 1 {
					t.Errorf("sink saw %d ENDs and was told %v, want no END and the error once", s.Ends, s.Errs)
				}
				for _, v := range s.values() {
					if v >= 2*at7 {
						t.Errorf("value %d passed after the failing input %d", v, at7)
					}
				}
			})
		})
	}
}

// An Abort of the parent stops the sub-runlet, even with work in flight
// inside it, and Run returns with no goroutine left (synctest checks).
func TestSubRunletParentAbortStopsSub(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var subR atomic.Pointer[runlet.Runlet]
		var told atomic.Int32
		mk := func(in, out *pool.Pend[int]) []chip.Chip {
			return []chip.Chip{chip.New(chip.Config[int, int, struct{}]{
				Key: "blocks", Prev: in, Next: out, Async: true,
				Process: func(ctx context.Context, pk hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					if pk.Hint == hints.End {
						return pk, nil
					}
					if pk.Value == 5 {
						<-ctx.Done() // stuck until the sub stops
						return pk, ctx.Err()
					}
					return pk, nil
				},
				OnError: func(err error, _ *hints.Pack[int], _ *struct{}) {
					if errors.Is(err, runlet.ErrAborted) {
						told.Add(1)
					}
				},
			})}
		}
		var s sink[int]
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		parent := newRunlet(
			endless("src", a),
			runlet.SubRunlet("sub", a, b, subBuild(2, &subR, mk)),
			s.output("sink", b),
		)
		done := make(chan error, 1)
		go func() { done <- parent.Run(context.Background()) }()
		synctest.Wait() // the sub is stuck at 5, the parent waits for room in it
		if r := subR.Load(); r == nil {
			t.Fatal("the sub-runlet was never built")
		} else {
			select {
			case <-r.Done():
				t.Fatal("the sub-runlet stopped before the parent's Abort")
			default:
			}
		}
		parent.Abort(errSubTest)
		err := <-done
		if !errors.Is(err, runlet.ErrAborted) || !errors.Is(err, errSubTest) {
			t.Fatalf("Run: %v, want the Abort", err)
		}
		r := subR.Load()
		select {
		case <-r.Done():
		default:
			t.Fatal("the sub-runlet still runs after the parent's Run returned")
		}
		if !errors.Is(r.Err(), runlet.ErrAborted) {
			t.Errorf("the sub-runlet's error: %v, want an abort", r.Err())
		}
		if told.Load() != 1 {
			t.Errorf("the sub's chip was told the abort %d times, want 1", told.Load())
		}
		got := s.values()
		if len(got) > 4 {
			t.Errorf("%d values delivered, but the sub was stuck at the 5th", len(got))
		}
		equal(t, "values before the stuck one", got, ints(len(got)))
	})
}

// A 1:N chip (REDO) inside the sub-runlet delivers all its outputs, in order,
// whether it is sync (outputs ready when the push returns) or async (outputs
// arriving later, filling the sub's small pool while the parent pushes).
func TestSubRunletOneToMany(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run("", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const fan = 3
				mk := func(in, out *pool.Pend[int]) []chip.Chip {
					return []chip.Chip{chip.New(chip.Config[int, int, int]{
						Key: "fan", Prev: in, Next: out, Async: async,
						Process: func(_ context.Context, pk hints.Pack[int], k *int) (hints.Pack[int], error) {
							if pk.Hint == hints.End {
								return pk, nil
							}
							*k++
							v := pk.Value*10 + *k
							if *k < fan {
								return hints.Again(v), nil
							}
							*k = 0
							return hints.Data(v), nil
						},
					})}
				}
				var s sink[int]
				p := pool.New(pk, 4)
				a, b := ip(p, "a"), ip(p, "b")
				parent := newRunlet(
					source("src", a, ints(100)),
					runlet.SubRunlet("sub", a, b, subBuild(2, nil, mk)),
					s.output("sink", b),
				)
				mustRun(t, parent)
				var want []int
				for _, v := range ints(100) {
					for k := 1; k <= fan; k++ {
						want = append(want, v*10+k)
					}
				}
				equal(t, "values", s.values(), want)
				if s.Ends != 1 {
					t.Errorf("sink saw %d ENDs, want 1", s.Ends)
				}
			})
		})
	}
}

// A sub-runlet that ends before its input (a Take inside) ends the chip:
// the parent's flow ends cleanly with what the sub let through.
func TestSubRunletEndsEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var subR atomic.Pointer[runlet.Runlet]
		mk := func(in, out *pool.Pend[int]) []chip.Chip {
			return []chip.Chip{chip.Take[int]("take", in, out, 5)}
		}
		var s sink[int]
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		parent := newRunlet(
			endless("src", a),
			runlet.SubRunlet("sub", a, b, subBuild(4, &subR, mk)),
			s.output("sink", b),
		)
		mustRun(t, parent)
		equal(t, "values", s.values(), ints(5))
		if s.Ends != 1 {
			t.Errorf("sink saw %d ENDs, want 1", s.Ends)
		}
		select {
		case <-subR.Load().Done():
		default:
			t.Fatal("the sub-runlet still runs after the parent's Run returned")
		}
	})
}

// Each Bind builds a fresh sub-runlet; a build error fails the parent.
func TestSubRunletBuild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var builds atomic.Int32
		p := pool.New(pk, 4) // the parents take turns on it
		a, b := ip(p, "a"), ip(p, "b")
		build := subBuild(4, nil, doubleThenFilter(-1))
		sub := runlet.SubRunlet("sub", a, b, func() (*runlet.Runlet, *runlet.Input[int], *runlet.Output[int], error) {
			builds.Add(1)
			return build()
		})
		for range 2 { // the same chip in two parents, one after the other
			var s sink[int]
			mustRun(t, newRunlet(source("src", a, ints(3)), sub, s.output("sink", b)))
			equal(t, "values", s.values(), []int{2, 4})
		}
		if builds.Load() != 2 {
			t.Errorf("built %d sub-runlets for 2 parents, want 2", builds.Load())
		}

		bad := runlet.SubRunlet("sub", a, b, func() (*runlet.Runlet, *runlet.Input[int], *runlet.Output[int], error) {
			return nil, nil, nil, errSubTest
		})
		err := newRunlet(source("src", a, ints(3)), bad, new(sink[int]).output("sink", b)).Run(context.Background())
		var ce *runlet.ChipError
		if !errors.Is(err, errSubTest) || !errors.As(err, &ce) || ce.Chip != "sub" {
			t.Fatalf("Run: %v, want the build error in a ChipError naming the chip", err)
		}
	})
}

// A sub-runlet that shares a pool with its parent (one scheduling group) is
// refused with a clear error. Without the check, a parent that stops while
// the sub runs (here: an endless source and a deadline) would wait forever
// under the group's lock for the sub's Run, which needs that lock.
func TestSubRunletSharingAPoolIsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := pool.New(pk, 8)
		a, b, sin, sout := ip(shared, "a"), ip(shared, "b"), ip(shared, "sin"), ip(shared, "sout")
		sub := runlet.SubRunlet("sub", a, b, func() (*runlet.Runlet, *runlet.Input[int], *runlet.Output[int], error) {
			r := runlet.New([]chip.Chip{mapper("m", sin, sout, false, 0, func(v int) int { return v })}, runlet.Config{})
			in, _ := runlet.PendInput(r, sin)
			out, _ := runlet.PendOutput(r, sout)
			return r, in, out, nil
		})
		endless := chip.NewInput("src", a, nil, func(_ context.Context, i *int) (hints.Pack[int], error) {
			*i++
			return hints.Data(*i), nil
		})
		parent := runlet.New([]chip.Chip{endless, sub, new(sink[int]).output("sink", b)}, runlet.Config{})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := parent.Run(ctx)
		if err == nil || !strings.Contains(err.Error(), "shares a pool with another runlet") {
			t.Fatalf("Run = %v, want the sharing refused", err)
		}
	})
}
