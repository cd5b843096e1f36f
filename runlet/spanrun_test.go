package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// spanRunFlow is in -> m1 -> fm -> fl -> m2 -> sum: chip.NewInput,
// chip.Map, chip.FlatMap, chip.Filter, chip.Map and chip.ForEach, which hand the engine a run of
// their own for spans of packs, or (plain) the same functions through
// chip.New, which has none: every process call then goes through the
// engine's per-pack path. Its pends p0 to p4 are declared in p.
func spanRunFlow(p *pool.Pool, plain bool, n int, m1, m2 func(int) (int, error), fm func(int) ([]int, error), fl func(int) (bool, error), sum func(int) error) []chip.Chip {
	p0, p1, p2, p3, p4 := ip(p, "p0"), ip(p, "p1"), ip(p, "p2"), ip(p, "p3"), ip(p, "p4")
	in := source("in", p0, ints(n))
	filter := chip.Chip(chip.Filter("fl", p2, p4, fl))
	flat := chip.Chip(chip.FlatMap("fm", p1, p2, fm))
	out := chip.Chip(chip.ForEach("sum", p3, sum))
	mapChip := func(key string, prev, next *pool.Pend[int], f func(int) (int, error)) chip.Chip {
		return chip.Map(key, prev, next, f)
	}
	if plain {
		vals := ints(n)
		in = chip.New(chip.Config[struct{}, int, int]{
			Key: "in", Next: p0,
			Process: func(_ context.Context, _ hints.Pack[struct{}], i *int) (hints.Pack[int], error) {
				if *i == len(vals) {
					return hints.EndOf[int](1), nil
				}
				*i++
				return hints.Data(vals[*i-1]), nil
			},
		})
		mapChip = func(key string, prev, next *pool.Pend[int], f func(int) (int, error)) chip.Chip {
			return chip.New(chip.Config[int, int, struct{}]{
				Key: key, Prev: prev, Next: next,
				Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					if in.Hint == hints.End {
						return hints.Pack[int]{Hint: hints.End}, nil
					}
					v, err := f(in.Value)
					if err != nil {
						return hints.Pack[int]{}, err
					}
					return hints.Pack[int]{Value: v}, nil
				},
			})
		}
		flat = plainFlatMap("fm", p1, p2, fm)
		filter = chip.New(chip.Config[int, int, struct{}]{
			Key: "fl", Prev: p2, Next: p4,
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				if in.Hint == hints.End {
					return hints.Pack[int]{Hint: hints.End}, nil
				}
				ok, err := fl(in.Value)
				if err != nil {
					return hints.Pack[int]{}, err
				}
				if !ok {
					return hints.Pack[int]{Hint: hints.Skip}, nil
				}
				return hints.Pack[int]{Value: in.Value}, nil
			},
		})
		out = chip.NewOutput("sum", p3, nil, func(_ context.Context, in hints.Pack[int], _ *struct{}) error {
			if in.Hint == hints.End {
				return nil
			}
			return sum(in.Value)
		})
	}
	return []chip.Chip{in, mapChip("m1", p0, p1, m1), flat, filter, mapChip("m2", p4, p3, m2), out}
}

// plainFlatMap is chip.FlatMap's process through chip.New.
func plainFlatMap(key string, prev, next *pool.Pend[int], f func(int) ([]int, error)) chip.Chip {
	type state struct {
		pending []int
		i       int
	}
	return chip.New(chip.Config[int, int, state]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[int], s *state) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				return hints.Pack[int]{Hint: hints.End}, nil
			}
			if len(s.pending) == 0 {
				out, err := f(in.Value)
				if err != nil {
					return hints.Pack[int]{}, err
				}
				if len(out) == 0 {
					return hints.Pack[int]{Hint: hints.Skip}, nil
				}
				s.pending, s.i = out, 0
			}
			v := s.pending[s.i]
			s.i++
			if s.i < len(s.pending) {
				return hints.Pack[int]{Value: v, Hint: hints.Redo}, nil
			}
			s.pending, s.i = nil, 0
			return hints.Pack[int]{Value: v}, nil
		},
		Describe: func(s *state) string {
			if len(s.pending) == 0 {
				return ""
			}
			return fmt.Sprintf("[%d of %d pushed]", s.i, len(s.pending))
		},
	})
}

// spanRunResult is what one run of spanRunFlow shows: Run's error, the
// Describe text after Run, and every user call in order with what an
// observer saw at some of them.
type spanRunResult struct {
	err      string
	describe string
	calls    []string
}

// runSpanFlow runs spanRunFlow with user functions that fail (error or
// panic, by how) at their failAt-th call in the chip named failIn.
func runSpanFlow(t *testing.T, plain bool, budget, limit int, failIn, how string, failAt int) spanRunResult {
	t.Helper()
	var res spanRunResult
	var r *runlet.Runlet
	count := map[string]int{}
	fail := func(chip string, v int) error {
		count[chip]++
		res.calls = append(res.calls, fmt.Sprintf("%s(%d)", chip, v))
		if count[chip]%7 == 0 || (chip == failIn && count[chip] == failAt) { // what an observer sees mid-span
			res.calls = append(res.calls, r.Describe())
		}
		if chip != failIn || count[chip] != failAt {
			return nil
		}
		if how == "panic" {
			panic(fmt.Sprintf("%s panics at call %d", chip, failAt))
		}
		return fmt.Errorf("%s fails at call %d", chip, failAt)
	}
	mapf := func(key string, k int) func(int) (int, error) {
		return func(v int) (int, error) {
			if err := fail(key, v); err != nil {
				return 0, err
			}
			return v*k + 1, nil
		}
	}
	fm := func(v int) ([]int, error) {
		if err := fail("fm", v); err != nil {
			return nil, err
		}
		out := make([]int, v%4) // 0 to 3 outputs: SKIP, DATA, REDOs
		for i := range out {
			out[i] = v + i
		}
		return out, nil
	}
	fl := func(v int) (bool, error) {
		if err := fail("fl", v); err != nil {
			return false, err
		}
		return v%3 != 0, nil
	}
	sum := func(v int) error { return fail("sum", v) }
	r = runlet.New(spanRunFlow(pool.New(pk, limit), plain, 50, mapf("m1", 2), mapf("m2", 3), fm, fl, sum),
		runlet.Config{Budget: budget})
	if err := r.Run(context.Background()); err != nil {
		res.err = err.Error()
	}
	res.describe = r.Describe()
	return res
}

// TestSpanRunMatchesProcess checks that the operators' own runs over spans
// of packs (chip.NewInput, Map, FlatMap, Filter, ForEach) do exactly what their
// process calls one by one do: the same calls in the same order, the same
// error naming the chip, and the same Describe (pend sizes, held packs,
// notes, counters, pool high-water marks) mid-span and afterwards, for
// errors and panics anywhere in the chain, under small and large budgets
// and pool limits.
func TestSpanRunMatchesProcess(t *testing.T) {
	type failure struct {
		in, how string
		at      int
	}
	failures := []failure{{"", "", 0}}
	for _, in := range []string{"m1", "fm", "fl", "m2", "sum"} {
		for _, how := range []string{"error", "panic"} {
			for _, at := range []int{1, 2, 17, 40} {
				failures = append(failures, failure{in, how, at})
			}
		}
	}
	for _, budget := range []int{1, 3, 1024} {
		for _, limit := range []int{1, 4, 1024} {
			for _, f := range failures {
				name := fmt.Sprintf("budget%d/limit%d/%s-%s-%d", budget, limit, f.in, f.how, f.at)
				t.Run(name, func(t *testing.T) {
					want := runSpanFlow(t, true, budget, limit, f.in, f.how, f.at)
					got := runSpanFlow(t, false, budget, limit, f.in, f.how, f.at)
					if f.in != "" && !strings.Contains(got.err, `"`+f.in+`"`) {
						t.Errorf("error %q does not name chip %q", got.err, f.in)
					}
					if f.in == "" && got.err != "" {
						t.Errorf("Run: %s", got.err)
					}
					if got.err != want.err {
						t.Errorf("error:\n got %s\nwant %s", got.err, want.err)
					}
					if got.describe != want.describe {
						t.Errorf("Describe:\n got %s\nwant %s", got.describe, want.describe)
					}
					if g, w := strings.Join(got.calls, "\n"), strings.Join(want.calls, "\n"); g != w {
						t.Errorf("calls:\n got %s\nwant %s", g, w)
					}
				})
			}
		}
	}
}

// TestSpanRunError checks that an error of a Map in the middle of a span
// stops the calls at the failing value and is returned naming the chip.
func TestSpanRunError(t *testing.T) {
	boom := errors.New("boom")
	var calls []int
	p := pool.New(pk, 1024)
	p0, p1 := ip(p, "p0"), ip(p, "p1")
	r := newRunlet(
		source("in", p0, ints(10)),
		chip.Map("m", p0, p1, func(v int) (int, error) {
			calls = append(calls, v)
			if v == 4 {
				return 0, boom
			}
			return v, nil
		}),
		chip.ForEach("out", p1, func(int) error { return nil }),
	)
	err := r.Run(context.Background())
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `"m"`) {
		t.Fatalf("Run: %v, want boom naming chip \"m\"", err)
	}
	equal(t, "calls", calls, []int{1, 2, 3, 4})
}
