package logicalpool_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// keyedRun runs values through the chips op returns, defined over the
// logical pool "lp" (over "store", limit limit), from pend "in" of "store"
// to pend "out", and returns what came out. It fails the test unless exactly
// one END came out, after every value: the consumer ends on the first END,
// and the pend must then be empty.
func keyedRun[In, Out any](t *testing.T, limit int, values []In, op func(lp *pool.Pool, prev *pool.Pend[In], next *pool.Pend[Out]) ([]chip.Chip, error)) ([]Out, error) {
	t.Helper()
	store := pool.New("store", limit)
	lp := logicalpool.New("lp", store)
	in, out := pool.NewPend[In](store, "in"), pool.NewPend[Out](store, "out")
	chips, err := op(lp, in, out)
	require.NoError(t, err)
	var got []Out
	left := -1
	chips = append(chips,
		chip.FromSlice("source", in, values),
		chip.New(chip.Config[Out, struct{}, struct{}]{
			Key: "sink", Prev: out,
			Process: func(_ context.Context, in hints.Pack[Out], _ *struct{}) (hints.Pack[struct{}], error) {
				if in.Hint == hints.End {
					return hints.EndOf[struct{}](1), nil
				}
				got = append(got, in.Value)
				return hints.SkipOf[struct{}](), nil
			},
			// Close runs once the flow has ended, before the stopped runlet
			// empties its pends: a second END would still be in "out".
			Close: func(*struct{}) { left = packs(t, store, "out") },
		}),
	)
	err = runlet.New(chips, runlet.Config{}).Run(context.Background())
	if err == nil {
		require.Equal(t, 0, left, "packs left in pend out after the first END")
	}
	return got, err
}

// packs returns how many packs pend key of p holds.
func packs(t *testing.T, p *pool.Pool, key string) int {
	t.Helper()
	for _, ps := range p.Snapshot().Pends {
		if ps.Key == key {
			return ps.Packs
		}
	}
	t.Fatalf("pool %q has no pend %q", p.Key(), key)
	return 0
}

// asMap turns KVs into a map, failing the test on a key seen twice.
func asMap[K comparable, V any](t *testing.T, kvs []logicalpool.KV[K, V]) map[K]V {
	t.Helper()
	m := make(map[K]V, len(kvs))
	for _, kv := range kvs {
		_, dup := m[kv.Key]
		require.False(t, dup, "key %v pushed twice", kv.Key)
		m[kv.Key] = kv.Value
	}
	return m
}

// randomInts returns n values in [0, span), skewed toward small ones.
func randomInts(r *rand.Rand, n, span int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = min(r.IntN(span), r.IntN(span))
	}
	return out
}

func TestCountByMatchesAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, parts := range []int{1, 2, 4} {
		for _, limit := range []int{1, 3, 1024} {
			for _, n := range []int{0, 1, 7, 2000} {
				values := randomInts(r, n, 1+r.IntN(300))
				want := map[string]int{}
				for _, v := range values {
					want[strconv.Itoa(v)]++
				}
				name := fmt.Sprintf("parts=%d/limit=%d/n=%d", parts, limit, n)
				got, err := keyedRun[int, logicalpool.KV[string, int]](t, limit, values, func(lp *pool.Pool, prev *pool.Pend[int], next *pool.Pend[logicalpool.KV[string, int]]) ([]chip.Chip, error) {
					return logicalpool.CountBy(lp, "count", prev, next, logicalpool.Partitions{N: parts}, func(v int) (string, error) { return strconv.Itoa(v), nil })
				})
				require.NoError(t, err, name)
				require.Equal(t, want, asMap(t, got), name)
			}
		}
	}
}

func TestSumByMatchesAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, parts := range []int{1, 2, 4} {
		values := randomInts(r, 3000, 100)
		want := map[int]int64{}
		for i, v := range values {
			want[v%13] += int64(v * i)
		}
		idx := 0
		got, err := keyedRun[int, logicalpool.KV[int, int64]](t, 2, values, func(lp *pool.Pool, prev *pool.Pend[int], next *pool.Pend[logicalpool.KV[int, int64]]) ([]chip.Chip, error) {
			return logicalpool.SumBy(lp, "sum", prev, next, logicalpool.Partitions{N: parts}, func(v int) (int, int64, error) {
				i := idx // the key chip is sync: values come in input order
				idx++
				return v % 13, int64(v * i), nil
			})
		})
		require.NoError(t, err)
		require.Equal(t, want, asMap(t, got), "parts=%d", parts)
	}
}

func TestMapReduceAndReduceByKeyMatchAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	longest := func(acc, v string) (string, error) {
		if len(v) > len(acc) || (len(v) == len(acc) && v > acc) {
			return v, nil
		}
		return acc, nil
	}
	for _, parts := range []int{1, 2, 4} {
		values := randomInts(r, 2500, 5000)
		want := map[int]string{}
		for _, v := range values {
			s := strconv.Itoa(v)
			if old, ok := want[v%17]; !ok {
				want[v%17] = s
			} else {
				want[v%17], _ = longest(old, s)
			}
		}
		got, err := keyedRun[int, logicalpool.KV[int, string]](t, 1, values, func(lp *pool.Pool, prev *pool.Pend[int], next *pool.Pend[logicalpool.KV[int, string]]) ([]chip.Chip, error) {
			return logicalpool.MapReduce(lp, "mr", prev, next, logicalpool.Partitions{N: parts},
				func(v int) (int, string, error) { return v % 17, strconv.Itoa(v), nil }, longest)
		})
		require.NoError(t, err)
		require.Equal(t, want, asMap(t, got), "MapReduce parts=%d", parts)

		kvs := make([]logicalpool.KV[int, string], len(values))
		for i, v := range values {
			kvs[i] = logicalpool.KV[int, string]{Key: v % 17, Value: strconv.Itoa(v)}
		}
		got, err = keyedRun[logicalpool.KV[int, string], logicalpool.KV[int, string]](t, 4, kvs, func(lp *pool.Pool, prev, next *pool.Pend[logicalpool.KV[int, string]]) ([]chip.Chip, error) {
			return logicalpool.ReduceByKey(lp, "rbk", prev, next, logicalpool.Partitions{N: parts}, longest)
		})
		require.NoError(t, err)
		require.Equal(t, want, asMap(t, got), "ReduceByKey parts=%d", parts)
	}
}

var errBadValue = errors.New("bad value")

func TestKeyedUserErrorsNameTheChip(t *testing.T) {
	values := make([]int, 500)
	for i := range values {
		values[i] = i
	}
	keyOf := func(fail func()) func(int) (int, int, error) {
		return func(v int) (int, int, error) {
			if v == 321 {
				fail()
				return 0, 0, fmt.Errorf("value %d: %w", v, errBadValue)
			}
			return v % 10, 1, nil
		}
	}
	reduce := func(fail func()) func(a, b int) (int, error) {
		return func(a, b int) (int, error) {
			if a+b == 40 {
				fail()
				return 0, errBadValue
			}
			return a + b, nil
		}
	}
	noPanic := func() {}
	doPanic := func() { panic("boom") }
	ok := func(a, b int) (int, error) { return a + b, nil }
	split := func(v int) (int, int, error) { return v % 10, 1, nil }
	cases := []struct {
		name      string
		mapf      func(int) (int, int, error)
		reduce    func(a, b int) (int, error)
		chip      string // the chip the error names; "" for any partition
		wantPanic bool
	}{
		{"map error", keyOf(noPanic), ok, `chip "mr"`, false},
		{"map panic", keyOf(doPanic), ok, `chip "mr"`, true},
		{"reduce error", split, reduce(noPanic), `chip "mr.`, false},
		{"reduce panic", split, reduce(doPanic), `chip "mr.`, true},
	}
	for _, parts := range []int{1, 3} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/parts=%d", c.name, parts), func(t *testing.T) {
				got, err := keyedRun[int, logicalpool.KV[int, int]](t, 8, values, func(lp *pool.Pool, prev *pool.Pend[int], next *pool.Pend[logicalpool.KV[int, int]]) ([]chip.Chip, error) {
					return logicalpool.MapReduce(lp, "mr", prev, next, logicalpool.Partitions{N: parts}, c.mapf, c.reduce)
				})
				require.Error(t, err)
				require.Contains(t, err.Error(), "runlet: "+c.chip)
				var ce *runlet.ChipError
				require.ErrorAs(t, err, &ce)
				var pe *chip.PanicError
				if c.wantPanic {
					require.ErrorAs(t, err, &pe)
					require.Equal(t, "boom", pe.Value)
				} else {
					require.ErrorIs(t, err, errBadValue)
					require.False(t, errors.As(err, &pe), "an error, not a panic: %v", err)
				}
				require.Empty(t, got, "nothing is pushed before END")
			})
		}
	}
}

func TestKeyedRefusesBadArguments(t *testing.T) {
	store := pool.New("store", 4)
	lp := logicalpool.New("lp", store)
	in, out := ip(store, "in"), pool.NewPend[logicalpool.KV[int, int]](store, "out")
	id := func(v int) (int, error) { return v, nil }

	_, err := logicalpool.CountBy(lp, "zero", in, out, logicalpool.Partitions{N: 0}, id)
	require.ErrorContains(t, err, `CountBy "zero": 0 partitions`)
	_, err = logicalpool.CountBy[int, int](lp, "nil", in, out, logicalpool.Partitions{N: 2}, nil)
	require.ErrorContains(t, err, `CountBy "nil": nil key function`)
	_, err = logicalpool.MapReduce(lp, "nilreduce", in, out, logicalpool.Partitions{N: 2}, func(v int) (int, int, error) { return v, v, nil }, nil)
	require.ErrorContains(t, err, `MapReduce "nilreduce"`)
	_, err = logicalpool.CountBy(store, "plain", in, out, logicalpool.Partitions{N: 2}, id)
	require.ErrorContains(t, err, "logical pool")
	_, err = logicalpool.CountBy(nil, "nilpool", in, out, logicalpool.Partitions{N: 2}, id)
	require.ErrorContains(t, err, "nil logical pool")

	chips, err := logicalpool.CountBy(lp, "twice", in, out, logicalpool.Partitions{N: 2}, id)
	require.NoError(t, err)
	keys := make([]string, len(chips))
	for i, c := range chips {
		keys[i] = c.Spec().Key
	}
	require.Equal(t, []string{"twice", "twice.0", "twice.1", "twice.gather"}, keys)
	_, err = logicalpool.CountBy(lp, "twice", in, out, logicalpool.Partitions{N: 2}, id)
	require.ErrorContains(t, err, `view "twice.split" defined twice`)
}

func TestKeyedDescribeNamesEveryPart(t *testing.T) {
	store := pool.New("store", 16)
	lp := logicalpool.New("lp", store)
	in, out := ip(store, "in"), pool.NewPend[logicalpool.KV[int, int]](store, "out")
	chips, err := logicalpool.CountBy(lp, "count", in, out, logicalpool.Partitions{N: 2}, func(v int) (int, error) { return v % 3, nil })
	require.NoError(t, err)
	var got []logicalpool.KV[int, int]
	chips = append(chips, chip.FromSlice("source", in, []int{1, 2, 3, 4, 5, 6, 7}), chip.Collect("sink", out, &got))
	r := runlet.New(chips, runlet.Config{})
	require.NoError(t, r.Run(context.Background()))
	slices.SortFunc(got, func(a, b logicalpool.KV[int, int]) int { return a.Key - b.Key })
	require.Equal(t, "[0=2 1=3 2=2]", fmt.Sprint(got))
	d := r.Describe()
	for _, name := range []string{"count.split", "count.merge", "count.in0", "count.out1", `count.gather`, `count.1`} {
		require.Contains(t, d, name)
	}
}

// An async partition takes a batch only as large as the room in its output
// pend, which a full pool leaves at one pack unless the pend has a private
// size: the output pends get Partitions.Private, or 64 when it is 0.
func TestKeyedOutputPendsHaveAPrivateSize(t *testing.T) {
	for _, c := range []struct{ private, want int }{{0, 64}, {200, 200}} {
		store := pool.New("store", 16)
		lp := logicalpool.New("lp", store)
		parts := logicalpool.Partitions{N: 2, Private: c.private}
		in, out := ip(store, "in"), pool.NewPend[logicalpool.KV[int, int]](store, "out")
		chips, err := logicalpool.CountBy(lp, "count", in, out, parts, func(v int) (int, error) { return v, nil })
		require.NoError(t, err)
		var got []logicalpool.KV[int, int]
		chips = append(chips, chip.FromSlice("source", in, []int{1, 2, 1}), chip.Collect("sink", out, &got))
		require.NoError(t, runlet.New(chips, runlet.Config{}).Run(context.Background()))
		require.Len(t, got, 2)
		private := map[string]int{}
		for _, ps := range store.Snapshot().Pends {
			private[ps.Key] = ps.Private
		}
		for _, out := range []string{"count.out0", "count.out1"} {
			require.Equal(t, c.want, private[out], "private size of %s with Partitions.Private %d", out, c.private)
		}
		require.Equal(t, c.private, private["count.in0"], "private size of count.in0")
	}
}
