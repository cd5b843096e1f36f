package logicalpool_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// run runs chips in a runlet and fails the test, with Describe, on an error.
func run(t *testing.T, chips ...chip.Chip) {
	t.Helper()
	r := runlet.New(chips, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v\n%s", err, r.Describe())
	}
}

// delay is the per-value sleep of the consumers in the backpressure tests:
// a slow consumer keeps the pool at its limit (fake time, under synctest).
const delay = time.Millisecond

// Partition sends each value to one side and END to both, at a pool limit of
// 1 as well as a roomy one, with a slow consumer on one side.
func TestPartitionSplitsByPredicate(t *testing.T) {
	for _, limit := range []int{1, 64} {
		synctest.Test(t, func(t *testing.T) {
			inner := pool.New("store", limit)
			lp := logicalpool.New("lp", inner)
			evens, odds := ip(inner, "evens"), ip(lp, "odds")
			split, err := logicalpool.Partition(lp, "split", evens, odds, func(v int) bool { return v%2 == 0 })
			require.NoError(t, err)
			var e, o sink[int]
			run(t, chip.FromSlice("in", split, ints(300)),
				e.chip("e", evens, delay), o.chip("o", odds, 0))
			var wantE, wantO []int
			for _, v := range ints(300) {
				if v%2 == 0 {
					wantE = append(wantE, v)
				} else {
					wantO = append(wantO, v)
				}
			}
			assert.Equal(t, wantE, e.values(), "limit %d", limit)
			assert.Equal(t, wantO, o.values(), "limit %d", limit)
			assert.Equal(t, 1, e.ends)
			assert.Equal(t, 1, o.ends)
			assert.LessOrEqual(t, inner.High(), limit+2, "the pool's bound, plus one bust per side")
		})
	}
}

// An empty input gives each side its END and nothing else.
func TestPartitionEmpty(t *testing.T) {
	inner := pool.New("store", 4)
	lp := logicalpool.New("lp", inner)
	y, n := ip(inner, "y"), ip(inner, "n")
	split, err := logicalpool.Partition(lp, "split", y, n, func(int) bool { return true })
	require.NoError(t, err)
	var sy, sn sink[int]
	run(t, chip.FromSlice("in", split, nil), sy.chip("y", y, 0), sn.chip("n", n, 0))
	assert.Empty(t, sy.values())
	assert.Empty(t, sn.values())
	assert.Equal(t, []int{1, 1}, []int{sy.ends, sn.ends})
}

// A side whose consumer ends early is abandoned: the other side still gets
// every one of its values, and the flow ends.
func TestPartitionSideEndingEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := pool.New("store", 2)
		lp := logicalpool.New("lp", inner)
		y, n, y2 := ip(inner, "y"), ip(inner, "n"), ip(inner, "y2")
		split, err := logicalpool.Partition(lp, "split", y, n, func(v int) bool { return v%3 == 0 })
		require.NoError(t, err)
		var few, rest sink[int]
		run(t, chip.FromSlice("in", split, ints(200)),
			chip.Take("take2", y, y2, 2), few.chip("few", y2, 0),
			rest.chip("rest", n, delay))
		assert.Equal(t, []int{3, 6}, few.values())
		var want []int
		for _, v := range ints(200) {
			if v%3 != 0 {
				want = append(want, v)
			}
		}
		assert.Equal(t, want, rest.values())
		assert.Equal(t, 1, rest.ends)
	})
}

// A panic in the predicate fails the runlet with an error naming the view
// and the function; a nil predicate is refused.
func TestPartitionPredicatePanics(t *testing.T) {
	inner := pool.New("store", 4)
	lp := logicalpool.New("lp", inner)
	y, n := ip(inner, "y"), ip(inner, "n")
	_, err := logicalpool.Partition(lp, "bad", y, n, nil)
	require.ErrorContains(t, err, `view "bad"`)

	split, err := logicalpool.Partition(lp, "split", y, n, func(v int) bool {
		if v == 5 {
			panic("five")
		}
		return v < 3
	})
	require.NoError(t, err)
	var sy, sn sink[int]
	err = runlet.Run(context.Background(), chip.FromSlice("in", split, ints(10)), sy.chip("y", y, 0), sn.chip("n", n, 0))
	require.Error(t, err)
	var pe *chip.PanicError
	assert.True(t, errors.As(err, &pe), "want a PanicError in %v", err)
	assert.Contains(t, err.Error(), `view "split": pred`)
	assert.Contains(t, err.Error(), "five")
	assert.Equal(t, []int{1, 2}, sy.values())
	assert.Equal(t, []int{3, 4}, sn.values())
}

// Concat gives each viewee's values in full, in viewee order, with one END;
// empty viewees add nothing. A pool limit of 1 and a slow consumer lose and
// duplicate nothing.
func TestConcatReadsInTurn(t *testing.T) {
	for _, limit := range []int{1, 64} {
		synctest.Test(t, func(t *testing.T) {
			inner := pool.New("store", limit)
			lp := logicalpool.New("lp", inner)
			ps := ips(inner, "p0", "p1", "p2", "p3")
			all, err := logicalpool.Concat(lp, "all", ps)
			require.NoError(t, err)
			var s sink[int]
			run(t,
				chip.FromSlice("in3", ps[3], []int{300, 301}),
				chip.FromSlice("in0", ps[0], []int{1, 2, 3}),
				chip.FromSlice("in1", ps[1], nil),
				chip.FromSlice("in2", ps[2], []int{20, 21, 22, 23, 24}),
				s.chip("out", all, delay))
			assert.Equal(t, []int{1, 2, 3, 20, 21, 22, 23, 24, 300, 301}, s.values(), "limit %d", limit)
			assert.Equal(t, 1, s.ends)
		})
	}
}

// Concat over viewees that all end empty gives one END.
func TestConcatEmpty(t *testing.T) {
	inner := pool.New("store", 4)
	lp := logicalpool.New("lp", inner)
	ps := ips(inner, "p0", "p1")
	all, err := logicalpool.Concat(lp, "all", ps)
	require.NoError(t, err)
	var s sink[int]
	run(t, chip.FromSlice("in0", ps[0], nil), chip.FromSlice("in1", ps[1], nil), s.chip("out", all, 0))
	assert.Empty(t, s.values())
	assert.Equal(t, 1, s.ends)
}

// A consumer of a Concat that ends early stops the flow, its producers
// included, with no stall and no error.
func TestConcatConsumerEndingEarly(t *testing.T) {
	inner := pool.New("store", 2)
	lp := logicalpool.New("lp", inner)
	ps := ips(inner, "p0", "p1")
	all, err := logicalpool.Concat(lp, "all", ps)
	require.NoError(t, err)
	tk := ip(inner, "t")
	var s sink[int]
	run(t, chip.FromSlice("in0", ps[0], []int{1, 2}), chip.FromSlice("in1", ps[1], ints(1000)),
		chip.Take("take3", all, tk, 3), s.chip("out", tk, 0))
	assert.Equal(t, []int{1, 2, 1}, s.values())
	assert.Equal(t, 1, s.ends)
}

// ZipN pairs up one value of every viewee; the shortest ends it.
func TestZipN(t *testing.T) {
	for _, limit := range []int{1, 64} {
		synctest.Test(t, func(t *testing.T) {
			inner := pool.New("store", limit)
			lp := logicalpool.New("lp", inner)
			ps := ips(inner, "p0", "p1", "p2")
			zip, err := logicalpool.ZipN(lp, "zip", ps)
			require.NoError(t, err)
			var s sink[[]int]
			run(t,
				chip.FromSlice("in0", ps[0], []int{1, 2, 3, 4, 5}),
				chip.FromSlice("in1", ps[1], []int{10, 20, 30}),
				chip.FromSlice("in2", ps[2], []int{100, 200, 300, 400}),
				s.chip("out", zip, delay))
			assert.Equal(t, [][]int{{1, 10, 100}, {2, 20, 200}, {3, 30, 300}}, s.values(), "limit %d", limit)
			assert.Equal(t, 1, s.ends)
		})
	}
}

// A ZipN with an empty viewee gives only its END; one whose consumer ends
// early stops the flow.
func TestZipNEmptyAndEarlyEnd(t *testing.T) {
	inner := pool.New("store", 2)
	lp := logicalpool.New("lp", inner)
	ps := ips(inner, "p0", "p1")
	zip, err := logicalpool.ZipN(lp, "zip", ps)
	require.NoError(t, err)
	var s sink[[]int]
	run(t, chip.FromSlice("in0", ps[0], ints(100)), chip.FromSlice("in1", ps[1], nil), s.chip("out", zip, 0))
	assert.Empty(t, s.values())
	assert.Equal(t, 1, s.ends)

	lp2 := logicalpool.New("lp2", pool.New("store2", 2))
	qs := ips(lp2, "q0", "q1")
	zip2, err := logicalpool.ZipN(lp2, "zip", qs)
	require.NoError(t, err)
	tk := pool.NewPend[[]int](lp2, "t")
	var s2 sink[[]int]
	run(t, chip.FromSlice("in0", qs[0], ints(1000)), chip.FromSlice("in1", qs[1], ints(1000)),
		chip.Take("take2", zip2, tk, 2), s2.chip("out", tk, 0))
	assert.Equal(t, [][]int{{1, 1}, {2, 2}}, s2.values())
	assert.Equal(t, 1, s2.ends)
}

// Join3 zips three sides of their own types.
func TestJoin3(t *testing.T) {
	lp := logicalpool.New("lp", pool.New("store", 1))
	a, b, c := pool.NewPend[string](lp, "a"), pool.NewPend[int](lp, "b"), pool.NewPend[bool](lp, "c")
	j, err := logicalpool.Join3(lp, "j", a, b, c)
	require.NoError(t, err)
	var s sink[logicalpool.Triple[string, int, bool]]
	run(t, chip.FromSlice("a", a, []string{"x", "y", "z"}), chip.FromSlice("b", b, []int{1, 2, 3, 4}),
		chip.FromSlice("c", c, []bool{true, false, true}), s.chip("out", j, 0))
	assert.Equal(t, "[(x, 1, true) (y, 2, false) (z, 3, true)]", fmtValues(s.values()))
	assert.Equal(t, 1, s.ends)
}

func fmtValues[T interface{ String() string }](vs []T) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// driven is a pull view and its viewees driven by hand, as the scheduler
// would: pushes into the viewees, pulls from the view.
type driven[T any] struct {
	t    *testing.T
	view interface {
		Peek() (hints.Pack[T], bool)
		Pull() (hints.Pack[T], bool)
	}
}

// pull pulls one pack after peeking it, and checks Pull gives what Peek
// showed.
func (d driven[T]) pull() (hints.Pack[T], bool) {
	d.t.Helper()
	seen, sok := d.view.Peek()
	pk, ok := d.view.Pull()
	require.Equal(d.t, sok, ok, "Peek and Pull disagree")
	if ok {
		require.Equal(d.t, seen, pk, "Pull gave another pack than Peek showed")
	}
	return pk, ok
}

func push[T any](t *testing.T, p interface{ Push(hints.Pack[T]) error }, vs ...T) {
	t.Helper()
	for _, v := range vs {
		require.NoError(t, p.Push(hints.Pack[T]{Value: v}))
	}
}

func pushEnd[T any](t *testing.T, p interface{ Push(hints.Pack[T]) error }) {
	t.Helper()
	require.NoError(t, p.Push(hints.Pack[T]{Hint: hints.End}))
}

type pairIS = logicalpool.Pair[int, string]

// CombineLatest, driven by hand: values before the other side's first are
// folded in, each later value gives one Pair with the other side's latest,
// and END comes once both sides have ended.
func TestCombineLatestDriven(t *testing.T) {
	lp := logicalpool.New("lp", pool.New("store", 64))
	a, b := ip(lp, "a"), pool.NewPend[string](lp, "b")
	decl, err := logicalpool.CombineLatest(lp, "cl", a, b)
	require.NoError(t, err)
	v, err := get[pairIS](lp, decl.Key())
	require.NoError(t, err)
	pa, err := get[int](lp, "a")
	require.NoError(t, err)
	pb, err := get[string](lp, "b")
	require.NoError(t, err)
	require.Error(t, v.Push(hints.Pack[pairIS]{}), "a pull view refuses pushes")
	d := driven[pairIS]{t, v}

	push(t, pa, 1, 2)
	_, ok := d.pull()
	require.False(t, ok, "no pair before b's first value")
	assert.Equal(t, 0, v.Len())
	push(t, pb, "x")
	pk, ok := d.pull()
	require.True(t, ok)
	assert.Equal(t, pairIS{A: 2, B: "x"}, pk.Value, "the latest of each")
	push(t, pa, 3)
	push(t, pb, "y")
	got := []pairIS{}
	for pk, ok := d.pull(); ok; pk, ok = d.pull() {
		got = append(got, pk.Value)
	}
	// the turn moved to a after b's pair: a's 3 first, then b's y
	assert.Equal(t, []pairIS{{A: 3, B: "x"}, {A: 3, B: "y"}}, got)
	pushEnd(t, pa)
	_, ok = d.pull()
	require.False(t, ok, "a's END alone does not end the view")
	push(t, pb, "z")
	pk, _ = d.pull()
	assert.Equal(t, pairIS{A: 3, B: "z"}, pk.Value, "an ended side keeps its last value")
	pushEnd(t, pb)
	pk, ok = d.pull()
	require.True(t, ok)
	assert.Equal(t, hints.End, pk.Hint)
	_, ok = d.pull()
	assert.False(t, ok, "one END only")
	assert.Equal(t, 0, pa.Len()+pb.Len(), "both ENDs taken")
}

// A side that ends before any value ends CombineLatest at once.
func TestCombineLatestSideEndsEmpty(t *testing.T) {
	lp := logicalpool.New("lp", pool.New("store", 64))
	a, b := ip(lp, "a"), pool.NewPend[string](lp, "b")
	decl, err := logicalpool.CombineLatest(lp, "cl", a, b)
	require.NoError(t, err)
	v, _ := get[pairIS](lp, decl.Key())
	pa, _ := get[int](lp, "a")
	pb, _ := get[string](lp, "b")
	d := driven[pairIS]{t, v}
	push(t, pb, "x", "y")
	pushEnd(t, pa)
	pk, ok := d.pull()
	require.True(t, ok)
	assert.Equal(t, hints.End, pk.Hint)
	_, ok = d.pull()
	assert.False(t, ok)
}

// CombineLatest in a runlet at a pool limit of 1: one END, and each pair
// moves exactly one side on by exactly one value, ending on the last of
// each.
func TestCombineLatestRun(t *testing.T) {
	for _, limit := range []int{1, 64} {
		synctest.Test(t, func(t *testing.T) {
			inner := pool.New("store", limit)
			lp := logicalpool.New("lp", inner)
			a, b := ip(inner, "a"), ip(inner, "b")
			cl, err := logicalpool.CombineLatest(lp, "cl", a, b)
			require.NoError(t, err)
			var s sink[logicalpool.Pair[int, int]]
			run(t, chip.FromSlice("a", a, ints(50)), chip.FromSlice("b", b, ints(30)), s.chip("out", cl, delay))
			got := s.values()
			require.NotEmpty(t, got)
			assert.Equal(t, 1, s.ends)
			assert.True(t, got[0].A == 1 || got[0].B == 1, "the first pair holds the first value of one side: %v", got[0])
			for i := 1; i < len(got); i++ {
				da, db := got[i].A-got[i-1].A, got[i].B-got[i-1].B
				if da+db != 1 || da < 0 || db < 0 {
					t.Fatalf("pair %d %v after %v: want one side one value on", i, got[i], got[i-1])
				}
			}
			assert.Equal(t, logicalpool.Pair[int, int]{A: 50, B: 30}, got[len(got)-1])
		})
	}
}

// Until, driven by hand: data flows while stop holds nothing; a stop value
// gives END; a stop that ends without a value is forgotten.
func TestUntilDriven(t *testing.T) {
	lp := logicalpool.New("lp", pool.New("store", 64))
	data, stop := ip(lp, "data"), pool.NewPend[struct{}](lp, "stop")
	decl, err := logicalpool.Until(lp, "u", data, stop)
	require.NoError(t, err)
	v, _ := get[int](lp, decl.Key())
	pd, _ := get[int](lp, "data")
	ps, _ := get[struct{}](lp, "stop")
	d := driven[int]{t, v}
	push(t, pd, 1, 2)
	pk, _ := d.pull()
	assert.Equal(t, 1, pk.Value)
	assert.Equal(t, 1, v.Len())
	push(t, ps, struct{}{})
	assert.Equal(t, 1, v.Len(), "the END")
	pk, ok := d.pull()
	require.True(t, ok)
	assert.Equal(t, hints.End, pk.Hint, "a stop value ends the view before data's 2")
	_, ok = d.pull()
	assert.False(t, ok)
	assert.Equal(t, 1, pd.Len(), "data's unread value stays in its pend")

	lp2 := logicalpool.New("lp2", pool.New("store2", 64))
	data2, stop2 := ip(lp2, "data"), ip(lp2, "stop")
	decl2, err := logicalpool.Until(lp2, "u", data2, stop2)
	require.NoError(t, err)
	v2, _ := get[int](lp2, decl2.Key())
	pd2, _ := get[int](lp2, "data")
	ps2, _ := get[int](lp2, "stop")
	d2 := driven[int]{t, v2}
	pushEnd(t, ps2)
	push(t, pd2, 7)
	pushEnd(t, pd2)
	push(t, ps2, 1) // after stop's END: never looked at
	var got []hints.Pack[int]
	for pk, ok := d2.pull(); ok; pk, ok = d2.pull() {
		got = append(got, pk)
	}
	assert.Equal(t, []hints.Pack[int]{{Value: 7}, {Hint: hints.End}}, got)
}

// Until in a runlet: a source of a value per millisecond (fake time) is cut
// by a stop value at 10.5ms: the consumer gets a proper prefix and one END.
// With an empty stop, every value comes through. Pool limit 1 in both.
func TestUntilRun(t *testing.T) {
	for _, stopAt := range []time.Duration{10*time.Millisecond + 500*time.Microsecond, 0} {
		synctest.Test(t, func(t *testing.T) {
			inner := pool.New("store", 1)
			lp := logicalpool.New("lp", inner)
			data, stop := ip(inner, "data"), pool.NewPend[string](inner, "stop")
			u, err := logicalpool.Until(lp, "u", data, stop)
			require.NoError(t, err)
			var s sink[int]
			run(t,
				chip.Generate("data", data, func(ctx context.Context, yield func(int) bool) error {
					for v := 1; v <= 100; v++ {
						time.Sleep(time.Millisecond)
						if !yield(v) {
							return nil
						}
					}
					return nil
				}),
				chip.Generate("stop", stop, func(ctx context.Context, yield func(string) bool) error {
					if stopAt > 0 {
						time.Sleep(stopAt)
						yield("stop")
					}
					return nil
				}),
				s.chip("out", u, 0))
			got := s.values()
			assert.Equal(t, 1, s.ends)
			if stopAt == 0 {
				assert.Equal(t, ints(100), got)
				return
			}
			assert.Equal(t, ints(len(got)), got, "a prefix of the data")
			assert.Equal(t, 10, len(got), "values made before the stop, at fake 1ms each")
		})
	}
}

// Until's consumer ending early stops the flow.
func TestUntilConsumerEndingEarly(t *testing.T) {
	inner := pool.New("store", 2)
	lp := logicalpool.New("lp", inner)
	data, stop := ip(inner, "data"), ip(inner, "stop")
	u, err := logicalpool.Until(lp, "u", data, stop)
	require.NoError(t, err)
	tk := ip(inner, "t")
	var s sink[int]
	run(t, chip.FromSlice("data", data, ints(1000)), chip.FromSlice("stop", stop, nil),
		chip.Take("take3", u, tk, 3), s.chip("out", tk, 0))
	assert.Equal(t, ints(3), s.values())
	assert.Equal(t, 1, s.ends)
}
