package chip_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// runTopK runs values through TopK(k, less) in a pool of the given limit and
// returns what it pushed.
func runTopK[T any](t *testing.T, limit int, values []T, k int, less func(a, b T) bool) ([]T, error) {
	t.Helper()
	p := pool.New("p", limit)
	in, out := pool.NewPend[T](p, "in"), pool.NewPend[T](p, "out")
	var got []T
	err := runlet.Run(context.Background(),
		chip.FromSlice("in", in, values),
		chip.TopK("top", in, out, k, less),
		chip.Collect("keep", out, &got))
	return got, err
}

func TestTopKMatchesASort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	less := func(a, b int) bool { return a < b }
	for _, n := range []int{0, 1, 5, 10, 11, 1000} {
		for _, k := range []int{0, 1, 3, 10, 100} {
			for _, limit := range []int{1, 64} {
				values := make([]int, n)
				for i := range values {
					values[i] = r.IntN(50) // many ties
				}
				want := slices.Clone(values)
				slices.SortFunc(want, func(a, b int) int { return cmp.Compare(b, a) })
				want = want[:min(k, n)]
				got, err := runTopK(t, limit, values, k, less)
				require.NoError(t, err)
				if len(want) == 0 {
					require.Empty(t, got)
					continue
				}
				require.Equal(t, want, got, "n=%d k=%d limit=%d", n, k, limit)
			}
		}
	}
}

// Among values less finds equal, the earlier arrivals are kept and pushed
// first.
func TestTopKKeepsTheFirstAmongTies(t *testing.T) {
	type item struct {
		score int
		name  string
	}
	values := []item{{1, "a"}, {3, "b"}, {2, "c"}, {3, "d"}, {3, "e"}, {0, "f"}, {3, "g"}}
	got, err := runTopK(t, 2, values, 3, func(a, b item) bool { return a.score < b.score })
	require.NoError(t, err)
	require.Equal(t, []item{{3, "b"}, {3, "d"}, {3, "e"}}, got)
}

func TestTopKErrors(t *testing.T) {
	_, err := runTopK(t, 4, []int{1}, -1, func(a, b int) bool { return a < b })
	require.ErrorContains(t, err, "top k -1 is negative")
	_, err = runTopK[int](t, 4, []int{1}, 1, nil)
	require.ErrorContains(t, err, "nil process")

	_, err = runTopK(t, 4, []int{1, 2, 3}, 2, func(a, b int) bool {
		if a == 3 || b == 3 {
			panic(fmt.Sprintf("compare %d and %d", a, b))
		}
		return a < b
	})
	require.ErrorContains(t, err, `runlet: chip "top": panic: compare`)
	var pe *chip.PanicError
	require.ErrorAs(t, err, &pe)
}

// Once the tree is full, a value that does not make the top costs no
// allocation, and neither does one that does once the tree has its nodes.
func TestTopKAllocatesNothingPerValue(t *testing.T) {
	const n = 200_000
	values := make([]int, n)
	r := rand.New(rand.NewPCG(9, 10))
	for i := range values {
		values[i] = r.IntN(1 << 30)
	}
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := runTopK(t, 1024, values, 10, func(a, b int) bool { return a < b }); err != nil {
			t.Fatal(err)
		}
	})
	// A run's setup allocates a few hundred times; one allocation per
	// value would be 200,000.
	require.Less(t, allocs, float64(n/100))
}
