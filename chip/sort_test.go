package chip_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

func TestSortMatchesSlicesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 17, 1000} {
		values := make([]int, n)
		for i := range values {
			values[i] = r.IntN(100) - 50
		}
		want := slices.Clone(values)
		slices.Sort(want)
		for _, limit := range []int{1, 64} {
			got, err := ddRun(t, limit, values, func(in, out *pool.Pend[int]) chip.Chip {
				return chip.Sort("op", in, out, 1000)
			})
			require.NoError(t, err)
			if n == 0 {
				require.Empty(t, got)
				continue
			}
			require.Equal(t, want, got, "n=%d limit=%d", n, limit)
		}
	}
}

// SortBy is stable: values less finds equal keep their arrival order.
func TestSortByIsStable(t *testing.T) {
	type item struct {
		rank int
		name string
	}
	values := make([]item, 300)
	for i := range values {
		values[i] = item{(i * 7) % 5, fmt.Sprint(i)}
	}
	want := slices.Clone(values)
	slices.SortStableFunc(want, func(a, b item) int { return cmp.Compare(a.rank, b.rank) })
	for _, limit := range []int{1, 64} {
		got, err := ddRun(t, limit, values, func(in, out *pool.Pend[item]) chip.Chip {
			return chip.SortBy("op", in, out, 300, func(a, b item) bool { return a.rank < b.rank })
		})
		require.NoError(t, err)
		require.Equal(t, want, got, "limit=%d", limit)
	}
}

// A value past the max fails the runlet with ErrSortFull naming the chip;
// exactly max values are fine.
func TestSortFull(t *testing.T) {
	mk := func(in, out *pool.Pend[int]) chip.Chip { return chip.Sort("op", in, out, 3) }
	got, err := ddRun(t, 4, []int{3, 1, 2}, mk)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3}, got)

	_, err = ddRun(t, 4, []int{3, 1, 2, 4}, mk)
	require.ErrorIs(t, err, chip.ErrSortFull)
	var ce *runlet.ChipError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "op", ce.Chip)
	require.ErrorContains(t, err, `chip "op": chip: sort: more values than its max (3)`)
}

func TestSortByPanics(t *testing.T) {
	_, err := ddRun(t, 4, []int{1, 2, 3}, func(in, out *pool.Pend[int]) chip.Chip {
		return chip.SortBy("op", in, out, 10, func(a, b int) bool {
			if a == 3 || b == 3 {
				panic("less boom")
			}
			return a < b
		})
	})
	var pe *chip.PanicError
	require.ErrorAs(t, err, &pe)
	require.ErrorContains(t, err, `chip "op": panic: less boom`)
}

func TestSortAttachErrors(t *testing.T) {
	for _, tc := range []struct {
		mk   func(in, out *pool.Pend[int]) chip.Chip
		want string
	}{
		{func(in, out *pool.Pend[int]) chip.Chip { return chip.Sort("op", in, out, 0) }, `chip "op": sort max 0 is below 1`},
		{func(in, out *pool.Pend[int]) chip.Chip { return chip.SortBy("op", in, out, 5, nil) }, `chip "op": nil process`},
	} {
		require.ErrorContains(t, ddAttach(t, tc.mk), tc.want)
	}
	require.NoError(t, ddAttach(t, func(in, out *pool.Pend[int]) chip.Chip { return chip.Sort("op", in, out, 1) }))
}
