package chip_test

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Helpers of the running, take-and-drop and aggregate tests carry an st
// prefix; they build on the ops helpers of ops_test.go.

// stTight runs the chip op makes (from pend a to pend b) between a source of
// values and a collector, in one pool of the given limit, and checks that
// exactly want arrives, then one END, and that the pool never held more than
// its limit plus one pack per producer: backpressure loses and duplicates
// nothing. It runs limits 0 and 1, and 5 and 64, whose rings wrap around
// in the middle of the spans the fast path works on.
func stTight[In, Out any](t *testing.T, values []In, want []Out, op func(a *pool.Pend[In], b *pool.Pend[Out]) chip.Chip) {
	t.Helper()
	for _, limit := range []int{0, 1, 5, 64} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			var got []Out
			ends := 0
			p := pool.New(opsPool, limit)
			a, b := pool.NewPend[In](p, "a"), pool.NewPend[Out](p, "b")
			r := runlet.New([]chip.Chip{opsSource("src", a, values), op(a, b), opsCollect("out", b, &got, &ends)}, runlet.Config{})
			require.NoError(t, r.Run(context.Background()))
			if !opsEqual(got, want) {
				t.Errorf("%s", stDiff(got, want))
			}
			assert.Equal(t, 1, ends, "END packs")
			assert.LessOrEqual(t, p.High(), limit+2, "pool high-water mark")
		})
	}
}

// stDiff describes how got differs from want, briefly: long runs of
// values would drown the message.
func stDiff[T any](got, want []T) string {
	if len(got) <= 10 && len(want) <= 10 {
		return fmt.Sprintf("got %v, want %v", got, want)
	}
	i := 0
	for i < min(len(got), len(want)) && reflect.DeepEqual(got[i], want[i]) {
		i++
	}
	return fmt.Sprintf("got %d values, want %d; first difference at index %d", len(got), len(want), i)
}

// stStops runs the chip op makes (from pend a to pend b) over an input that
// never ends (1, 2, 3, ...) and checks that it ends the flow: Run returns,
// exactly want arrives with one END, and the input chip is closed once.
func stStops[Out any](t *testing.T, want []Out, op func(a *pool.Pend[int], b *pool.Pend[Out]) chip.Chip) {
	t.Helper()
	var got []Out
	ends, closed := 0, 0
	p := pool.New(opsPool, 8)
	a, b := pool.NewPend[int](p, "a"), pool.NewPend[Out](p, "b")
	r := runlet.New([]chip.Chip{opsCounter("src", a, &closed), op(a, b), opsCollect("out", b, &got, &ends)}, runlet.Config{})
	require.NoError(t, r.Run(context.Background()))
	assert.Equal(t, want, got)
	assert.Equal(t, 1, ends, "END packs")
	assert.Equal(t, 1, closed, "Close calls of the input chip")
}

// stN is how many values the backpressure tests (stTight) run through.
const stN = 1000

// stSeq returns 1..n.
func stSeq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i + 1
	}
	return s
}

func TestScan(t *testing.T) {
	in, out := opsPends[int, string](pool.Unlimited)
	join := func(acc string, v int) (string, error) { return acc + strconv.Itoa(v), nil }
	opsTable(t, in, out, []opsCase[int, string]{
		{name: "each step", op: chip.Scan("op", in, out, "<", join), in: []int{1, 2, 3}, want: []string{"<1", "<12", "<123"}},
		{name: "empty pushes no init", op: chip.Scan("op", in, out, "<", join)},
		{name: "error", in: []int{1, 2, 3, 4}, want: []string{"<1", "<12"}, err: errOps,
			op: chip.Scan("op", in, out, "<", func(acc string, v int) (string, error) {
				if v == 3 {
					return "", errOps
				}
				return join(acc, v)
			})},
		{name: "panic", in: []int{1, 2, 3}, want: []string{"<1"}, panics: "scan boom",
			op: chip.Scan("op", in, out, "<", func(acc string, v int) (string, error) {
				if v == 2 {
					panic("scan boom")
				}
				return join(acc, v)
			})},
	})
	t.Run("tight", func(t *testing.T) {
		var want []int
		for i, sum := 1, 0; i <= stN; i++ {
			sum += i
			want = append(want, sum)
		}
		stTight(t, stSeq(stN), want, func(a, b *pool.Pend[int]) chip.Chip {
			return chip.Scan("op", a, b, 0, func(acc, v int) (int, error) { return acc + v, nil })
		})
	})
}

func TestPairwise(t *testing.T) {
	in, out := opsPends[int, chip.Pair[int, int]](pool.Unlimited)
	type P = chip.Pair[int, int]
	opsTable(t, in, out, []opsCase[int, P]{
		{name: "adjacent", op: chip.Pairwise("op", in, out), in: []int{1, 2, 4, 8}, want: []P{{A: 1, B: 2}, {A: 2, B: 4}, {A: 4, B: 8}}},
		{name: "one value", op: chip.Pairwise("op", in, out), in: []int{7}},
		{name: "empty", op: chip.Pairwise("op", in, out)},
	})
	t.Run("tight", func(t *testing.T) {
		var want []P
		for i := 1; i < stN; i++ {
			want = append(want, P{A: i, B: i + 1})
		}
		stTight(t, stSeq(stN), want, func(a *pool.Pend[int], b *pool.Pend[P]) chip.Chip { return chip.Pairwise("op", a, b) })
	})
	assert.Equal(t, "(1, x)", chip.Pair[int, string]{A: 1, B: "x"}.String())
}

func TestRunningCountBy(t *testing.T) {
	type KV = chip.KV[string, int]
	in, out := opsPends[string, KV](pool.Unlimited)
	first := func(s string) (string, error) { return s[:1], nil }
	opsTable(t, in, out, []opsCase[string, KV]{
		{name: "running", op: chip.RunningCountBy("op", in, out, first), in: []string{"ab", "b", "ac", "a", "bc"},
			want: []KV{{Key: "a", Value: 1}, {Key: "b", Value: 1}, {Key: "a", Value: 2}, {Key: "a", Value: 3}, {Key: "b", Value: 2}}},
		{name: "empty", op: chip.RunningCountBy("op", in, out, first)},
		{name: "error", in: []string{"a", "b", "", "c"}, want: []KV{{Key: "a", Value: 1}, {Key: "b", Value: 1}}, err: errOps,
			op: chip.RunningCountBy("op", in, out, func(s string) (string, error) {
				if s == "" {
					return "", errOps
				}
				return first(s)
			})},
		{name: "panic", in: []string{"a", ""}, want: []KV{{Key: "a", Value: 1}}, panics: "count boom",
			op: chip.RunningCountBy("op", in, out, func(s string) (string, error) {
				if s == "" {
					panic("count boom")
				}
				return first(s)
			})},
	})
	t.Run("tight", func(t *testing.T) {
		var want []chip.KV[int, int]
		for i := 1; i <= stN; i++ {
			want = append(want, chip.KV[int, int]{Key: i % 3, Value: (i + 2) / 3})
		}
		stTight(t, stSeq(stN), want, func(a *pool.Pend[int], b *pool.Pend[chip.KV[int, int]]) chip.Chip {
			return chip.RunningCountBy("op", a, b, func(v int) (int, error) { return v % 3, nil })
		})
	})
	assert.Equal(t, "a=2", KV{Key: "a", Value: 2}.String())
}

// RunningCountBy's Describe note counts the distinct keys it holds.
func TestRunningCountByDescribe(t *testing.T) {
	p := pool.New(opsPool, pool.Unlimited)
	a, b := pool.NewPend[int](p, "a"), pool.NewPend[chip.KV[int, int]](p, "b")
	r := runlet.New([]chip.Chip{
		opsSource("src", a, []int{1, 2, 3, 4, 5, 6, 7}),
		chip.RunningCountBy("count", a, b, func(v int) (int, error) { return v % 4, nil }),
	}, runlet.Config{})
	_, err := runlet.PendOutput(r, b)
	require.NoError(t, err)
	require.NoError(t, r.Run(context.Background()))
	d := r.Describe()
	assert.True(t, strings.Contains(d, "[4 keys]"), "Describe = %s, want a note [4 keys]", d)
}

// Bad arguments of the running-state, take-and-drop and aggregate operators
// are Attach errors naming the chip.
func TestStateAttachErrors(t *testing.T) {
	in, out := opsPends[int, int](4)
	bools := pool.NewPend[bool](in.Pool(), "bools")
	mm := pool.NewPend[chip.MinMax[int]](in.Pool(), "mm")
	kvs := pool.NewPend[chip.KV[int, int]](in.Pool(), "kvs")
	for _, tc := range []struct {
		err  error // of opsAttach
		want string
	}{
		{opsAttach(t, in, out, chip.Skip("op", in, out, -1)), `chip "op": skip count -1 is negative`},
		{opsAttach(t, in, out, chip.Scan[int, int]("op", in, out, 0, nil)), `chip "op": nil process`},
		{opsAttach(t, in, kvs, chip.RunningCountBy[int, int]("op", in, kvs, nil)), `chip "op": nil process`},
		{opsAttach(t, in, out, chip.TakeWhile("op", in, out, nil)), `chip "op": nil process`},
		{opsAttach(t, in, out, chip.DropWhile("op", in, out, nil)), `chip "op": nil process`},
		{opsAttach(t, in, out, chip.TakeUntil("op", in, out, nil)), `chip "op": nil process`},
		{opsAttach(t, in, mm, chip.MinMaxBy("op", in, mm, nil)), `chip "op": nil process`},
		{opsAttach(t, in, bools, chip.Any("op", in, bools, nil)), `chip "op": nil process`},
		{opsAttach(t, in, bools, chip.All("op", in, bools, nil)), `chip "op": nil process`},
		{opsAttach(t, in, out, chip.Find("op", in, out, nil)), `chip "op": nil process`},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("Attach = %v, want it to say %s", tc.err, tc.want)
		}
	}
}

// Scan, Skip, TakeWhile and Count, then Pairwise, RunningCountBy and Max,
// allocate nothing per value: a whole run of 100,000 ints, setup included,
// makes fewer than one allocation per 100 values.
func TestStateAllocsPerValue(t *testing.T) {
	const n = 100_000
	check := func(t *testing.T, what string, allocs uint64) {
		t.Helper()
		t.Logf("%s: %d allocations for %d values", what, allocs, n)
		if per := float64(allocs) / n; per >= 0.01 {
			t.Errorf("%s: %d allocations for %d values (%.4f per value), want < 0.01", what, allocs, n, per)
		}
	}
	t.Run("Skip Scan TakeWhile Count", func(t *testing.T) {
		var got []int
		var err error
		allocs := opsMallocs(func() {
			p := pool.New(opsPool, 64)
			a, b, c, d := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b"), pool.NewPend[int](p, "c"), pool.NewPend[int](p, "d")
			e := pool.NewPend[int](p, "e")
			got = make([]int, 0, 1)
			r := runlet.New([]chip.Chip{
				opsCounter("src", a, nil),
				chip.Skip("skip", a, b, 10),
				chip.Scan("index", b, c, 0, func(acc, _ int) (int, error) { return acc + 1, nil }),
				chip.TakeWhile("while", c, d, func(v int) (bool, error) { return v <= n, nil }),
				chip.Count("count", d, e),
				chip.Collect("out", e, &got),
			}, runlet.Config{})
			err = r.Run(context.Background())
		})
		require.NoError(t, err)
		require.Equal(t, []int{n}, got)
		check(t, "Skip Scan TakeWhile Count", allocs)
	})
	t.Run("Pairwise RunningCountBy Max", func(t *testing.T) {
		var got []int
		var err error
		allocs := opsMallocs(func() {
			p := pool.New(opsPool, 64)
			a, b := pool.NewPend[int](p, "a"), pool.NewPend[chip.Pair[int, int]](p, "b")
			c, d := pool.NewPend[chip.KV[int, int]](p, "c"), pool.NewPend[chip.KV[int, int]](p, "d")
			e, f := pool.NewPend[int](p, "e"), pool.NewPend[int](p, "f")
			got = make([]int, 0, 1)
			r := runlet.New([]chip.Chip{
				opsCounter("src", a, nil),
				chip.Pairwise("pairs", a, b),
				chip.RunningCountBy("count", b, c, func(p chip.Pair[int, int]) (int, error) { return p.B % 8, nil }),
				chip.Take("take", c, d, n),
				chip.Map("counts", d, e, func(kv chip.KV[int, int]) (int, error) { return kv.Value, nil }),
				chip.Max("max", e, f),
				chip.Collect("out", f, &got),
			}, runlet.Config{})
			err = r.Run(context.Background())
		})
		require.NoError(t, err)
		require.Equal(t, []int{n / 8}, got) // n pairs, B from 2 to n+1: n/8 of each key
		check(t, "Pairwise RunningCountBy Max", allocs)
	})
}

// Scan pushes every step of a running total.
func ExampleScan() {
	p := pool.New("default", 16)
	amounts, balance := pool.NewPend[int](p, ""), pool.NewPend[int](p, "")
	err := runlet.Run(context.Background(),
		chip.FromSlice("amounts", amounts, []int{100, -30, 50, -70}),
		chip.Scan("balance", amounts, balance, 0, func(acc, v int) (int, error) { return acc + v, nil }),
		chip.ForEach("print", balance, func(v int) error { fmt.Println(v); return nil }),
	)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 100
	// 70
	// 120
	// 50
}

// Pairwise pushes each value with the one before it: here, the change
// between readings.
func ExamplePairwise() {
	p := pool.New("default", 16)
	readings, pairs := pool.NewPend[float64](p, ""), pool.NewPend[chip.Pair[float64, float64]](p, "")
	err := runlet.Run(context.Background(),
		chip.FromSlice("readings", readings, []float64{20.5, 21, 20, 22.5}),
		chip.Pairwise("pairs", readings, pairs),
		chip.ForEach("print", pairs, func(v chip.Pair[float64, float64]) error {
			fmt.Printf("%v: %+.1f\n", v, v.B-v.A)
			return nil
		}),
	)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// (20.5, 21): +0.5
	// (21, 20): -1.0
	// (20, 22.5): +2.5
}
