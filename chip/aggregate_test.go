package chip_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

func TestCount(t *testing.T) {
	in, out := opsPends[string, int](pool.Unlimited)
	opsTable(t, in, out, []opsCase[string, int]{
		{name: "three", op: chip.Count("op", in, out), in: []string{"a", "b", "c"}, want: []int{3}},
		{name: "empty is 0", op: chip.Count("op", in, out), want: []int{0}},
	})
	t.Run("tight", func(t *testing.T) {
		stTight(t, stSeq(stN), []int{stN}, func(a, b *pool.Pend[int]) chip.Chip { return chip.Count("op", a, b) })
	})
}

func TestSum(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "ints", op: chip.Sum("op", in, out), in: []int{1, 2, 3, -4}, want: []int{2}},
		{name: "empty is 0", op: chip.Sum("op", in, out), want: []int{0}},
	})
	fin, fout := opsPends[float64, float64](pool.Unlimited)
	opsTable(t, fin, fout, []opsCase[float64, float64]{
		{name: "floats", op: chip.Sum("op", fin, fout), in: []float64{0.5, 0.25, 2}, want: []float64{2.75}},
	})
	bin, bout := opsPends[int8, int8](pool.Unlimited)
	opsTable(t, bin, bout, []opsCase[int8, int8]{
		{name: "wraps", op: chip.Sum("op", bin, bout), in: []int8{100, 100}, want: []int8{-56}},
	})
	t.Run("tight", func(t *testing.T) {
		stTight(t, stSeq(stN), []int{stN * (stN + 1) / 2}, func(a, b *pool.Pend[int]) chip.Chip { return chip.Sum("op", a, b) })
	})
}

func TestMinMax(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "min", op: chip.Min("op", in, out), in: []int{3, 1, 4, 1, 5}, want: []int{1}},
		{name: "max", op: chip.Max("op", in, out), in: []int{3, 1, 4, 1, 5}, want: []int{5}},
		{name: "min of one", op: chip.Min("op", in, out), in: []int{-2}, want: []int{-2}},
		{name: "min empty pushes nothing", op: chip.Min("op", in, out)},
		{name: "max empty pushes nothing", op: chip.Max("op", in, out)},
	})
	sin, sout := opsPends[string, string](pool.Unlimited)
	opsTable(t, sin, sout, []opsCase[string, string]{
		{name: "strings", op: chip.Max("op", sin, sout), in: []string{"pear", "apple", "quince"}, want: []string{"quince"}},
	})
	t.Run("NaN", func(t *testing.T) {
		fin, fout := opsPends[float64, float64](pool.Unlimited)
		values := []float64{2, math.NaN(), 1}
		got, _, err := opsRun(t, fin, fout, chip.Min("op", fin, fout), values)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.True(t, math.IsNaN(got[0]), "Min with a NaN = %v, want NaN", got[0])
		got, _, err = opsRun(t, fin, fout, chip.Max("op", fin, fout), values)
		require.NoError(t, err)
		assert.Equal(t, []float64{2}, got, "Max ignores the NaN")
	})
	t.Run("tight", func(t *testing.T) {
		values := stSeq(stN)
		values[stN/2], values[stN/3] = -7, 5000
		stTight(t, values, []int{-7}, func(a, b *pool.Pend[int]) chip.Chip { return chip.Min("op", a, b) })
		stTight(t, values, []int{5000}, func(a, b *pool.Pend[int]) chip.Chip { return chip.Max("op", a, b) })
	})
}

func TestMinMaxBy(t *testing.T) {
	type MM = chip.MinMax[string]
	in, out := opsPends[string, MM](pool.Unlimited)
	shorter := func(a, b string) bool { return len(a) < len(b) }
	opsTable(t, in, out, []opsCase[string, MM]{
		// Among equals the first is kept: "a" before "d", "ccc" before "eee".
		{name: "first of equals", op: chip.MinMaxBy("op", in, out, shorter), in: []string{"bb", "a", "ccc", "d", "eee"}, want: []MM{{Min: "a", Max: "ccc"}}},
		{name: "one value", op: chip.MinMaxBy("op", in, out, shorter), in: []string{"x"}, want: []MM{{Min: "x", Max: "x"}}},
		{name: "empty pushes nothing", op: chip.MinMaxBy("op", in, out, shorter)},
		{name: "panic", in: []string{"a", "bb"}, panics: "less boom",
			op: chip.MinMaxBy("op", in, out, func(a, b string) bool { panic("less boom") })},
	})
	t.Run("tight", func(t *testing.T) {
		values := stSeq(stN)
		values[stN/2], values[stN/3] = -7, 5000
		stTight(t, values, []chip.MinMax[int]{{Min: -7, Max: 5000}}, func(a *pool.Pend[int], b *pool.Pend[chip.MinMax[int]]) chip.Chip {
			return chip.MinMaxBy("op", a, b, func(x, y int) bool { return x < y })
		})
	})
}

func TestAny(t *testing.T) {
	in, out := opsPends[int, bool](pool.Unlimited)
	atLeast := func(n int) func(int) (bool, error) { // 99 panics: Any ends before it
		below := stBelow(n)
		return func(v int) (bool, error) {
			ok, err := below(v)
			return !ok, err
		}
	}
	opsTable(t, in, out, []opsCase[int, bool]{
		{name: "found", op: chip.Any("op", in, out, atLeast(3)), in: []int{1, 4, 99}, want: []bool{true}},
		{name: "none", op: chip.Any("op", in, out, atLeast(10)), in: []int{1, 2, 3}, want: []bool{false}},
		{name: "empty is false", op: chip.Any("op", in, out, atLeast(3)), want: []bool{false}},
		{name: "error", op: chip.Any("op", in, out, stFails(0, 2)), in: []int{1, 2, 3}, err: errOps},
		{name: "panic", op: chip.Any("op", in, out, stPanics(0, 2, "any boom")), in: []int{1, 2, 3}, panics: "any boom"},
	})
	t.Run("tight", func(t *testing.T) {
		stTight(t, stSeq(stN), []bool{true}, func(a *pool.Pend[int], b *pool.Pend[bool]) chip.Chip {
			return chip.Any("op", a, b, func(v int) (bool, error) { return v == 700, nil })
		})
	})
	t.Run("stops upstream", func(t *testing.T) {
		stStops(t, []bool{true}, func(a *pool.Pend[int], b *pool.Pend[bool]) chip.Chip { return chip.Any("op", a, b, atLeast(5)) })
	})
}

func TestAll(t *testing.T) {
	in, out := opsPends[int, bool](pool.Unlimited)
	opsTable(t, in, out, []opsCase[int, bool]{
		{name: "all", op: chip.All("op", in, out, stBelow(10)), in: []int{1, 2, 3}, want: []bool{true}},
		{name: "one fails", op: chip.All("op", in, out, stBelow(3)), in: []int{1, 4, 99}, want: []bool{false}},
		{name: "empty is true", op: chip.All("op", in, out, stBelow(3)), want: []bool{true}},
		{name: "error", op: chip.All("op", in, out, stFails(10, 2)), in: []int{1, 2, 3}, err: errOps},
		{name: "panic", op: chip.All("op", in, out, stPanics(10, 2, "all boom")), in: []int{1, 2, 3}, panics: "all boom"},
	})
	t.Run("tight", func(t *testing.T) {
		stTight(t, stSeq(stN), []bool{true}, func(a *pool.Pend[int], b *pool.Pend[bool]) chip.Chip { return chip.All("op", a, b, stLess(stN+1)) })
	})
	t.Run("stops upstream", func(t *testing.T) {
		stStops(t, []bool{false}, func(a *pool.Pend[int], b *pool.Pend[bool]) chip.Chip { return chip.All("op", a, b, stBelow(5)) })
	})
}

func TestFind(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	even := func(v int) (bool, error) {
		if v == 99 {
			panic("pred called after it found")
		}
		return v%2 == 0, nil
	}
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "first match", op: chip.Find("op", in, out, even), in: []int{1, 3, 4, 6, 99}, want: []int{4}},
		{name: "no match pushes nothing", op: chip.Find("op", in, out, even), in: []int{1, 3}},
		{name: "empty pushes nothing", op: chip.Find("op", in, out, even)},
		{name: "error", op: chip.Find("op", in, out, stFails(0, 2)), in: []int{1, 2, 3}, err: errOps},
		{name: "panic", op: chip.Find("op", in, out, stPanics(0, 2, "find boom")), in: []int{1, 2, 3}, panics: "find boom"},
	})
	t.Run("tight", func(t *testing.T) {
		stTight(t, stSeq(stN), []int{700}, func(a, b *pool.Pend[int]) chip.Chip {
			return chip.Find("op", a, b, func(v int) (bool, error) { return v%100 == 0 && v > 650, nil })
		})
	})
	t.Run("stops upstream", func(t *testing.T) {
		stStops(t, []int{7}, func(a, b *pool.Pend[int]) chip.Chip {
			return chip.Find("op", a, b, func(v int) (bool, error) { return v%7 == 0, nil })
		})
	})
}

// MinMaxBy keeps the cheapest and the dearest item by one field; on an
// empty input it would push nothing.
func ExampleMinMaxBy() {
	type item struct {
		name  string
		price int
	}
	p := pool.New("default", 16)
	items, span := pool.NewPend[item](p, ""), pool.NewPend[chip.MinMax[item]](p, "")
	err := runlet.Run(context.Background(),
		chip.FromSlice("items", items, []item{{"tea", 4}, {"cake", 6}, {"water", 1}, {"soup", 6}}),
		chip.MinMaxBy("range", items, span, func(a, b item) bool { return a.price < b.price }),
		chip.ForEach("print", span, func(v chip.MinMax[item]) error {
			fmt.Printf("cheapest %s, dearest %s\n", v.Min.name, v.Max.name)
			return nil
		}),
	)
	if err != nil {
		fmt.Println(err)
	}
	// Output: cheapest water, dearest cake
}
