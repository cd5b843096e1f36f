package prometheus_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	rp "github.com/runlet/runlet/metrics/prometheus"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// slowFlow is in >> slow >> cheap >> out over n packs in a pool of 16:
// slow sleeps 1 ms a pack (exactly, under synctest), so it is the
// bottleneck, busy n ms.
func slowFlow(n int, stats bool) (*runlet.Runlet, *[]int) {
	p := pool.New("default", 16)
	a, b, c := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b"), pool.NewPend[int](p, "c")
	got := new([]int)
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in", a, make([]int, n)),
		chip.Map("slow", a, b, func(v int) (int, error) { time.Sleep(time.Millisecond); return v, nil }),
		chip.Map("cheap", b, c, func(v int) (int, error) { return v + 1, nil }),
		chip.Collect("out", c, got),
	}, runlet.Config{Stats: stats})
	return r, got
}

// After a run of 100 packs the counters are the packs each chip took (100
// and END) and pushed, the slow chip's busy time is 100 x 1 ms and it is
// the bottleneck; the runlet is ended, its pends empty.
func TestCollectorCountsAfterRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, got := slowFlow(100, true)
		c := rp.New()
		require.NoError(t, c.Register("flow", r))
		require.NoError(t, r.Run(context.Background()))
		require.Len(t, *got, 100)

		want := `
# HELP runlet_chip_packs_in_total Packs the chip took: process calls (sync), packs handed to workers (async).
# TYPE runlet_chip_packs_in_total counter
runlet_chip_packs_in_total{chip="cheap",runlet="flow"} 101
runlet_chip_packs_in_total{chip="in",runlet="flow"} 101
runlet_chip_packs_in_total{chip="out",runlet="flow"} 101
runlet_chip_packs_in_total{chip="slow",runlet="flow"} 101
# HELP runlet_chip_packs_out_total Packs the chip pushed to its next pend (END packs not counted).
# TYPE runlet_chip_packs_out_total counter
runlet_chip_packs_out_total{chip="cheap",runlet="flow"} 100
runlet_chip_packs_out_total{chip="in",runlet="flow"} 100
runlet_chip_packs_out_total{chip="out",runlet="flow"} 0
runlet_chip_packs_out_total{chip="slow",runlet="flow"} 100
# HELP runlet_chip_bottleneck 1 for the chip that limits the flow's throughput (the snapshot's bottleneck), 0 for the others.
# TYPE runlet_chip_bottleneck gauge
runlet_chip_bottleneck{chip="cheap",runlet="flow"} 0
runlet_chip_bottleneck{chip="in",runlet="flow"} 0
runlet_chip_bottleneck{chip="out",runlet="flow"} 0
runlet_chip_bottleneck{chip="slow",runlet="flow"} 1
# HELP runlet_chip_busy_seconds_total Time the chip was busy: in bursts (sync), worker time of all workers (async).
# TYPE runlet_chip_busy_seconds_total counter
runlet_chip_busy_seconds_total{chip="cheap",runlet="flow"} 0
runlet_chip_busy_seconds_total{chip="in",runlet="flow"} 0
runlet_chip_busy_seconds_total{chip="out",runlet="flow"} 0
runlet_chip_busy_seconds_total{chip="slow",runlet="flow"} 0.1
# HELP runlet_state 1 for the runlet's current state, 0 for the others.
# TYPE runlet_state gauge
runlet_state{runlet="flow",state="detached"} 0
runlet_state{runlet="flow",state="ended"} 1
runlet_state{runlet="flow",state="failed"} 0
runlet_state{runlet="flow",state="new"} 0
runlet_state{runlet="flow",state="running"} 0
# HELP runlet_pend_depth_packs Packs queued in the pend.
# TYPE runlet_pend_depth_packs gauge
runlet_pend_depth_packs{pend="a",pool="default",runlet="flow"} 0
runlet_pend_depth_packs{pend="b",pool="default",runlet="flow"} 0
runlet_pend_depth_packs{pend="c",pool="default",runlet="flow"} 0
# HELP runlet_pool_limit The pool's limit, counted as its size; absent for a pool without one.
# TYPE runlet_pool_limit gauge
runlet_pool_limit{pool="default",runlet="flow"} 16
# HELP runlet_progress_done Work done by the input chips that know their size, in unit (Config.Stats).
# TYPE runlet_progress_done gauge
runlet_progress_done{runlet="flow",unit="packs"} 100
`
		require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(want),
			"runlet_chip_packs_in_total", "runlet_chip_packs_out_total", "runlet_chip_bottleneck",
			"runlet_chip_busy_seconds_total", "runlet_state", "runlet_pend_depth_packs",
			"runlet_pool_limit", "runlet_progress_done"))

		// The summary: count is packs in, sum the busy time, quantiles
		// the sampled 1 ms (within the histogram's 3%).
		mfs := gather(t, c)
		for _, m := range mfs["runlet_chip_latency_seconds"].GetMetric() {
			if label(m.GetLabel(), "chip") != "slow" {
				continue
			}
			s := m.GetSummary()
			assert.Equal(t, uint64(101), s.GetSampleCount())
			assert.InDelta(t, 0.1, s.GetSampleSum(), 1e-9)
			require.Len(t, s.GetQuantile(), 3)
			for _, q := range s.GetQuantile() {
				assert.InEpsilon(t, 0.001, q.GetValue(), 0.03, "quantile %v", q.GetQuantile())
			}
		}
	})
}

// A scrape while the flow runs does not wait for it: with an async stage
// blocked on a gate, the scrape sees the runlet running, the source held
// back at the pool's limit, the packs counted so far; after the gate
// opens the run ends with every pack counted.
func TestCollectorScrapeWhileRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("default", 4)
		a, b := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
		gate := make(chan struct{})
		var got []int
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in", a, make([]int, 20)),
			chip.New(chip.Config[int, int, struct{}]{
				Key: "gated", Prev: a, Next: b, Async: true, Concurrency: 1,
				Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					<-gate
					return in, nil
				},
			}),
			chip.Collect("out", b, &got),
		}, runlet.Config{Stats: true})
		c := rp.New()
		require.NoError(t, c.Register("gated", r))
		done := make(chan error, 1)
		go func() { done <- r.Run(context.Background()) }()
		synctest.Wait() // everything blocked: the worker on the gate, the source on room

		mfs := gather(t, c)
		assert.Equal(t, 1.0, value(t, mfs, "runlet_state", "state", "running"))
		// The source pushed 4 packs, the pool's limit (its high-water mark),
		// and is held back: 3 wait in a, 1 is in the worker.
		assert.Equal(t, 4.0, value(t, mfs, "runlet_pool_high_water", "pool", "default"))
		assert.Equal(t, 4.0, value(t, mfs, "runlet_chip_packs_out_total", "chip", "in"))
		assert.Equal(t, 3.0, value(t, mfs, "runlet_pend_depth_packs", "pend", "a"))
		assert.Equal(t, 3.0, value(t, mfs, "runlet_pool_size", "pool", "default"))
		assert.Equal(t, 1.0, value(t, mfs, "runlet_chip_packs_in_total", "chip", "gated"))
		assert.Equal(t, 0.0, value(t, mfs, "runlet_chip_packs_out_total", "chip", "gated"))
		assert.Equal(t, 0.0, value(t, mfs, "runlet_pend_depth_packs", "pend", "b"))

		close(gate)
		require.NoError(t, <-done)
		require.Len(t, got, 20)
		mfs = gather(t, c)
		assert.Equal(t, 1.0, value(t, mfs, "runlet_state", "state", "ended"))
		assert.Equal(t, 20.0, value(t, mfs, "runlet_chip_packs_out_total", "chip", "gated"))
		assert.Equal(t, 4.0, value(t, mfs, "runlet_pend_high_water_packs", "pend", "a"), "a held the whole pool while the gate was shut")
	})
}

// Several runlets in one collector: each chip's series is there once per
// runlet; an unregistered runlet's series are gone from the next scrape.
func TestCollectorRegisterUnregister(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r1, _ := slowFlow(10, true)
		r2, _ := slowFlow(20, true)
		c := rp.New()
		require.NoError(t, c.Register("one", r1))
		require.NoError(t, c.Register("two", r2))
		require.NoError(t, r1.Run(context.Background()))
		require.NoError(t, r2.Run(context.Background()))
		assert.Equal(t, []string{"one", "two"}, c.Names())

		reg := prometheus.NewPedanticRegistry()
		require.NoError(t, reg.Register(c))
		n, err := testutil.GatherAndCount(reg, "runlet_chip_packs_in_total")
		require.NoError(t, err)
		assert.Equal(t, 8, n, "4 chips x 2 runlets")
		mfs := gather(t, c)
		assert.Equal(t, 20.0, value(t, mfs, "runlet_chip_packs_out_total", "runlet", "two", "chip", "in"))
		assert.Equal(t, 10.0, value(t, mfs, "runlet_chip_packs_out_total", "runlet", "one", "chip", "in"))

		assert.True(t, c.Unregister("one"))
		assert.False(t, c.Unregister("one"), "already gone")
		n, err = testutil.GatherAndCount(reg, "runlet_chip_packs_in_total")
		require.NoError(t, err)
		assert.Equal(t, 4, n)
		assert.Equal(t, []string{"two"}, c.Names())

		err = c.Register("two", r1)
		require.ErrorIs(t, err, rp.ErrDuplicate)
		assert.Contains(t, err.Error(), `"two"`)
		require.ErrorIs(t, c.Register("", r1), rp.ErrBadName)
		require.ErrorIs(t, c.Register("three", nil), rp.ErrBadName)
	})
}

// Without Config.Stats a runlet has no chip statistics: the collector
// exports its state, scheduler counters, pools and pends only.
func TestCollectorWithoutStats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, _ := slowFlow(10, false)
		c := rp.New()
		require.NoError(t, c.Register("plain", r))
		require.NoError(t, r.Run(context.Background()))
		mfs := gather(t, c)
		assert.NotContains(t, mfs, "runlet_chip_packs_in_total")
		assert.NotContains(t, mfs, "runlet_chip_bottleneck")
		assert.NotContains(t, mfs, "runlet_pend_high_water_packs")
		assert.Len(t, mfs["runlet_pend_depth_packs"].GetMetric(), 3)
		assert.Equal(t, 1.0, value(t, mfs, "runlet_state", "state", "ended"))
		assert.Positive(t, value(t, mfs, "runlet_scheduler_hits_total"))
	})
}

// A chip with no latency samples reports NaN quantiles, as a client
// summary with no observations does; a SourceFunc serves a snapshot held
// by hand (as a JSON snapshot of a remote flow would be).
func TestCollectorNoSamplesAndSourceFunc(t *testing.T) {
	snap := runlet.Snapshot{
		State: "running",
		Chips: []runlet.ChipSnapshot{{Key: "x", Stats: &runlet.ChipStats{In: 7, Out: 5}}},
		Flow:  &runlet.FlowStats{Bottleneck: &runlet.Bottleneck{Chip: "x", Load: 0.9}},
	}
	c := rp.New()
	require.NoError(t, c.Register("remote", rp.SourceFunc(func() runlet.Snapshot { return snap })))
	mfs := gather(t, c)
	assert.Equal(t, 7.0, value(t, mfs, "runlet_chip_packs_in_total", "chip", "x"))
	assert.Equal(t, 1.0, value(t, mfs, "runlet_chip_bottleneck", "chip", "x"))
	s := mfs["runlet_chip_latency_seconds"].GetMetric()[0].GetSummary()
	assert.Equal(t, uint64(7), s.GetSampleCount())
	for _, q := range s.GetQuantile() {
		assert.True(t, math.IsNaN(q.GetValue()), "quantile %v", q.GetQuantile())
	}
}

// The metric names, types and help texts pass Prometheus' linter, on a
// snapshot with every metric present.
func TestCollectorLint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, _ := slowFlow(10, true)
		c := rp.New()
		require.NoError(t, c.Register("flow", r))
		require.NoError(t, r.Run(context.Background()))
		problems, err := testutil.CollectAndLint(c)
		require.NoError(t, err)
		assert.Empty(t, problems)
		assert.Greater(t, testutil.CollectAndCount(c), 50)
	})
}
