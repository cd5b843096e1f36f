package chip_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Helpers of this file carry a dd prefix.

var errDD = errors.New("dd: user function failed")

// ddRun runs values through the chip that mk makes from pends "in" and
// "out" in a pool of the given limit, fed by FromSlice and drained by
// Collect, and returns what reached Collect.
func ddRun[T any](t *testing.T, limit int, values []T, mk func(in, out *pool.Pend[T]) chip.Chip) ([]T, error) {
	t.Helper()
	p := pool.New("p", limit)
	in, out := pool.NewPend[T](p, "in"), pool.NewPend[T](p, "out")
	var got []T
	err := runlet.Run(context.Background(),
		chip.FromSlice("src", in, values), mk(in, out), chip.Collect("keep", out, &got))
	return got, err
}

// ddAttach returns Attach's error for op between pends in and out.
func ddAttach(t *testing.T, mk func(in, out *pool.Pend[int]) chip.Chip) error {
	t.Helper()
	p := pool.New("p", 4)
	in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
	r := runlet.New([]chip.Chip{chip.FromSlice("src", in, []int{1}), mk(in, out), chip.Collect("keep", out, new([]int))}, runlet.Config{})
	return r.Attach()
}

// An LRU remembers the n most recent keys, a repeat refreshing its key; a
// key evicted passes again. Checked against a naive model over a long input
// with many repeats, in pools of limit 1 and 64.
func TestDistinctLRUMatchesAModel(t *testing.T) {
	values := make([]int, 3000)
	x := uint32(1)
	for i := range values {
		x = x*1664525 + 1013904223
		values[i] = int(x>>24) % 40
	}
	for _, n := range []int{1, 3, 16, 64} {
		var want, recent []int // recent: most recent last
		for _, v := range values {
			at := -1
			for j, r := range recent {
				if r == v {
					at = j
				}
			}
			if at >= 0 {
				recent = append(recent[:at], recent[at+1:]...)
			} else {
				want = append(want, v)
				if len(recent) == n {
					recent = recent[1:]
				}
			}
			recent = append(recent, v)
		}
		for _, limit := range []int{1, 64} {
			got, err := ddRun(t, limit, values, func(in, out *pool.Pend[int]) chip.Chip {
				return chip.Distinct("op", in, out, chip.LRU(n))
			})
			require.NoError(t, err)
			require.Equal(t, want, got, "n=%d limit=%d", n, limit)
		}
	}
}

func TestDistinctByKeepsFirstOfEachKey(t *testing.T) {
	words := []string{"apple", "Avocado", "banana", "blueberry", "cherry", "apricot", "Cranberry"}
	got, err := ddRun(t, 1, words, func(in, out *pool.Pend[string]) chip.Chip {
		return chip.DistinctBy("op", in, out, chip.LRU(10), func(w string) (byte, error) {
			return strings.ToLower(w)[0], nil
		})
	})
	require.NoError(t, err)
	require.Equal(t, []string{"apple", "banana", "cherry"}, got)

	got, err = ddRun(t, 4, nil, func(in, out *pool.Pend[string]) chip.Chip {
		return chip.Distinct("op", in, out, chip.LRU(10))
	})
	require.NoError(t, err)
	require.Empty(t, got)
}

// ddTimed pushes each value at its fake time (offsets from the start) into a
// Distinct chip and returns the values that passed with their times.
func ddTimed(t *testing.T, mem chip.Memory, feed []tmEvent) []tmEvent {
	t.Helper()
	got, err := tmRun(t, 1, func(in, out *pool.Pend[int]) chip.Chip {
		return chip.Distinct("op", in, out, mem)
	}, feed, feed[len(feed)-1].At+time.Millisecond)
	require.NoError(t, err)
	return got
}

// A TTL key passes again once d has passed since it last passed; dropped
// duplicates do not extend the time, and expired keys are forgotten (the
// ring grows past its first size and wraps).
func TestDistinctTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := time.Millisecond
		got := ddTimed(t, chip.TTL(100*ms), []tmEvent{
			{0, 1}, {10 * ms, 2}, {50 * ms, 1}, {99 * ms, 1}, {100 * ms, 1}, {109 * ms, 2}, {110 * ms, 2},
			{150 * ms, 1}, {199 * ms, 1}, {200 * ms, 1},
		})
		require.Equal(t, []tmEvent{{0, 1}, {10 * ms, 2}, {100 * ms, 1}, {110 * ms, 2}, {200 * ms, 1}}, got)

		// 40 keys a round, 3 rounds 1s apart with a TTL of 500ms: every
		// round passes whole, the repeats within a round do not.
		var feed, want []tmEvent
		for round := range 3 {
			for i := range 80 {
				at := time.Duration(round)*time.Second + time.Duration(i)*ms
				feed = append(feed, tmEvent{at, i % 40})
				if i < 40 {
					want = append(want, tmEvent{at, i % 40})
				}
			}
		}
		require.Equal(t, want, ddTimed(t, chip.TTL(500*ms), feed))
	})
}

func TestDedupeConsecutive(t *testing.T) {
	for _, limit := range []int{1, 64} {
		got, err := ddRun(t, limit, []int{1, 1, 2, 2, 2, 1, 3, 3, 1, 1}, func(in, out *pool.Pend[int]) chip.Chip {
			return chip.DedupeConsecutive("op", in, out)
		})
		require.NoError(t, err)
		require.Equal(t, []int{1, 2, 1, 3, 1}, got, "limit=%d", limit)
	}
	got, err := ddRun(t, 4, []int{10, 12, 21, 20, 33, 14}, func(in, out *pool.Pend[int]) chip.Chip {
		return chip.DedupeConsecutiveBy("op", in, out, func(v int) (int, error) { return v / 10, nil })
	})
	require.NoError(t, err)
	require.Equal(t, []int{10, 21, 33, 14}, got)
	got, err = ddRun(t, 4, nil, func(in, out *pool.Pend[int]) chip.Chip {
		return chip.DedupeConsecutive("op", in, out)
	})
	require.NoError(t, err)
	require.Empty(t, got)
}

// keyOf's errors and panics fail the runlet, naming the chip.
func TestDedupeUserErrors(t *testing.T) {
	bad := func(v int) (int, error) {
		if v == 3 {
			return 0, errDD
		}
		if v == 4 {
			panic("key boom")
		}
		return v, nil
	}
	for name, mk := range map[string]func(in, out *pool.Pend[int]) chip.Chip{
		"distinct":    func(in, out *pool.Pend[int]) chip.Chip { return chip.DistinctBy("op", in, out, chip.LRU(4), bad) },
		"consecutive": func(in, out *pool.Pend[int]) chip.Chip { return chip.DedupeConsecutiveBy("op", in, out, bad) },
	} {
		_, err := ddRun(t, 4, []int{1, 2, 3}, mk)
		var ce *runlet.ChipError
		require.ErrorIs(t, err, errDD, name)
		require.ErrorAs(t, err, &ce, name)
		require.Equal(t, "op", ce.Chip, name)

		_, err = ddRun(t, 4, []int{1, 4}, mk)
		var pe *chip.PanicError
		require.ErrorAs(t, err, &pe, name)
		require.ErrorContains(t, err, `chip "op": panic: key boom`, name)
	}
}

func TestDedupeAttachErrors(t *testing.T) {
	id := func(v int) (int, error) { return v, nil }
	for _, tc := range []struct {
		mk   func(in, out *pool.Pend[int]) chip.Chip
		want string
	}{
		{func(in, out *pool.Pend[int]) chip.Chip { return chip.Distinct("op", in, out, chip.Memory{}) },
			`chip "op": distinct memory is not set: use chip.LRU(n) or chip.TTL(d)`},
		{func(in, out *pool.Pend[int]) chip.Chip { return chip.Distinct("op", in, out, chip.LRU(0)) },
			`chip "op": distinct memory LRU(0) is below 1 key`},
		{func(in, out *pool.Pend[int]) chip.Chip {
			return chip.DistinctBy("op", in, out, chip.TTL(-time.Second), id)
		},
			`chip "op": distinct memory TTL(-1s) is negative`},
		{func(in, out *pool.Pend[int]) chip.Chip {
			return chip.DistinctBy[int, int]("op", in, out, chip.LRU(1), nil)
		},
			`chip "op": nil process`},
		{func(in, out *pool.Pend[int]) chip.Chip { return chip.DedupeConsecutiveBy[int, int]("op", in, out, nil) },
			`chip "op": nil process`},
	} {
		require.ErrorContains(t, ddAttach(t, tc.mk), tc.want)
	}
	require.Equal(t, "LRU(3)", chip.LRU(3).String())
	require.Equal(t, "TTL(1s)", chip.TTL(time.Second).String())
}

// Describe shows the number of keys remembered.
func TestDistinctDescribe(t *testing.T) {
	p := pool.New("p", 64)
	in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
	r := runlet.New([]chip.Chip{
		chip.FromSlice("src", in, []int{1, 2, 1, 3, 4, 5, 5}),
		chip.Distinct("op", in, out, chip.LRU(3)),
	}, runlet.Config{})
	o, err := runlet.PendOutput(r, out)
	require.NoError(t, err)
	require.NoError(t, r.Run(context.Background()))
	require.Contains(t, r.Describe(), "[distinct 3 of 3 keys, 5 passed]")
	var got []int
	for pk, ok := o.Pull(); ok && pk.Hint == 0; pk, ok = o.Pull() {
		got = append(got, pk.Value)
	}
	require.Equal(t, []int{1, 2, 3, 4, 5}, got)
}

// A full LRU allocates nothing per value: evicted entries are reused.
func TestDistinctLRUAllocatesNothingPerValue(t *testing.T) {
	const n = 100_000
	values := make([]int, n)
	for i := range values {
		values[i] = i // every value new: each evicts
	}
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := ddRun(t, 1024, values, func(in, out *pool.Pend[int]) chip.Chip {
			return chip.Distinct("op", in, out, chip.LRU(100))
		}); err != nil {
			t.Fatal(err)
		}
	})
	// Collect's slice grows (about 40 allocations) and a run's setup costs a
	// few hundred; one allocation per value would be 100,000.
	t.Logf("%.0f allocations for %d values", allocs, n)
	require.Less(t, allocs, float64(n/100))
}

func ExampleDistinctBy() {
	type event struct {
		user string
		n    int
	}
	p := pool.New("p", 16)
	in, out := pool.NewPend[event](p, "in"), pool.NewPend[event](p, "out")
	var got []event
	err := runlet.Run(context.Background(),
		chip.FromSlice("events", in, []event{{"ann", 1}, {"bob", 2}, {"ann", 3}, {"cy", 4}, {"bob", 5}, {"ann", 6}}),
		// Remember the last 2 users. ann's second event refreshes her, so
		// cy evicts bob; bob's second event then passes (and evicts ann),
		// and so does ann's third.
		chip.DistinctBy("first-per-user", in, out, chip.LRU(2), func(e event) (string, error) { return e.user, nil }),
		chip.Collect("keep", out, &got))
	fmt.Println(got, err)
	// Output: [{ann 1} {bob 2} {cy 4} {bob 5} {ann 6}] <nil>
}
