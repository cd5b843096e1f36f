package runlet_test

import (
	"context"
	"strings"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
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

// TestTypedDeclaredSizes checks that sizes set where a pend is declared
// reach the pend, and that a pend no chip pushes into is named after its
// first reader, so that a PendInput can feed it.
func TestTypedDeclaredSizes(t *testing.T) {
	p := pool.New("default", 8)
	in := pool.NewPend[int](p, "").Size(2, 5)
	var got []int
	r := runlet.New([]chip.Chip{chip.Collect("keep", in, &got)}, runlet.Config{})
	require.Equal(t, "keep.in", in.Key())
	feed, err := runlet.PendInput(r, in)
	require.NoError(t, err)
	require.NoError(t, r.Attach())
	require.Contains(t, r.Describe(), " -keep.in 0,2P [] pushWake[] limit=5", "sizes: 2 private, limit 5")
	require.NoError(t, feed.Push(hints.Data(7)))
	require.NoError(t, feed.Push(hints.EndOf[int](1)))
	require.NoError(t, r.Run(context.Background()))
	require.Equal(t, []int{7}, got)
}

// TestTypedDeclarationErrors checks Attach's errors for declarations the
// compiler cannot catch: one key declared with two element types, a zero
// Pend, and a passive handle on a pend nobody named.
func TestTypedDeclarationErrors(t *testing.T) {
	p := pool.New("default", 8)
	var ints []int
	var strs []string
	r := runlet.New([]chip.Chip{
		chip.FromSlice("a", pool.NewPend[int](p, "x"), []int{1}),
		chip.Collect("b", pool.NewPend[int](p, "x"), &ints),
		chip.FromSlice("c", pool.NewPend[string](p, "x"), []string{"s"}),
		chip.Collect("d", &pool.Pend[string]{}, &strs),
	}, runlet.Config{})
	err := r.Attach()
	require.Error(t, err)
	require.Contains(t, err.Error(), `"x"`)
	require.Contains(t, err.Error(), "string")
	require.Contains(t, err.Error(), `chip "d": prev pend has no pool (a zero pool.Pend?): declare it with pool.NewPend`)

	r2 := runlet.New([]chip.Chip{chip.FromSlice("a", pool.NewPend[int](p, "y"), []int{1})}, runlet.Config{})
	_, err = runlet.PendOutput(r2, pool.NewPend[int](p, ""))
	require.ErrorContains(t, err, `PendOutput: pend in pool "default" has no key`)
}

// TestTypedRun runs the quickstart form: runlet.Run over chips with
// unnamed pends.
func TestTypedRun(t *testing.T) {
	p := pool.New("default", 4)
	nums, squares := pool.NewPend[int](p, ""), pool.NewPend[int](p, "")
	var out []int
	err := runlet.Run(context.Background(),
		chip.FromSlice("numbers", nums, []int{1, 2, 3}),
		chip.Map("square", nums, squares, func(v int) (int, error) { return v * v, nil }),
		chip.Collect("keep", squares, &out),
	)
	require.NoError(t, err)
	require.Equal(t, []int{1, 4, 9}, out)
}

// TestTypedInnerPoolChecked checks that a logical pool's inner pool, which
// no chip names, is checked by Attach like any other pool.
func TestTypedInnerPoolChecked(t *testing.T) {
	lp := logicalpool.New("L", pool.New("in", -1))
	a := pool.NewPend[int](lp, "a")
	var got []int
	r := runlet.New([]chip.Chip{chip.FromSlice("src", a, []int{1}), chip.Collect("keep", a, &got)}, runlet.Config{})
	err := r.Attach()
	require.Error(t, err)
	require.Contains(t, err.Error(), `pool "in"`)
	require.Contains(t, err.Error(), "negative")

	l1, l2 := logicalpool.New("L1", pool.New("in", 4)), logicalpool.New("L2", pool.New("in", 4))
	b, c := pool.NewPend[int](l1, "b"), pool.NewPend[int](l2, "c")
	r = runlet.New([]chip.Chip{chip.FromSlice("src", b, []int{1}), chip.Map("m", b, c, func(v int) (int, error) { return v, nil }), chip.Collect("keep", c, &got)}, runlet.Config{})
	require.ErrorContains(t, r.Attach(), `duplicate pool key "in"`)
}
