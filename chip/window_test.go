package chip_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Helpers of this file carry a win prefix.

// winSec is an event-time function: a value is its time in seconds from the
// zero time.Time, which every window step used here divides.
func winSec(v int) (time.Time, error) { return time.Time{}.Add(time.Duration(v) * time.Second), nil }

// winCount is the model of SlidingWindow over n values 0..n-1: the full
// windows, then the oldest open one if it holds a value none of them held.
func winCount(n, size, step int) [][]int {
	var out [][]int
	end := 0 // end of the last full window
	s := 0
	for ; s+size <= n; s += step {
		out = append(out, seq(s, s+size))
		end = s + size
	}
	if s < n && n > end {
		out = append(out, seq(s, n))
	}
	return out
}

// winSlide is the model of SlidingTimeWindow with winSec: every window
// [k*step, k*step+size) that holds a value, in order of start, with its
// values in arrival order.
func winSlide(values []int, size, step int) [][]int {
	if len(values) == 0 {
		return nil
	}
	var out [][]int
	lo, hi := slices.Min(values)-size-step, slices.Max(values)
	lo -= ((lo % step) + step) % step
	for s := lo; s <= hi; s += step {
		var w []int
		for _, v := range values {
			if v >= s && v < s+size {
				w = append(w, v)
			}
		}
		if w != nil {
			out = append(out, w)
		}
	}
	return out
}

func seq(from, to int) []int {
	out := make([]int, 0, to-from)
	for v := from; v < to; v++ {
		out = append(out, v)
	}
	return out
}

// winRun runs values through the chip mk builds, in a pool of the given
// limit with a consumer inside the runlet, and returns what it pushed; it
// fails the test unless exactly one END came, after every window.
func winRun(t *testing.T, limit int, values []int, mk func(in *pool.Pend[int], out *pool.Pend[[]int]) chip.Chip) ([][]int, error) {
	t.Helper()
	in, out := opsPends[int, []int](limit)
	var got [][]int
	ends := 0
	err := runlet.Run(context.Background(), opsSource("src", in, values), mk(in, out), opsCollect("sink", out, &got, &ends))
	if err == nil {
		require.Equal(t, 1, ends, "END packs")
	}
	return got, err
}

func TestSlidingWindowTable(t *testing.T) {
	in, out := opsPends[int, []int](pool.Unlimited)
	opsTable(t, in, out, []opsCase[int, []int]{
		{name: "overlap", op: chip.SlidingWindow("op", in, out, 3, 1), in: seq(1, 6), want: [][]int{{1, 2, 3}, {2, 3, 4}, {3, 4, 5}}},
		{name: "partial at END", op: chip.SlidingWindow("op", in, out, 3, 2), in: seq(1, 7), want: [][]int{{1, 2, 3}, {3, 4, 5}, {5, 6}}},
		{name: "tiles as Batch", op: chip.SlidingWindow("op", in, out, 2, 2), in: seq(1, 6), want: [][]int{{1, 2}, {3, 4}, {5}}},
		{name: "gaps", op: chip.SlidingWindow("op", in, out, 2, 3), in: seq(1, 9), want: [][]int{{1, 2}, {4, 5}, {7, 8}}},
		{name: "gaps partial", op: chip.SlidingWindow("op", in, out, 2, 3), in: seq(1, 8), want: [][]int{{1, 2}, {4, 5}, {7}}},
		{name: "gap at END", op: chip.SlidingWindow("op", in, out, 2, 3), in: seq(1, 7), want: [][]int{{1, 2}, {4, 5}}},
		{name: "short input", op: chip.SlidingWindow("op", in, out, 5, 1), in: []int{7, 8}, want: [][]int{{7, 8}}},
		{name: "size 1", op: chip.SlidingWindow("op", in, out, 1, 1), in: []int{7, 8}, want: [][]int{{7}, {8}}},
		{name: "empty", op: chip.SlidingWindow("op", in, out, 3, 1)},
	})
}

// Against the model, in a pool of limit 1 (every push waits for the
// consumer) and an unlimited one: the same windows, none lost or doubled.
func TestSlidingWindowModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 60 {
		n, size, step := r.IntN(40), 1+r.IntN(6), 1+r.IntN(8)
		for _, limit := range []int{1, pool.Unlimited} {
			got, err := winRun(t, limit, seq(0, n), func(in *pool.Pend[int], out *pool.Pend[[]int]) chip.Chip {
				return chip.SlidingWindow("w", in, out, size, step)
			})
			require.NoError(t, err)
			assert.Equal(t, winCount(n, size, step), got, "n=%d size=%d step=%d limit=%d", n, size, step, limit)
		}
	}
}

func TestSlidingTimeWindowEventTable(t *testing.T) {
	in, out := opsPends[int, []int](pool.Unlimited)
	ev := chip.WindowConfig[int]{EventTime: winSec}
	boom := chip.WindowConfig[int]{EventTime: func(v int) (time.Time, error) {
		if v == 3 {
			return time.Time{}, errOps
		}
		return winSec(v)
	}}
	panics := chip.WindowConfig[int]{EventTime: func(v int) (time.Time, error) {
		if v == 3 {
			panic("time bomb")
		}
		return winSec(v)
	}}
	opsTable(t, in, out, []opsCase[int, []int]{
		{name: "overlap", op: chip.SlidingTimeWindow("op", in, out, 2*time.Second, time.Second, ev), in: []int{0, 1, 3},
			want: [][]int{{0}, {0, 1}, {1}, {3}, {3}}},
		{name: "tiles", op: chip.SlidingTimeWindow("op", in, out, 2*time.Second, 2*time.Second, ev), in: []int{0, 1, 3, 8},
			want: [][]int{{0, 1}, {3}, {8}}},
		{name: "gaps", op: chip.SlidingTimeWindow("op", in, out, time.Second, 3*time.Second, ev), in: []int{0, 1, 2, 3, 4, 6},
			want: [][]int{{0}, {3}, {6}}},
		{name: "out of order within open windows", op: chip.SlidingTimeWindow("op", in, out, 4*time.Second, 4*time.Second, ev), in: []int{1, 3, 0, 2, 5},
			want: [][]int{{1, 3, 0, 2}, {5}}},
		{name: "empty", op: chip.SlidingTimeWindow("op", in, out, time.Second, time.Second, ev)},
		{name: "error", op: chip.SlidingTimeWindow("op", in, out, 2*time.Second, 2*time.Second, boom), in: []int{0, 1, 2, 3}, want: [][]int{{0, 1}}, err: errOps},
		{name: "panic", op: chip.SlidingTimeWindow("op", in, out, 2*time.Second, 2*time.Second, panics), in: []int{0, 1, 2, 3}, want: [][]int{{0, 1}}, panics: "time bomb"},
		{name: "late", op: chip.SlidingTimeWindow("op", in, out, 2*time.Second, time.Second, ev), in: []int{0, 5, 1}, want: [][]int{{0}, {0}}, err: chip.ErrLate},
		{name: "full", op: chip.SlidingTimeWindow("op", in, out, 10*time.Second, 10*time.Second, chip.WindowConfig[int]{EventTime: winSec, Max: 2}), in: []int{0, 1, 2}, err: chip.ErrWindowFull},
	})
}

// Against the model, in a pool of limit 1 and an unlimited one.
func TestSlidingTimeWindowModel(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 60 {
		var values []int
		for v, n := r.IntN(5), r.IntN(30); len(values) < n; v += r.IntN(4) {
			values = append(values, v)
		}
		size, step := 1+r.IntN(6), 1+r.IntN(6)
		for _, limit := range []int{1, pool.Unlimited} {
			got, err := winRun(t, limit, values, func(in *pool.Pend[int], out *pool.Pend[[]int]) chip.Chip {
				return chip.SlidingTimeWindow("w", in, out, time.Duration(size)*time.Second, time.Duration(step)*time.Second, chip.WindowConfig[int]{EventTime: winSec})
			})
			require.NoError(t, err)
			assert.Equal(t, winSlide(values, size, step), got, "values=%v size=%d step=%d limit=%d", values, size, step, limit)
		}
	}
}

// Event times that go back: either the chip fails with ErrLate, or it
// pushes what the model gives, every window holding all its values.
func TestSlidingTimeWindowDisorder(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	late := 0
	for range 300 {
		var values []int
		for v, n := 0, 1+r.IntN(30); len(values) < n; v += r.IntN(3) {
			values = append(values, v-r.IntN(4))
		}
		size, step := 1+r.IntN(8), 1+r.IntN(4)
		got, err := winRun(t, 1, values, func(in *pool.Pend[int], out *pool.Pend[[]int]) chip.Chip {
			return chip.SlidingTimeWindow("w", in, out, time.Duration(size)*time.Second, time.Duration(step)*time.Second, chip.WindowConfig[int]{EventTime: winSec})
		})
		if winLate(values, size, step) {
			late++
			require.ErrorIs(t, err, chip.ErrLate, "values=%v size=%d step=%d", values, size, step)
			continue
		}
		require.NoError(t, err, "values=%v size=%d step=%d", values, size, step)
		assert.Equal(t, winSlide(values, size, step), got, "values=%v size=%d step=%d", values, size, step)
	}
	t.Logf("%d of 300 inputs late", late)
	assert.Less(t, late, 250, "too few inputs exercise disorder without ErrLate")
}

// winLate reports whether a value of values (times in seconds) comes after
// one of its windows closed: the first window holding it starts before the
// first one still open at the latest time seen, which holds the latest.
func winLate(values []int, size, step int) bool {
	floor := func(v int) int { return v - ((v%step)+step)%step }
	first := func(v int) int { return floor(v-size) + step }
	mark := values[0]
	for _, v := range values {
		mark = max(mark, v)
		if v < floor(v)+size && first(v) < first(mark) {
			return true
		}
	}
	return false
}

func TestSessionWindowEventTable(t *testing.T) {
	in, out := opsPends[int, []int](pool.Unlimited)
	ev := chip.WindowConfig[int]{EventTime: winSec}
	boom := chip.WindowConfig[int]{EventTime: func(v int) (time.Time, error) {
		if v == 20 {
			return time.Time{}, errOps
		}
		return winSec(v)
	}}
	panics := chip.WindowConfig[int]{EventTime: func(v int) (time.Time, error) {
		if v == 20 {
			panic("time bomb")
		}
		return winSec(v)
	}}
	const gap = 5 * time.Second
	opsTable(t, in, out, []opsCase[int, []int]{
		{name: "sessions", op: chip.SessionWindow("op", in, out, gap, ev), in: []int{0, 1, 4, 10, 14, 19, 30},
			want: [][]int{{0, 1, 4}, {10, 14}, {19}, {30}}},
		{name: "back within gap", op: chip.SessionWindow("op", in, out, gap, ev), in: []int{10, 12, 6, 16, 21},
			want: [][]int{{10, 12, 6, 16}, {21}}},
		{name: "one value", op: chip.SessionWindow("op", in, out, gap, ev), in: []int{3}, want: [][]int{{3}}},
		{name: "empty", op: chip.SessionWindow("op", in, out, gap, ev)},
		{name: "late", op: chip.SessionWindow("op", in, out, gap, ev), in: []int{0, 10, 5}, want: [][]int{{0}}, err: chip.ErrLate},
		{name: "full", op: chip.SessionWindow("op", in, out, gap, chip.WindowConfig[int]{EventTime: winSec, Max: 2}), in: []int{0, 1, 9, 10, 11}, want: [][]int{{0, 1}}, err: chip.ErrWindowFull},
		{name: "error", op: chip.SessionWindow("op", in, out, gap, boom), in: []int{0, 10, 20}, want: [][]int{{0}}, err: errOps},
		{name: "panic", op: chip.SessionWindow("op", in, out, gap, panics), in: []int{0, 10, 20}, want: [][]int{{0}}, panics: "time bomb"},
	})
}

// Sessions under backpressure: a pool of limit 1 gives what an unlimited
// one gives.
func TestSessionWindowTightPool(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	values := []int{}
	for v := 0; len(values) < 200; v += r.IntN(8) {
		values = append(values, v)
	}
	mk := func(in *pool.Pend[int], out *pool.Pend[[]int]) chip.Chip {
		return chip.SessionWindow("w", in, out, 5*time.Second, chip.WindowConfig[int]{EventTime: winSec})
	}
	want, err := winRun(t, pool.Unlimited, values, mk)
	require.NoError(t, err)
	got, err := winRun(t, 1, values, mk)
	require.NoError(t, err)
	require.Equal(t, want, got)
	var flat []int
	for i, w := range got {
		flat = append(flat, w...)
		if i > 0 {
			assert.GreaterOrEqual(t, w[0]-got[i-1][len(got[i-1])-1], 5, "sessions %d and %d less than gap apart", i-1, i)
		}
	}
	assert.Equal(t, values, flat)
}

// Bad settings are Attach errors naming the chip.
func TestWindowAttachErrors(t *testing.T) {
	in, _ := opsPends[int, int](4)
	w := pool.NewPend[[]int](in.Pool(), "windows")
	for _, tc := range []struct {
		op   chip.Chip
		want string
	}{
		{chip.SlidingWindow("op", in, w, 0, 1), `chip "op": window size 0 is below 1`},
		{chip.SlidingWindow("op", in, w, 3, 0), `chip "op": window step 0 is below 1`},
		{chip.SlidingTimeWindow("op", in, w, 0, time.Second, chip.WindowConfig[int]{}), `chip "op": window size 0s is not positive`},
		{chip.SlidingTimeWindow("op", in, w, time.Second, -time.Second, chip.WindowConfig[int]{}), `chip "op": window step -1s is not positive`},
		{chip.SlidingTimeWindow("op", in, w, time.Second, time.Second, chip.WindowConfig[int]{Max: -1}), `chip "op": window max -1 is negative`},
		{chip.SessionWindow("op", in, w, -time.Second, chip.WindowConfig[int]{}), `chip "op": session gap -1s is not positive`},
		{chip.SessionWindow("op", in, w, 0, chip.WindowConfig[int]{}), `chip "op": session gap 0s is not positive`},
	} {
		err := opsAttach(t, in, w, tc.op)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Attach = %v, want it to say %s", err, tc.want)
		}
	}
}

// stampedWin is a window with the fake time it reached the consumer, from
// the start of the test.
type stampedWin struct {
	at time.Duration
	w  []int
}

func (s stampedWin) String() string { return fmt.Sprintf("%v@%v", s.w, s.at) }

// winClock runs op (from a to b) in a synctest bubble with a consumer chip
// that stamps each window with its fake time, feeds it through feed, and
// returns the stamped windows and the runlet (for Describe, after Run).
func winClock(t *testing.T, op func(a *pool.Pend[int], b *pool.Pend[[]int]) chip.Chip, feed func(push func(int), r *runlet.Runlet)) []stampedWin {
	t.Helper()
	a, b := opsPends[int, []int](1)
	start := time.Now()
	var got []stampedWin
	sink := chip.ForEach("sink", b, func(w []int) error {
		got = append(got, stampedWin{time.Since(start), w})
		return nil
	})
	r := runlet.New([]chip.Chip{op(a, b), sink}, runlet.Config{})
	in, err := runlet.PendInput(r, a)
	require.NoError(t, err)
	done, stop := opsStart(r)
	defer stop()
	ctx := context.Background()
	feed(func(v int) {
		t.Helper()
		require.NoError(t, in.PushWait(ctx, hints.Data(v)))
		synctest.Wait()
	}, r)
	require.NoError(t, in.PushWait(ctx, hints.EndOf[int](1)))
	require.NoError(t, <-done)
	return got
}

// With the clock, windows close on time alone, at exactly their end.
func TestSlidingTimeWindowClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got := winClock(t, func(a *pool.Pend[int], b *pool.Pend[[]int]) chip.Chip {
			return chip.SlidingTimeWindow("w", a, b, 10*time.Second, 5*time.Second, chip.WindowConfig[int]{})
		}, func(push func(int), r *runlet.Runlet) {
			push(1)
			time.Sleep(3 * time.Second)
			push(2)
			assert.Contains(t, r.Describe(), "[open windows hold 2 of 65536]")
			time.Sleep(4 * time.Second)
			push(3)                      // at 7s; [-5s, 5s) went at 5s
			time.Sleep(20 * time.Second) // [0, 10s) at 10s, [5s, 15s) at 15s
			push(4)                      // at 27s, pushed at END
			time.Sleep(time.Second)
		})
		want := []stampedWin{{5 * time.Second, []int{1, 2}}, {10 * time.Second, []int{1, 2, 3}}, {15 * time.Second, []int{3}},
			{28 * time.Second, []int{4}}, {28 * time.Second, []int{4}}}
		assert.Equal(t, want, got)
	})
}

// With the clock, a session closes gap after its last value, with no input.
func TestSessionWindowClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got := winClock(t, func(a *pool.Pend[int], b *pool.Pend[[]int]) chip.Chip {
			return chip.SessionWindow("w", a, b, 5*time.Second, chip.WindowConfig[int]{})
		}, func(push func(int), r *runlet.Runlet) {
			push(1)
			time.Sleep(3 * time.Second)
			push(2)
			assert.Contains(t, r.Describe(), "[session 2 of 65536]")
			time.Sleep(7 * time.Second) // closed at 8s
			assert.Contains(t, r.Describe(), "[session 0 of 65536]")
			push(3) // at 10s
			time.Sleep(4 * time.Second)
			push(4) // at 14s
			time.Sleep(time.Hour)
			push(5) // at 1h14s, pushed at END
		})
		want := []stampedWin{{8 * time.Second, []int{1, 2}}, {19 * time.Second, []int{3, 4}}, {time.Hour + 14*time.Second, []int{5}}}
		assert.Equal(t, want, got)
	})
}

// Describe shows the count window's fill.
func TestSlidingWindowDescribe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got := winClock(t, func(a *pool.Pend[int], b *pool.Pend[[]int]) chip.Chip {
			return chip.SlidingWindow("w", a, b, 3, 1)
		}, func(push func(int), r *runlet.Runlet) {
			push(1)
			push(2)
			assert.Contains(t, r.Describe(), "[window 2 of 3]")
			push(3)
			assert.Contains(t, r.Describe(), "[window 2 of 3]") // [1 2 3] pushed, [2 3] open
		})
		assert.Equal(t, []stampedWin{{0, []int{1, 2, 3}}}, got)
	})
}

// The errors of the time windows are sentinels under the chip's key.
func TestWindowErrorsNameTheChip(t *testing.T) {
	_, err := winRun(t, 1, []int{0, 10, 5}, func(in *pool.Pend[int], out *pool.Pend[[]int]) chip.Chip {
		return chip.SessionWindow("sess", in, out, time.Second, chip.WindowConfig[int]{EventTime: winSec})
	})
	var ce *runlet.ChipError
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.Equal(t, "sess", ce.Chip)
	assert.ErrorIs(t, err, chip.ErrLate)
	assert.Contains(t, err.Error(), `chip "sess"`)
}

// The windows allocate one slice per window and nothing per value: 100,000
// values in windows of 100 make about 1,000 allocations, setup included.
func TestWindowAllocsPerWindow(t *testing.T) {
	const n, size = 100_000, 100
	input := seq(0, n)
	ev := chip.WindowConfig[int]{EventTime: winSec}
	sessions := chip.WindowConfig[int]{EventTime: func(v int) (time.Time, error) { return winSec(v + v/size*size) }} // a gap every 100
	for _, c := range []struct {
		name string
		mk   func(in *pool.Pend[int], out *pool.Pend[[]int]) chip.Chip
	}{
		{"SlidingWindow", func(in *pool.Pend[int], out *pool.Pend[[]int]) chip.Chip {
			return chip.SlidingWindow("w", in, out, size, size)
		}},
		{"SlidingTimeWindow", func(in *pool.Pend[int], out *pool.Pend[[]int]) chip.Chip {
			return chip.SlidingTimeWindow("w", in, out, size*time.Second, size*time.Second, ev)
		}},
		{"SessionWindow", func(in *pool.Pend[int], out *pool.Pend[[]int]) chip.Chip {
			return chip.SessionWindow("w", in, out, 50*time.Second, sessions)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			windows, values := 0, 0
			var err error
			allocs := opsMallocs(func() {
				in, out := opsPends[int, []int](64)
				err = runlet.Run(context.Background(), chip.FromSlice("src", in, input), c.mk(in, out),
					chip.ForEach("sink", out, func(w []int) error { windows++; values += len(w); return nil }))
			})
			require.NoError(t, err)
			require.Equal(t, n/size, windows)
			require.Equal(t, n, values)
			t.Logf("%d allocations for %d windows of %d", allocs, windows, size)
			assert.Less(t, allocs, uint64(windows+windows/2), "allocations: one per window and a setup")
		})
	}
}
