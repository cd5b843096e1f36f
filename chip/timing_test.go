package chip_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Helpers of this file carry a tm prefix.

// tmEvent is a value and the fake time, from the start of a run, at which it
// was pushed in or came out.
type tmEvent struct {
	At time.Duration
	V  int
}

// tmRun runs the chip mk makes from pends "in" and "out", in a pool of the
// given limit, inside the caller's synctest bubble: it pushes each value of
// feed at its time, the END at endAt, pauses the runlet over pause[0] to
// pause[1] if pause[1] > 0, and returns what came out, with times. It checks
// that exactly one END came out, last.
func tmRun(t *testing.T, limit int, mk func(in, out *pool.Pend[int]) chip.Chip, feed []tmEvent, endAt time.Duration, pause ...time.Duration) ([]tmEvent, error) {
	t.Helper()
	p := pool.New("p", limit)
	in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
	start := time.Now()
	var got []tmEvent
	ends := 0
	rec := chip.NewOutput("rec", out, nil, func(_ context.Context, pk hints.Pack[int], _ *struct{}) error {
		if pk.Hint == hints.End {
			ends++
			return nil
		}
		if ends > 0 {
			t.Errorf("value %d after END", pk.Value)
		}
		got = append(got, tmEvent{time.Since(start), pk.Value})
		return nil
	})
	r := runlet.New([]chip.Chip{mk(in, out), rec}, runlet.Config{})
	h, err := runlet.PendInput(r, in)
	require.NoError(t, err)
	// The feeder's actions in time order; at a tie, the order listed.
	type action struct {
		at time.Duration
		do func()
	}
	ctx := context.Background()
	var acts []action
	for _, ev := range feed {
		acts = append(acts, action{ev.At, func() { _ = h.PushWait(ctx, hints.Data(ev.V)) }})
	}
	if len(pause) == 2 {
		acts = append(acts, action{pause[0], r.Pause}, action{pause[1], r.Resume})
	}
	acts = append(acts, action{endAt, func() { _ = h.PushWait(ctx, hints.EndOf[int](1)) }})
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].at < acts[j].at })
	go func() {
		for _, a := range acts {
			time.Sleep(time.Until(start.Add(a.at)))
			a.do()
		}
	}()
	err = r.Run(ctx)
	if err == nil && ends != 1 {
		t.Errorf("%d ENDs came out, want 1", ends)
	}
	return got, err
}

// tmCheck runs mk over feed in pools of limit 1 and 64 (backpressure moves
// no time, so neither the values nor their times change) and compares what
// came out with want.
func tmCheck(t *testing.T, mk func(in, out *pool.Pend[int]) chip.Chip, feed []tmEvent, endAt time.Duration, want []tmEvent) {
	t.Helper()
	for _, limit := range []int{1, 64} {
		synctest.Test(t, func(t *testing.T) {
			got, err := tmRun(t, limit, mk, feed, endAt)
			require.NoError(t, err)
			require.Equal(t, want, got, "limit %d", limit)
		})
	}
}

const ms = time.Millisecond

func TestDebounce(t *testing.T) {
	mk := func(in, out *pool.Pend[int]) chip.Chip { return chip.Debounce("op", in, out, 100*ms) }
	// A burst goes out as its last value, d after it; one alone likewise;
	// the value pending at END goes out with it.
	tmCheck(t, mk, []tmEvent{{0, 1}, {30 * ms, 2}, {60 * ms, 3}, {300 * ms, 4}, {450 * ms, 5}, {520 * ms, 6}}, 600*ms,
		[]tmEvent{{160 * ms, 3}, {400 * ms, 4}, {600 * ms, 6}})
	tmCheck(t, mk, nil, 600*ms, nil)
}

func TestThrottle(t *testing.T) {
	feed := []tmEvent{{0, 1}, {30 * ms, 2}, {99 * ms, 3}, {120 * ms, 4}, {150 * ms, 5}, {250 * ms, 6}, {400 * ms, 7}}
	first := func(in, out *pool.Pend[int]) chip.Chip { return chip.Throttle("op", in, out, 100*ms, chip.KeepFirst) }
	last := func(in, out *pool.Pend[int]) chip.Chip { return chip.Throttle("op", in, out, 100*ms, chip.KeepLast) }
	// Each period's first at once; END passes with nothing pending.
	tmCheck(t, first, feed, 450*ms, []tmEvent{{0, 1}, {120 * ms, 4}, {250 * ms, 6}, {400 * ms, 7}})
	// Each period's last when it ends; the one pending at END goes with it.
	tmCheck(t, last, feed, 450*ms, []tmEvent{{100 * ms, 3}, {220 * ms, 5}, {350 * ms, 6}, {450 * ms, 7}})
	// A value exactly d after the period's first opens the next period.
	tmCheck(t, first, []tmEvent{{0, 1}, {100 * ms, 2}}, 150*ms, []tmEvent{{0, 1}, {100 * ms, 2}})
	tmCheck(t, first, nil, 150*ms, nil)
	tmCheck(t, last, nil, 150*ms, nil)
}

func TestSample(t *testing.T) {
	mk := func(in, out *pool.Pend[int]) chip.Chip { return chip.Sample("op", in, out, 100*ms) }
	// Ticks at 110, 210, 310, 410 (from the first value at 10): 310 has no
	// new value and pushes nothing; the value pending at END goes with it.
	tmCheck(t, mk, []tmEvent{{10 * ms, 1}, {50 * ms, 2}, {130 * ms, 3}, {140 * ms, 4}, {350 * ms, 5}, {420 * ms, 6}}, 450*ms,
		[]tmEvent{{110 * ms, 2}, {210 * ms, 4}, {410 * ms, 5}, {450 * ms, 6}})
	tmCheck(t, mk, nil, 450*ms, nil)
}

// A chip kept from running past a value's due time (here: paused while input
// queues) pushes the overdue value with the next input it takes: late, but
// never lost or pushed twice.
func TestTimingOverdue(t *testing.T) {
	for _, tc := range []struct {
		name string
		mk   func(in, out *pool.Pend[int]) chip.Chip
		want []tmEvent
	}{
		// 2 and 3 are taken at 300: 1 goes then, 3 is the burst's last.
		{"debounce", func(in, out *pool.Pend[int]) chip.Chip { return chip.Debounce("op", in, out, 100*ms) },
			[]tmEvent{{300 * ms, 1}, {400 * ms, 3}}},
		// 1's period ended at 100: it goes at 300, 2 opens the next period,
		// 3 replaces it, and it goes at 400.
		{"throttle last", func(in, out *pool.Pend[int]) chip.Chip {
			return chip.Throttle("op", in, out, 100*ms, chip.KeepLast)
		}, []tmEvent{{300 * ms, 1}, {400 * ms, 3}}},
		// The tick at 100 was missed: 1 goes at 300, 3 at the tick of 400.
		{"sample", func(in, out *pool.Pend[int]) chip.Chip { return chip.Sample("op", in, out, 100*ms) },
			[]tmEvent{{300 * ms, 1}, {400 * ms, 3}}},
	} {
		synctest.Test(t, func(t *testing.T) {
			got, err := tmRun(t, 64, tc.mk, []tmEvent{{0, 1}, {20 * ms, 2}, {50 * ms, 3}}, 500*ms, 10*ms, 300*ms)
			require.NoError(t, err)
			require.Equal(t, tc.want, got, tc.name)
		})
	}
}

func TestTimingAttachErrors(t *testing.T) {
	for _, tc := range []struct {
		mk   func(in, out *pool.Pend[int]) chip.Chip
		want string
	}{
		{func(in, out *pool.Pend[int]) chip.Chip { return chip.Debounce("op", in, out, 0) },
			`chip "op": debounce period 0s is not positive`},
		{func(in, out *pool.Pend[int]) chip.Chip { return chip.Throttle("op", in, out, -ms, chip.KeepFirst) },
			`chip "op": throttle period -1ms is not positive`},
		{func(in, out *pool.Pend[int]) chip.Chip { return chip.Throttle("op", in, out, ms, 0) },
			`chip "op": throttle keep Keep(0) is neither KeepFirst nor KeepLast`},
		{func(in, out *pool.Pend[int]) chip.Chip { return chip.Sample("op", in, out, 0) },
			`chip "op": sample period 0s is not positive`},
	} {
		require.ErrorContains(t, ddAttach(t, tc.mk), tc.want)
	}
	require.Equal(t, "KeepLast", chip.KeepLast.String())
}

// Values come in faster than the hour: only the last of the burst goes out,
// pushed with the END.
func ExampleDebounce() {
	p := pool.New("p", 16)
	in, out := pool.NewPend[string](p, "in"), pool.NewPend[string](p, "out")
	var got []string
	err := runlet.Run(context.Background(),
		chip.FromSlice("keys", in, []string{"r", "ru", "run", "runl"}),
		chip.Debounce("typing", in, out, time.Hour),
		chip.Collect("search", out, &got))
	fmt.Println(got, err)
	// Output: [runl] <nil>
}

// Within one period, KeepFirst pushes the first value at once and KeepLast
// the last when the period ends, or here, at END.
func ExampleThrottle() {
	for _, keep := range []chip.Keep{chip.KeepFirst, chip.KeepLast} {
		p := pool.New("p", 16)
		in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
		var got []int
		err := runlet.Run(context.Background(),
			chip.FromSlice("clicks", in, []int{1, 2, 3, 4}),
			chip.Throttle("throttle", in, out, time.Hour, keep),
			chip.Collect("keep", out, &got))
		fmt.Println(keep, got, err)
	}
	// Output:
	// KeepFirst [1] <nil>
	// KeepLast [4] <nil>
}
