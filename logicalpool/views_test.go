package logicalpool_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

func ints(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// sink collects values and ENDs; an async sink sleeps per value.
type sink[T any] struct {
	mu   sync.Mutex
	got  []T
	ends int
}

func (s *sink[T]) chip(key string, prev *pool.Pend[T], delay time.Duration) chip.Chip {
	return chip.New(chip.Config[T, struct{}, struct{}]{
		Key: key, Prev: prev, Async: delay > 0,
		Process: func(_ context.Context, in hints.Pack[T], _ *struct{}) (hints.Pack[struct{}], error) {
			time.Sleep(delay)
			s.mu.Lock()
			defer s.mu.Unlock()
			if in.Hint == hints.End {
				s.ends++
				return hints.EndOf[struct{}](1), nil
			}
			s.got = append(s.got, in.Value)
			return hints.SkipOf[struct{}](), nil
		},
	})
}

func (s *sink[T]) values() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]T(nil), s.got...)
}

func equal[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// Duplicate: every consumer gets every value and one END, and the slow one
// sets the pace: the pool never holds more than its limit plus one bust.
func TestDuplicateSlowAndFastStayWithinTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := pool.New("store", 16)
		lp := logicalpool.New("fan", inner)
		a, b := ip(inner, "a"), ip(lp, "b") // a viewee is declared in either pool
		both, err := logicalpool.Duplicate(lp, "both", []*pool.Pend[int]{a, b}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var fast, slow sink[int]
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in", both, ints(500)),
			fast.chip("fast", a, 0),
			slow.chip("slow", b, time.Millisecond),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatalf("Run: %v\n%s", err, r.Describe())
		}
		equal(t, "fast", fast.values(), ints(500))
		equal(t, "slow", slow.values(), ints(500))
		if fast.ends != 1 || slow.ends != 1 {
			t.Errorf("ENDs: fast %d, slow %d; want 1 each", fast.ends, slow.ends)
		}
		if h := inner.High(); h > 16+2 {
			t.Errorf("pool high-water mark %d, want at most the limit 16 plus one bust per branch", h)
		}
	})
}

// LoadBalance spreads over equal consumers within 10%, round robin and
// least-filled; by key keeps equal keys together. Every consumer gets one END.
func TestLoadBalance(t *testing.T) {
	for _, tc := range []struct {
		name   string
		define func(lp *pool.Pool, ws []*pool.Pend[int]) (*pool.Pend[int], error)
	}{
		{"round-robin", func(lp *pool.Pool, ws []*pool.Pend[int]) (*pool.Pend[int], error) {
			return logicalpool.LoadBalance(lp, "lb", ws, logicalpool.RoundRobin)
		}},
		{"least-filled", func(lp *pool.Pool, ws []*pool.Pend[int]) (*pool.Pend[int], error) {
			return logicalpool.LoadBalance(lp, "lb", ws, logicalpool.LeastFilled)
		}},
		{"by-key", func(lp *pool.Pool, ws []*pool.Pend[int]) (*pool.Pend[int], error) {
			return logicalpool.LoadBalanceByKey(lp, "lb", ws, func(v int) uint64 { return uint64(v) })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				inner := pool.New("store", 8)
				lp := logicalpool.New("lp", inner)
				ws := ips(inner, "w0", "w1", "w2", "w3")
				lb, err := tc.define(lp, ws)
				if err != nil {
					t.Fatal(err)
				}
				sinks := make([]*sink[int], len(ws))
				chips := []chip.Chip{chip.FromSlice("in", lb, ints(2000))}
				for i, w := range ws {
					sinks[i] = &sink[int]{}
					chips = append(chips, sinks[i].chip(w.Key(), w, time.Millisecond))
				}
				r := runlet.New(chips, runlet.Config{})
				if err := r.Run(context.Background()); err != nil {
					t.Fatalf("Run: %v\n%s", err, r.Describe())
				}
				seen := map[int]int{}
				for i, s := range sinks {
					got := s.values()
					if n := len(got); n < 450 || n > 550 {
						t.Errorf("consumer %d got %d values, want 500 ± 10%%", i, n)
					}
					if s.ends != 1 {
						t.Errorf("consumer %d saw %d ENDs", i, s.ends)
					}
					for _, v := range got {
						seen[v]++
						if tc.name == "by-key" && v%4 != i {
							t.Errorf("value %d reached consumer %d, want %d", v, i, v%4)
						}
					}
				}
				for v := 1; v <= 2000; v++ {
					if seen[v] != 1 {
						t.Errorf("value %d delivered %d times", v, seen[v])
					}
				}
			})
		})
	}
}

// Merge: three producers read as one stream, in order per producer, with one
// END after all three (no END regulator).
func TestMerge(t *testing.T) {
	inner := pool.New("store", 4)
	lp := logicalpool.New("lp", inner)
	ps := ips(inner, "p0", "p1", "p2")
	all, err := logicalpool.Merge(lp, "all", ps)
	if err != nil {
		t.Fatal(err)
	}
	var s sink[int]
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in0", ps[0], []int{1, 2, 3}),
		chip.FromSlice("in1", ps[1], []int{10, 20}),
		chip.FromSlice("in2", ps[2], []int{100, 200, 300, 400}),
		s.chip("out", all, 0),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v\n%s", err, r.Describe())
	}
	got := s.values()
	if len(got) != 9 || s.ends != 1 {
		t.Fatalf("got %v with %d ENDs, want 9 values and 1 END", got, s.ends)
	}
	for _, seq := range [][]int{{1, 2, 3}, {10, 20}, {100, 200, 300, 400}} {
		at := -1
		for _, v := range seq {
			i := index(got, v)
			if i <= at {
				t.Errorf("order within a producer lost: %v", got)
			}
			at = i
		}
	}
}

func index(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// Join2: inputs produced at different rates complete with the right pairs;
// END on the shorter side ends the join.
func TestJoinDifferentRates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := pool.New("store", 4)
		lp := logicalpool.New("lp", inner)
		nums, wordsPend := ip(inner, "nums"), pool.NewPend[string](inner, "words")
		pairs, err := logicalpool.Join2(lp, "pairs", nums, wordsPend)
		if err != nil {
			t.Fatal(err)
		}
		slowNums := chip.New(chip.Config[struct{}, int, int]{
			Key: "nums", Next: nums, Async: true,
			Process: func(_ context.Context, _ hints.Pack[struct{}], i *int) (hints.Pack[int], error) {
				time.Sleep(3 * time.Millisecond)
				if *i == 50 {
					return hints.EndOf[int](1), nil
				}
				*i++
				return hints.Data(*i), nil
			},
		})
		words := make([]string, 60) // more words than numbers
		for i := range words {
			words[i] = fmt.Sprint("w", i+1)
		}
		var s sink[logicalpool.Pair[int, string]]
		r := runlet.New([]chip.Chip{
			slowNums,
			chip.FromSlice("words", wordsPend, words),
			s.chip("out", pairs, 0),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatalf("Run: %v\n%s", err, r.Describe())
		}
		got := s.values()
		if len(got) != 50 || s.ends != 1 {
			t.Fatalf("%d pairs and %d ENDs, want 50 and 1", len(got), s.ends)
		}
		for i, p := range got {
			if p.A != i+1 || p.B != fmt.Sprint("w", i+1) {
				t.Fatalf("pair %d is %+v", i, p)
			}
		}
	})
}

// A duplicate whose branches meet again in a join stalls when one branch
// must hold more than the pool lets it while the other gathers: here a batch
// of 3 on branch a, with a pool limit of 2, while the join takes one value of
// b per batch (so b keeps up to 7 of the 9 values). Run reports the stall
// with the state. With that room reserved for b (a private size of 7 or
// more), the same graph completes.
func TestDuplicateIntoJoinStallsWithTooSmallAPool(t *testing.T) {
	for _, private := range []int{0, 4, 7} {
		t.Run(fmt.Sprint("private=", private), func(t *testing.T) {
			inner := pool.New("store", 2)
			lp := logicalpool.New("lp", inner)
			// No chip names b: its size reaches Attach through the views.
			a, b := ip(inner, "a"), ip(inner, "b").Size(private, 0)
			a3 := pool.NewPend[[]int](inner, "a3")
			dup, err := logicalpool.Duplicate(lp, "dup", []*pool.Pend[int]{a, b}, nil)
			if err != nil {
				t.Fatal(err)
			}
			join, err := logicalpool.Join2(lp, "join", a3, b)
			if err != nil {
				t.Fatal(err)
			}
			var s sink[logicalpool.Pair[[]int, int]]
			r := runlet.New([]chip.Chip{
				chip.FromSlice("in", dup, ints(9)),
				chip.Batch("batch3", a, a3, 3, 0),
				s.chip("out", join, 0),
			}, runlet.Config{})
			err = r.Run(context.Background())
			if private < 7 {
				var se *runlet.StallError
				if !errors.As(err, &se) || !strings.Contains(se.State, "#out [] join@lp") {
					t.Fatalf("Run = %v, want a stall showing out waiting on the join", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, r.Describe())
			}
			got := s.values()
			if len(got) != 3 || fmt.Sprint(got[0].A) != "[1 2 3]" || got[0].B != 1 {
				t.Errorf("pairs %v, want 3 starting with {[1 2 3] 1}", got)
			}
		})
	}
}

// An async consumer of a merge view, where one producer ends long before the
// other: the view's first END is swallowed while the other viewee is still
// empty, and the consumer must still be woken by the later values (it used
// to report itself busy with nothing in flight, and stall).
func TestMergeAsyncConsumerAfterEarlyEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := pool.New("store", 4)
		lp := logicalpool.New("lp", inner)
		p0, p1 := ip(inner, "p0"), ip(inner, "p1")
		all, err := logicalpool.Merge(lp, "all", []*pool.Pend[int]{p0, p1})
		if err != nil {
			t.Fatal(err)
		}
		counter := func(key string, next *pool.Pend[int], every time.Duration, base int) chip.Chip {
			return chip.New(chip.Config[struct{}, int, int]{
				Key: key, Next: next, Async: true,
				Process: func(_ context.Context, _ hints.Pack[struct{}], i *int) (hints.Pack[int], error) {
					time.Sleep(every)
					if *i == 3 {
						return hints.EndOf[int](1), nil
					}
					*i++
					return hints.Data(base + *i), nil
				},
			})
		}
		var s sink[int]
		r := runlet.New([]chip.Chip{
			counter("fast", p0, time.Millisecond, 0),      // ends at 4ms, while p1 is empty
			counter("slow", p1, 10*time.Millisecond, 100), // first value at 10ms
			s.chip("out", all, time.Microsecond),          // async
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatalf("Run: %v", err)
		}
		equal(t, "merged", s.values(), []int{1, 2, 3, 101, 102, 103})
		if s.ends != 1 {
			t.Errorf("%d ENDs, want 1", s.ends)
		}
	})
}

// LeastFilled never pushes into a limited viewee while another is not
// limited: a pend limit holds (it used to take every push while it held no
// more than the others).
func TestLeastFilledRespectsLimits(t *testing.T) {
	inner := pool.New("store", pool.Unlimited)
	if err := configure(inner, "w0", 0, 1); err != nil { // w0 holds one pack at most
		t.Fatal(err)
	}
	lp := logicalpool.New("lp", inner)
	lb, err := logicalpool.LoadBalance(lp, "lb", ips(inner, "w0", "w1"), logicalpool.LeastFilled)
	if err != nil {
		t.Fatal(err)
	}
	view, _ := get[int](lp, lb.Key())
	w0, _ := get[int](inner, "w0")
	for i := range 100 {
		if view.Limited() {
			break
		}
		if err := view.Push(hints.Data(i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := w0.Len(); n != 1 {
		t.Errorf("w0 (pend limit 1) holds %d packs, want 1", n)
	}
}

// Wakes across keys: a producer that pushes through one pool key and waits
// for room is woken by a consumer that pulls the same pend through another
// key of the same storage (the reference runlet keys its pull-waiters by pool
// key and misses this wake); likewise for data.
func TestWakesAcrossKeys(t *testing.T) {
	for _, tc := range []struct{ push, pull string }{{"store", "lp"}, {"lp", "store"}} {
		t.Run(tc.push+"->"+tc.pull, func(t *testing.T) {
			inner := pool.New("store", 1)
			lp := logicalpool.New("lp", inner)
			other := ip(inner, "other")
			unused, err := logicalpool.Merge(lp, "unused-view", []*pool.Pend[int]{other})
			if err != nil {
				t.Fatal(err)
			}
			x := map[string]*pool.Pend[int]{"store": ip(inner, "x"), "lp": ip(lp, "x")}
			var s sink[int]
			r := runlet.New([]chip.Chip{
				chip.FromSlice("in", x[tc.push], ints(200)),
				s.chip("out", x[tc.pull], 0),
				chip.FromSlice("in2", other, []int{7}),
				chip.Collect("out2", unused, new([]int)),
			}, runlet.Config{})
			if err := r.Run(context.Background()); err != nil {
				t.Fatalf("Run: %v", err)
			}
			equal(t, "values", s.values(), ints(200))
		})
	}
}

// A branch of a Duplicate that ends early (a Take) must not hold back the
// others: its viewee is abandoned, so the view stops waiting for room in it.
// It used to fill up and stall the flow once the pool was at its limit.
func TestDuplicateBranchEndingEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := pool.New("store", 4)
		lp := logicalpool.New("fan", inner)
		a, b, a2 := ip(inner, "a"), ip(inner, "b"), ip(inner, "a2")
		both, err := logicalpool.Duplicate(lp, "both", []*pool.Pend[int]{a, b}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var few, all sink[int]
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in", both, ints(200)),
			chip.Take("take2", a, a2, 2),
			few.chip("few", a2, 0),
			all.chip("all", b, time.Millisecond),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatalf("Run: %v\n%s", err, r.Describe())
		}
		equal(t, "few", few.values(), ints(2))
		equal(t, "all", all.values(), ints(200))
		if few.ends != 1 || all.ends != 1 {
			t.Errorf("ENDs: few %d, all %d; want 1 each", few.ends, all.ends)
		}
		// The pool is usable again: the abandoned pend was restored.
		if h := inner.High(); h > 4+2 {
			t.Errorf("pool high-water mark %d, want at most 4 plus one bust per branch", h)
		}
	})
}

// A LoadBalance worker that ends early is skipped from then on: the others
// get everything else and the flow ends.
func TestLoadBalanceWorkerEndingEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := pool.New("store", 2)
		lp := logicalpool.New("lp", inner)
		w0, w1, tk := ip(inner, "w0"), ip(inner, "w1"), ip(inner, "t")
		lb, err := logicalpool.LoadBalance(lp, "lb", []*pool.Pend[int]{w0, w1}, logicalpool.RoundRobin)
		if err != nil {
			t.Fatal(err)
		}
		var one, rest sink[int]
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in", lb, ints(100)),
			chip.Take("take1", w0, tk, 1),
			one.chip("one", tk, 0),
			rest.chip("rest", w1, time.Millisecond),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatalf("Run: %v\n%s", err, r.Describe())
		}
		got := append(one.values(), rest.values()...)
		seen := map[int]bool{}
		for _, v := range got {
			if seen[v] {
				t.Errorf("value %d delivered twice", v)
			}
			seen[v] = true
		}
		// What w0 held when take1 ended is dropped with it (at most the
		// pool's limit plus a bust); everything after goes to w1.
		if len(one.values()) != 1 || len(got) < 100-4 {
			t.Errorf("delivered %d to take1 and %d to rest, want 1 and at least %d", len(one.values()), len(rest.values()), 100-4-1)
		}
		if !slices.Contains(rest.values(), 100) {
			t.Errorf("the last value did not reach the worker still running: %v", rest.values())
		}
	})
}

// viewDefs define view over int viewees with each view function of the
// package, and return its declaration as key@pool. Join2 takes the first
// two viewees.
var viewDefs = []struct {
	name   string
	define func(lp *pool.Pool, view string, vs []*pool.Pend[int]) (string, error)
}{
	{"Duplicate", func(lp *pool.Pool, view string, vs []*pool.Pend[int]) (string, error) {
		return declString(logicalpool.Duplicate(lp, view, vs, nil))
	}},
	{"LoadBalance", func(lp *pool.Pool, view string, vs []*pool.Pend[int]) (string, error) {
		return declString(logicalpool.LoadBalance(lp, view, vs, logicalpool.LeastFilled))
	}},
	{"LoadBalanceWeighted", func(lp *pool.Pool, view string, vs []*pool.Pend[int]) (string, error) {
		return declString(logicalpool.LoadBalanceWeighted(lp, view, vs, slices.Repeat([]int{1}, len(vs))))
	}},
	{"LoadBalanceByKey", func(lp *pool.Pool, view string, vs []*pool.Pend[int]) (string, error) {
		return declString(logicalpool.LoadBalanceByKey(lp, view, vs, func(v int) uint64 { return uint64(v) }))
	}},
	{"Merge", func(lp *pool.Pool, view string, vs []*pool.Pend[int]) (string, error) {
		return declString(logicalpool.Merge(lp, view, vs))
	}},
	{"Join2", func(lp *pool.Pool, view string, vs []*pool.Pend[int]) (string, error) {
		return declString(logicalpool.Join2(lp, view, vs[0], vs[1]))
	}},
}

func declString[T any](d *pool.Pend[T], err error) (string, error) {
	if err != nil {
		if d != nil {
			return "", fmt.Errorf("%w, and a declaration %v", err, d)
		}
		return "", err
	}
	return d.String(), nil
}

// Every view returns its declaration in the logical pool and names its
// unnamed viewees "<view>.<i>", declared in the logical pool or in its
// inner pool, and keeps the key of a named one.
func TestViewsNameUnnamedViewees(t *testing.T) {
	for _, vd := range viewDefs {
		t.Run(vd.name, func(t *testing.T) {
			store := pool.New("store", 8)
			lp := logicalpool.New("lp", store)
			vs := []*pool.Pend[int]{ip(store, ""), ip(lp, "named"), ip(lp, "")}
			if vd.name == "Join2" {
				vs = []*pool.Pend[int]{ip(lp, ""), ip(store, "")}
			}
			got, err := vd.define(lp, "v", vs)
			if err != nil {
				t.Fatal(err)
			}
			if got != "v@lp" {
				t.Errorf("declaration %s, want v@lp", got)
			}
			keys := make([]string, len(vs))
			for i, d := range vs {
				keys[i] = d.Key()
			}
			want := []string{"v.0", "named", "v.2"}
			if vd.name == "Join2" {
				want = []string{"v.0", "v.1"}
			}
			equal(t, "viewee keys", keys, want)
		})
	}
}

// The view's name sticks: a chip on a viewee the view named does not rename
// it, and the runlet finds the pends by those names.
func TestViewNamedVieweesRun(t *testing.T) {
	store := pool.New("store", 8)
	lp := logicalpool.New("fan", store)
	a, b := ip(store, ""), ip(lp, "")
	both, err := logicalpool.Duplicate(lp, "both", []*pool.Pend[int]{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ga, gb []int
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in", both, ints(5)),
		chip.Collect("ca", a, &ga),
		chip.Collect("cb", b, &gb),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v\n%s", err, r.Describe())
	}
	equal(t, "a", ga, ints(5))
	equal(t, "b", gb, ints(5))
	d := r.Describe()
	for _, s := range []string{"] both.0@store >>", "] both.1@fan >>", " -both.0 ", " -both.1 "} {
		if !strings.Contains(d, s) {
			t.Errorf("Describe lacks %q:\n%s", s, d)
		}
	}
}

// A view refuses a nil viewee and one declared in a pool that is neither
// the logical pool nor its inner pool (a plain pool, another logical pool
// over the same inner pool, no pool), naming the logical pool, the view and
// the viewee, and returns no declaration.
func TestViewsRefuseBadViewees(t *testing.T) {
	store := pool.New("store", 8)
	other := pool.New("other", 8)
	lp2 := logicalpool.New("lp2", store)
	for _, tc := range []struct {
		name string
		bad  *pool.Pend[int]
		want string
	}{
		{"nil", nil, `logicalpool: logical pool "lp": view "v": viewee 1 is nil`},
		{"other pool", ip(other, "x"), `logicalpool: logical pool "lp": view "v": viewee 1 ("x") is declared in pool "other", not in the logical pool or its inner pool`},
		{"other pool unnamed", ip(other, ""), `logicalpool: logical pool "lp": view "v": viewee 1 ("") is declared in pool "other", not in the logical pool or its inner pool`},
		{"other logical pool", ip(lp2, "x"), `logicalpool: logical pool "lp": view "v": viewee 1 ("x") is declared in pool "lp2", not in the logical pool or its inner pool`},
		{"no pool", &pool.Pend[int]{}, `logicalpool: logical pool "lp": view "v": viewee 1 ("") is declared in no pool, not in the logical pool or its inner pool`},
	} {
		for _, vd := range viewDefs {
			t.Run(tc.name+"/"+vd.name, func(t *testing.T) {
				lp := logicalpool.New("lp", store)
				_, err := vd.define(lp, "v", []*pool.Pend[int]{ip(lp, "ok"), tc.bad})
				if err == nil || err.Error() != tc.want {
					t.Fatalf("error %v, want %s", err, tc.want)
				}
				// The view was not defined: the name is still free.
				if _, err := vd.define(lp, "v", []*pool.Pend[int]{ip(lp, "ok"), ip(store, "ok2")}); err != nil {
					t.Errorf("defining the view after the refusal: %v", err)
				}
			})
		}
	}
}

// A refused view leaves its unnamed viewees unnamed, so a later view cannot
// give a second declaration the name of the first; a viewee listed twice is
// refused before the engine sees it.
func TestRefusedViewNamesNothing(t *testing.T) {
	store := pool.New("store", 8)
	for _, vd := range viewDefs {
		t.Run(vd.name, func(t *testing.T) {
			lp := logicalpool.New("lp", store)
			a, b := ip(store, ""), ip(store, "")
			if _, err := vd.define(lp, "w", []*pool.Pend[int]{a, nil}); err == nil {
				t.Fatal("a nil viewee was accepted")
			}
			_, err := vd.define(lp, "w", []*pool.Pend[int]{b, b})
			want := `logicalpool: logical pool "lp": view "w": viewee 1 is viewee 0 again`
			if err == nil || err.Error() != want {
				t.Fatalf("error %v, want %s", err, want)
			}
			if a.Key() != "" || b.Key() != "" {
				t.Fatalf("refused views named their viewees %q and %q", a.Key(), b.Key())
			}
			c, d := ip(store, ""), ip(store, "")
			if _, err := vd.define(lp, "w", []*pool.Pend[int]{c, d}); err != nil {
				t.Fatal(err)
			}
			if c.Key() != "w.0" || d.Key() != "w.1" || a.Key() != "" {
				t.Errorf("keys after a good view: c %q, d %q, a %q; want w.0, w.1 and a unnamed", c.Key(), d.Key(), a.Key())
			}
		})
	}
}
