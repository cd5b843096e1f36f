package runlet_test

import (
	"context"
	"strings"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
	"github.com/stretchr/testify/require"
)

// TestTypedAutoNames runs a flow of unnamed pends and checks they are named
// after their producer chips in Describe.
func TestTypedAutoNames(t *testing.T) {
	p := pool.New("default", 8)
	nums, squares := pool.NewPend[int](p, ""), pool.NewPend[int](p, "")
	var out []int
	r := runlet.New([]chip.Chip{
		chip.Collect("keep", squares, &out), // the consumer first: naming does not depend on order
		chip.FromSlice("numbers", nums, []int{1, 2, 3, 4}),
		chip.Map("square", nums, squares, func(v int) (int, error) { return v * v, nil }),
	}, runlet.Config{})
	require.NoError(t, r.Run(context.Background()))
	require.Equal(t, []int{1, 4, 9, 16}, out)
	require.Equal(t, "numbers.out", nums.Key())
	require.Equal(t, "square.out", squares.Key())
	d := r.Describe()
	require.Contains(t, d, "numbers.out")
	require.Contains(t, d, "square.out")
}

// TestTypedViewsAndPassive wires a duplicate view and a passive output.
func TestTypedViewsAndPassive(t *testing.T) {
	inner := pool.New("inner", 8)
	lp := logicalpool.New("lp", inner)
	a, b := pool.NewPend[string](inner, ""), pool.NewPend[string](inner, "")
	both, err := logicalpool.Duplicate(lp, "both", []*pool.Pend[string]{a, b}, nil)
	require.NoError(t, err)
	require.Equal(t, "both.0", a.Key())
	merged, err := logicalpool.Merge(lp, "merged", []*pool.Pend[string]{pool.NewPend[string](inner, "ua"), pool.NewPend[string](inner, "ub")})
	require.NoError(t, err)
	ua, ub := pool.NewPend[string](lp, "ua"), pool.NewPend[string](inner, "ub")
	out := pool.NewPend[string](p2(), "")
	r := runlet.New([]chip.Chip{
		chip.FromSlice("src", both, []string{"x", "y"}),
		chip.Map("upa", a, ua, func(s string) (string, error) { return strings.ToUpper(s), nil }),
		chip.Map("upb", b, ub, func(s string) (string, error) { return s + "!", nil }),
		chip.Map("join", merged, out, func(s string) (string, error) { return s, nil }),
	}, runlet.Config{})
	o, err := runlet.PendOutput(r, out)
	require.NoError(t, err)
	var got []string
	for v, err := range runlet.Seq(context.Background(), r, o) {
		require.NoError(t, err)
		got = append(got, v)
	}
	require.ElementsMatch(t, []string{"X", "Y", "x!", "y!"}, got)
}

func p2() *pool.Pool { return pool.New("out", 4) }
