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

// spanRunFlow is in -> m1 -> m2 -> sum, where m1 and m2 are chip.Map and sum
// is chip.ForEach, or (plain) the same functions through chip.New and
// chip.NewOutput, which have no run of their own: every process call goes
// through the engine's per-pack path.
func spanRunFlow(plain bool, n int, m1, m2 func(int) (int, error), sum func(int) error) []chip.Chip {
	mapChip := func(key string, prev, next chip.PendRef, f func(int) (int, error)) chip.Chip {
		if !plain {
			return chip.Map(key, prev, next, f)
		}
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
	out := chip.Chip(chip.ForEach("sum", at("p2"), sum))
	if plain {
		out = chip.NewOutput("sum", at("p2"), nil, func(_ context.Context, in hints.Pack[int], _ *struct{}) error {
			if in.Hint == hints.End {
				return nil
			}
			return sum(in.Value)
		})
	}
	return []chip.Chip{
		source("in", at("p0"), ints(n)),
		mapChip("m1", at("p0"), at("p1"), m1),
		mapChip("m2", at("p1"), at("p2"), m2),
		out,
	}
}

// spanRunResult is what one run of spanRunFlow shows: Run's error, the
// Describe text after Run, and every user call in order.
type spanRunResult struct {
	err      string
	describe string
	calls    []string
}

// runSpanFlow runs spanRunFlow with user functions that fail (error or
// panic, by how) at the value failAt of the chip named failIn.
func runSpanFlow(t *testing.T, plain bool, budget, limit int, failIn, how string, failAt int) spanRunResult {
	t.Helper()
	var res spanRunResult
	var r *runlet.Runlet
	fail := func(chip string, v int) (bool, error) {
		res.calls = append(res.calls, fmt.Sprintf("%s(%d)", chip, v))
		if v%7 == 0 || (chip == failIn && v == failAt) { // what an observer sees mid-span
			res.calls = append(res.calls, r.Describe())
		}
		if chip != failIn || v != failAt {
			return false, nil
		}
		if how == "panic" {
			panic(fmt.Sprintf("%s panics at %d", chip, v))
		}
		return true, fmt.Errorf("%s fails at %d", chip, v)
	}
	mapf := func(key string, k int) func(int) (int, error) {
		return func(v int) (int, error) {
			if _, err := fail(key, v); err != nil {
				return 0, err
			}
			return v*k + 1, nil
		}
	}
	sum := func(v int) error { _, err := fail("sum", v); return err }
	r = runlet.New([]*pool.Pool{pool.New(pk, limit)}, spanRunFlow(plain, 50, mapf("m1", 2), mapf("m2", 3), sum),
		runlet.Config{Budget: budget})
	if err := r.Run(context.Background()); err != nil {
		res.err = err.Error()
	}
	res.describe = r.Describe()
	return res
}

// TestSpanRunMatchesProcess checks that the operators' own run over a span
// of packs (chip.Map, chip.ForEach) does exactly what their process calls
// one by one do: the same calls in the same order, the same error naming the
// chip, and the same Describe afterwards (pend sizes, the held pack, pool
// high-water marks), for errors and panics anywhere in the chain, under
// small and large budgets and pool limits.
func TestSpanRunMatchesProcess(t *testing.T) {
	type failure struct {
		in, how string
		at      int
	}
	failures := []failure{{"", "", 0}}
	for _, in := range []string{"m1", "m2", "sum"} {
		for _, how := range []string{"error", "panic"} {
			first := map[string]int{"m1": 1, "m2": 3, "sum": 10}[in] // the first value each sees
			for _, at := range []int{first, 17, 40} {
				if in != "m1" { // m2 and sum see m1's outputs
					at = map[string]int{"m2": 2*at + 1, "sum": 3*(2*at+1) + 1}[in]
				}
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
					if f.in != "" && !strings.Contains(got.err, f.in) {
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
					if strings.Join(got.calls, " ") != strings.Join(want.calls, " ") {
						t.Errorf("calls:\n got %v\nwant %v", got.calls, want.calls)
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
	r := newRunlet(1024,
		source("in", at("p0"), ints(10)),
		chip.Map("m", at("p0"), at("p1"), func(v int) (int, error) {
			calls = append(calls, v)
			if v == 4 {
				return 0, boom
			}
			return v, nil
		}),
		chip.ForEach("out", at("p1"), func(int) error { return nil }),
	)
	err := r.Run(context.Background())
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `"m"`) {
		t.Fatalf("Run: %v, want boom naming chip \"m\"", err)
	}
	equal(t, "calls", calls, []int{1, 2, 3, 4})
}
