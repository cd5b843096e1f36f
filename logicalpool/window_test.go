package logicalpool_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

type winKV = logicalpool.KV[int, []int]

// countWindows is the model of one key's windows: the full windows of vs,
// then the oldest open one if it holds a value none of them held.
func countWindows(vs []int, size, step int) [][]int {
	var out [][]int
	end, s := 0, 0
	for ; s+size <= len(vs); s += step {
		out = append(out, vs[s:s+size])
		end = s + size
	}
	if s < len(vs) && len(vs) > end {
		out = append(out, vs[s:])
	}
	return out
}

// windowsByKey groups windows by key, keeping their order.
func windowsByKey(kvs []winKV) map[int][][]int {
	m := map[int][][]int{}
	for _, kv := range kvs {
		m[kv.Key] = append(m[kv.Key], kv.Value)
	}
	return m
}

// Against the model, over 1, 2 and 4 partitions, pools of limit 1 (every
// push waits), 3 and 1024, and inputs from empty to 600 values: every
// key's windows, in order, none lost or doubled, and one END.
func TestWindowByKeyMatchesAModel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, parts := range []int{1, 2, 4} {
		for _, limit := range []int{1, 3, 1024} {
			for _, n := range []int{0, 1, 9, 600} {
				size, step, keys := 1+r.IntN(5), 1+r.IntN(6), 1+r.IntN(12)
				values := randomInts(r, n, 1000)
				perKey := map[int][]int{}
				for _, v := range values {
					perKey[v%keys] = append(perKey[v%keys], v)
				}
				want := map[int][][]int{}
				for k, vs := range perKey {
					want[k] = countWindows(vs, size, step)
				}
				name := fmt.Sprintf("parts=%d/limit=%d/n=%d/size=%d/step=%d", parts, limit, n, size, step)
				got, err := keyedRun(t, limit, values, func(lp *pool.Pool, prev *pool.Pend[int], next *pool.Pend[winKV]) ([]chip.Chip, error) {
					return logicalpool.WindowByKey(lp, "win", prev, next, logicalpool.Partitions{N: parts}, size, step,
						func(v int) (int, int, error) { return v % keys, v, nil })
				})
				require.NoError(t, err, name)
				require.Equal(t, want, windowsByKey(got), name)
			}
		}
	}
}

// A key's window is pushed as soon as it fills, long before END.
func TestWindowByKeyPushesBeforeEnd(t *testing.T) {
	store := pool.New("store", 16)
	lp := logicalpool.New("lp", store)
	in, out := ip(store, "in"), pool.NewPend[winKV](store, "out")
	chips, err := logicalpool.WindowByKey(lp, "win", in, out, logicalpool.Partitions{N: 2}, 2, 2,
		func(v int) (int, int, error) { return v % 2, v, nil })
	require.NoError(t, err)
	r := runlet.New(chips, runlet.Config{})
	src, err := runlet.PendInput(r, in)
	require.NoError(t, err)
	dst, err := runlet.PendOutput(r, out)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a net against a hang only
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	for _, v := range []int{1, 2, 3} {
		require.NoError(t, src.PushWait(ctx, hints.Data(v)))
	}
	pk, err := dst.PullWait(ctx)
	require.NoError(t, err)
	require.Equal(t, winKV{Key: 1, Value: []int{1, 3}}, pk.Value)
	// Value 2 may still be on its way to its partition (an async chip):
	// wait until its window shows it.
	require.Eventually(t, func() bool { return strings.Contains(r.Describe(), " 1 values in open windows of 2]") },
		10*time.Second, time.Millisecond, "no open window holds value 2")
	require.NoError(t, src.PushWait(ctx, hints.EndOf[int](1)))
	pk, err = dst.PullWait(ctx)
	require.NoError(t, err)
	require.Equal(t, winKV{Key: 0, Value: []int{2}}, pk.Value, "the partial window at END")
	pk, err = dst.PullWait(ctx)
	require.NoError(t, err)
	require.Equal(t, hints.End, pk.Hint)
	require.NoError(t, <-done)
}

// An error or panic in split fails the runlet as the chip key's.
func TestWindowByKeySplitErrorsNameTheChip(t *testing.T) {
	for _, panics := range []bool{false, true} {
		got, err := keyedRun(t, 4, seq(0, 100), func(lp *pool.Pool, prev *pool.Pend[int], next *pool.Pend[winKV]) ([]chip.Chip, error) {
			return logicalpool.WindowByKey(lp, "win", prev, next, logicalpool.Partitions{N: 2}, 3, 3, func(v int) (int, int, error) {
				if v == 50 {
					if panics {
						panic("boom")
					}
					return 0, 0, errBadValue
				}
				return v % 2, v, nil
			})
		})
		var ce *runlet.ChipError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "win", ce.Chip)
		var pe *chip.PanicError
		if panics {
			require.ErrorAs(t, err, &pe)
			require.Equal(t, "boom", pe.Value)
		} else {
			require.ErrorIs(t, err, errBadValue)
			require.False(t, errors.As(err, &pe))
		}
		for _, kv := range got { // windows already full went out; none holds 50 or later
			require.Len(t, kv.Value, 3)
			require.Less(t, kv.Value[2], 50)
		}
	}
}

func TestWindowByKeyRefusesBadArguments(t *testing.T) {
	store := pool.New("store", 4)
	lp := logicalpool.New("lp", store)
	in, out := ip(store, "in"), pool.NewPend[winKV](store, "out")
	split := func(v int) (int, int, error) { return v, v, nil }
	for _, c := range []struct {
		parts, size, step int
		split             func(int) (int, int, error)
		want              string
	}{
		{1, 0, 1, split, `WindowByKey "w0": window size 0 is below 1`},
		{1, 2, 0, split, `WindowByKey "w1": window step 0 is below 1`},
		{0, 2, 1, split, `WindowByKey "w2": 0 partitions, want at least 1`},
		{1, 2, 1, nil, `WindowByKey "w3": nil split function`},
	} {
		key := "w" + c.want[len(`WindowByKey "w`):][:1]
		_, err := logicalpool.WindowByKey(lp, key, in, out, logicalpool.Partitions{N: c.parts}, c.size, c.step, c.split)
		require.ErrorContains(t, err, c.want)
	}
	_, err := logicalpool.WindowByKey(nil, "nilpool", in, out, logicalpool.Partitions{N: 1}, 1, 1, split)
	require.ErrorContains(t, err, `WindowByKey "nilpool": nil logical pool`)
}

func seq(from, to int) []int {
	out := make([]int, 0, to-from)
	for v := from; v < to; v++ {
		out = append(out, v)
	}
	return out
}

// Per-sensor pairs of consecutive readings, over two partitions: each
// sensor's windows come in its own order; the sort only fixes the order
// across sensors for the output. Every reading is in a full window already,
// so END pushes no partial one.
func ExampleWindowByKey() {
	store := pool.New("store", 64)
	lp := logicalpool.New("lp", store)
	type reading struct {
		sensor string
		value  int
	}
	type pair = logicalpool.KV[string, []int]
	readings, pairs := pool.NewPend[reading](store, ""), pool.NewPend[pair](store, "")
	chips, err := logicalpool.WindowByKey(lp, "pairs", readings, pairs, logicalpool.Partitions{N: 2}, 2, 1,
		func(r reading) (string, int, error) { return r.sensor, r.value, nil })
	if err != nil {
		fmt.Println(err)
		return
	}
	var got []pair
	chips = append(chips,
		chip.FromSlice("read", readings, []reading{{"a", 1}, {"b", 10}, {"a", 2}, {"a", 3}, {"b", 20}, {"b", 30}, {"a", 4}}),
		chip.Collect("keep", pairs, &got),
	)
	if err := runlet.Run(context.Background(), chips...); err != nil {
		fmt.Println(err)
		return
	}
	slices.SortStableFunc(got, func(x, y pair) int { return strings.Compare(x.Key, y.Key) })
	fmt.Println(got)
	// Output: [a=[1 2] a=[2 3] a=[3 4] b=[10 20] b=[20 30]]
}
