package runlet_test

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// Every hint, sync and async, through a linear chain: data passes, SKIP
// drops, REDO repeats, END ends.
func TestHintsThroughChain(t *testing.T) {
	for _, async := range []bool{false, true} {
		for _, limit := range []int{0, 1, 3, 1000} {
			t.Run(fmt.Sprintf("async=%v/limit=%d", async, limit), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					p := pool.New(pk, limit)
					a, b, c := ip(p, "a"), ip(p, "b"), ip(p, "c")
					// 1:N through REDO: each value v is output v times.
					redo := chip.New(chip.Config[int, int, int]{
						Key: "redo", Prev: a, Next: b, Async: async,
						Process: func(_ context.Context, in hints.Pack[int], done *int) (hints.Pack[int], error) {
							if in.Hint == hints.End {
								return hints.EndOf[int](1), nil
							}
							*done++
							if *done < in.Value {
								return hints.Again(in.Value), nil
							}
							*done = 0
							return hints.Data(in.Value), nil
						},
					})
					// N:1 through SKIP: odd values are dropped.
					skip := chip.New(chip.Config[int, int, struct{}]{
						Key: "skip", Prev: b, Next: c, Async: async,
						Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
							if in.Hint == hints.End {
								return in, nil
							}
							if in.Value%2 == 1 {
								return hints.SkipOf[int](), nil
							}
							return in, nil
						},
					})
					var s sink[int]
					r := newRunlet(source("in", a, []int{1, 2, 3, 4}), redo, skip, s.output("out", c))
					mustRun(t, r)
					equal(t, "output", s.values(), []int{2, 2, 4, 4, 4, 4})
					if s.Ends != 1 {
						t.Errorf("output saw %d ENDs, want 1", s.Ends)
					}
				})
			})
		}
	}
}

// N:1 through SKIP with a partial last group flushed on END: groups of 3
// summed; the last group of 2 is flushed when END arrives, by REDO on the END
// pack, then END.
func TestSkipGroupsFlushPartialOnEnd(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(pk, 2)
				a, b := ip(p, "a"), ip(p, "b")
				type group struct{ sum, n int }
				sum3 := chip.New(chip.Config[int, int, group]{
					Key: "sum3", Prev: a, Next: b, Async: async,
					Process: func(_ context.Context, in hints.Pack[int], g *group) (hints.Pack[int], error) {
						if in.Hint == hints.End {
							if g.n > 0 {
								out := hints.Again(g.sum) // flush, then see END again
								*g = group{}
								return out, nil
							}
							return hints.EndOf[int](1), nil
						}
						g.sum += in.Value
						g.n++
						if g.n < 3 {
							return hints.SkipOf[int](), nil
						}
						out := hints.Data(g.sum)
						*g = group{}
						return out, nil
					},
				})
				var s sink[int]
				mustRun(t, newRunlet(source("in", a, ints(8)), sum3, s.output("out", b)))
				equal(t, "sums", s.values(), []int{6, 15, 15})
			})
		})
	}
}

// END with a count pushes that many END packs: a split to three consumers
// of one pend ends every one of them exactly once.
func TestEndWithCountEndsEveryConsumer(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				split := ip(pool.New(pk, 4), "split")
				in := chip.New(chip.Config[struct{}, int, int]{
					Key: "in", Next: split, Async: async,
					Process: func(_ context.Context, _ hints.Pack[struct{}], i *int) (hints.Pack[int], error) {
						if *i == 30 {
							return hints.EndOf[int](3), nil
						}
						*i++
						return hints.Data(*i), nil
					},
				})
				var a, b, c sink[int]
				r := newRunlet(in, a.output("a", split), b.output("b", split), c.output("c", split))
				mustRun(t, r)
				total := map[int]int{}
				for _, s := range []*sink[int]{&a, &b, &c} {
					if s.Ends != 1 {
						t.Errorf("a consumer saw %d ENDs, want 1", s.Ends)
					}
					for _, v := range s.values() {
						total[v]++
					}
				}
				for v := 1; v <= 30; v++ {
					if total[v] != 1 {
						t.Errorf("value %d delivered %d times, want 1", v, total[v])
					}
				}
			})
		})
	}
}

// The END regulator: two producers merge into one pend; only the last END
// passes, and it is multiplied for two consumers of a split.
func TestENDRegulatorMergeAndSplit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 3)
		merge, split := ip(p, "merge"), ip(p, "split")
		var a, b sink[int]
		r := newRunlet(
			source("in1", merge, []int{1, 2, 3}),
			source("in2", merge, []int{10, 20}),
			chip.ENDRegulator("reg", merge, split, 2, 2),
			a.output("a", split),
			b.output("b", split),
		)
		mustRun(t, r)
		got := map[int]bool{}
		for _, v := range append(a.values(), b.values()...) {
			if got[v] {
				t.Errorf("value %d delivered twice", v)
			}
			got[v] = true
		}
		if len(got) != 5 || a.Ends != 1 || b.Ends != 1 {
			t.Errorf("got %v with ENDs %d and %d, want 5 values and one END each", got, a.Ends, b.Ends)
		}
	})
}

// A sync input chip's unknown hint is an error naming the chip.
func TestUnknownHintIsAnError(t *testing.T) {
	a := ip(pool.New(pk, 1), "a")
	bad := chip.NewInput("bad", a, nil, func(context.Context, *struct{}) (hints.Pack[int], error) {
		return hints.Pack[int]{Hint: 42}, nil
	})
	var s sink[int]
	err := newRunlet(bad, s.output("out", a)).Run(context.Background())
	if err == nil || !contains(err.Error(), `chip "bad"`) || !contains(err.Error(), "unknown hint") {
		t.Fatalf("Run = %v, want an unknown-hint error naming chip \"bad\"", err)
	}
}
