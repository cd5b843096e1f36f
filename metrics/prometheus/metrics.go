package prometheus

import (
	"math"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/runlet/runlet/runlet"
)

// Label names. Every metric has "runlet"; chip, pool and pend metrics add
// theirs.
const (
	LabelRunlet = "runlet"
	LabelChip   = "chip"
	LabelPool   = "pool"
	LabelPend   = "pend"
)

// states are the values of the "state" label of runlet_state, the states
// of [runlet.Snapshot.State].
var states = []string{"new", "running", "ended", "failed", "detached"}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("runlet_"+name, help, append([]string{LabelRunlet}, labels...), nil)
}

// The descriptors, one per metric; the package doc says what each means.
var (
	dState  = desc("state", "1 for the runlet's current state, 0 for the others.", "state")
	dPaused = desc("paused", "1 while the runlet is paused.")
	dHits   = desc("scheduler_hits_total", "Chip runs by the scheduler (process calls; packs handed to workers for async chips).")
	dMisses = desc("scheduler_misses_total", "Times a chip could not run: reason stat (paused, ended or busy), push (next pend limited), pull (prev pend empty).", "reason")

	dElapsed  = desc("elapsed_seconds", "Time since Run started, until the runlet settled (Config.Stats).")
	dProgDone = desc("progress_done", "Work done by the input chips that know their size, in unit (Config.Stats).", "unit")
	dProgAll  = desc("progress_size", "Work to do by the input chips that know their size, in unit (Config.Stats).", "unit")
	dProgETA  = desc("progress_eta_seconds", "Time left at the rate of the last seconds; 0 when done or unknown (Config.Stats).")

	dPoolSize  = desc("pool_size", "What the pool's pends hold, counted as the pool counts (packs, or bytes for a bytes pool).", LabelPool)
	dPoolLimit = desc("pool_limit", "The pool's limit, counted as its size; absent for a pool without one.", LabelPool)
	dPoolHigh  = desc("pool_high_water", "The most the pool held since it was created.", LabelPool)

	dPendDepth = desc("pend_depth_packs", "Packs queued in the pend.", LabelPool, LabelPend)
	dPendLimit = desc("pend_limit", "The pend's limit, counted as its pool counts; absent for a pend without one.", LabelPool, LabelPend)
	dPendHigh  = desc("pend_high_water_packs", "The most packs the pend held over the stats window (the last seconds; Config.Stats).", LabelPool, LabelPend)

	dIn       = desc("chip_packs_in_total", "Packs the chip took: process calls (sync), packs handed to workers (async).", LabelChip)
	dOut      = desc("chip_packs_out_total", "Packs the chip pushed to its next pend (END packs not counted).", LabelChip)
	dErrors   = desc("chip_errors_total", "Errors the runlet attributed to the chip.", LabelChip)
	dRestarts = desc("chip_restarts_total", "Restarts of the chip by its supervisor.", LabelChip)
	dBusy     = desc("chip_busy_seconds_total", "Time the chip was busy: in bursts (sync), worker time of all workers (async).", LabelChip)
	dWaitIn   = desc("chip_wait_input_seconds_total", "Time the chip waited for its prev pend to get data.", LabelChip)
	dWaitRoom = desc("chip_wait_room_seconds_total", "Time the chip was held back by its limited next pend.", LabelChip)
	dLoad     = desc("chip_load", "Fraction of the stats window the chip was busy, per worker (1: busy all the time).", LabelChip)
	dLatency  = desc("chip_latency_seconds", "Process time per pack: quantiles of sampled packs over the run; count is packs in, sum is busy time.", LabelChip)
	dLatMax   = desc("chip_latency_max_seconds", "The longest sampled process time of a pack over the run.", LabelChip)
	dBottle   = desc("chip_bottleneck", "1 for the chip that limits the flow's throughput (the snapshot's bottleneck), 0 for the others.", LabelChip)
)

var allDescs = []*prometheus.Desc{
	dState, dPaused, dHits, dMisses, dElapsed, dProgDone, dProgAll, dProgETA,
	dPoolSize, dPoolLimit, dPoolHigh, dPendDepth, dPendLimit, dPendHigh,
	dIn, dOut, dErrors, dRestarts, dBusy, dWaitIn, dWaitRoom, dLoad, dLatency, dLatMax, dBottle,
}

// collectSnapshot sends the metrics of one runlet's snapshot s.
func collectSnapshot(ch chan<- prometheus.Metric, name string, s runlet.Snapshot) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{name}, labels...)...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, append([]string{name}, labels...)...)
	}
	state := s.State
	if state == "" {
		state = "new"
	}
	for _, st := range states {
		gauge(dState, b2f(st == state), st)
	}
	gauge(dPaused, b2f(s.Paused))
	counter(dHits, float64(s.Stats.Hits))
	counter(dMisses, float64(s.Stats.StatMiss), "stat")
	counter(dMisses, float64(s.Stats.PushMiss), "push")
	counter(dMisses, float64(s.Stats.PullMiss), "pull")
	collectFlow(gauge, s.Flow)
	collectPools(gauge, s)
	bottleneck := ""
	if s.Flow != nil && s.Flow.Bottleneck != nil {
		bottleneck = s.Flow.Bottleneck.Chip
	}
	for _, c := range s.Chips {
		if c.Stats == nil {
			continue
		}
		collectChip(ch, name, c.Key, c.Stats)
		gauge(dBottle, b2f(c.Key == bottleneck), c.Key)
	}
}

// emit sends one const metric of desc d for the runlet, with the labels after it.
type emit func(d *prometheus.Desc, v float64, labels ...string)

// collectFlow sends the runlet-wide statistics; none without Config.Stats.
func collectFlow(gauge emit, f *runlet.FlowStats) {
	if f == nil {
		return
	}
	gauge(dElapsed, f.Elapsed.Seconds())
	if p := f.Progress; p != nil {
		gauge(dProgDone, float64(p.Done), p.Unit)
		gauge(dProgAll, float64(p.Total), p.Unit)
		gauge(dProgETA, p.ETA.Seconds())
	}
}

// collectPools sends every pool's and pend's gauges, with the pends' high
// water marks over the window when the snapshot has statistics. The IO
// pool is left out.
func collectPools(gauge emit, s runlet.Snapshot) {
	type key struct{ pool, pend string }
	high := map[key]int{}
	if s.Flow != nil {
		for _, ps := range s.Flow.Pends {
			if len(ps.High) > 0 {
				high[key{ps.Pool, ps.Pend}] = slices.Max(ps.High)
			}
		}
	}
	for _, p := range s.Pools {
		if p.Kind == "io" {
			continue // the runlet's IO pool holds nothing: its pends are the world's
		}
		gauge(dPoolSize, float64(p.Size), p.Key)
		if p.Limit >= 0 {
			gauge(dPoolLimit, float64(p.Limit), p.Key)
		}
		gauge(dPoolHigh, float64(p.High), p.Key)
		for _, e := range p.Pends {
			gauge(dPendDepth, float64(e.Packs), p.Key, e.Key)
			if e.Limit >= 0 {
				gauge(dPendLimit, float64(e.Limit), p.Key, e.Key)
			}
			if h, ok := high[key{p.Key, e.Key}]; ok {
				gauge(dPendHigh, float64(h), p.Key, e.Key)
			}
		}
	}
}

// collectChip sends one chip's statistics.
func collectChip(ch chan<- prometheus.Metric, name, chip string, st *runlet.ChipStats) {
	lv := []string{name, chip}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, lv...)
	}
	counter(dIn, float64(st.In))
	counter(dOut, float64(st.Out))
	counter(dErrors, float64(st.Errors))
	counter(dRestarts, float64(st.Restarts))
	counter(dBusy, st.Busy.Seconds())
	counter(dWaitIn, st.WaitInput.Seconds())
	counter(dWaitRoom, st.WaitRoom.Seconds())
	ch <- prometheus.MustNewConstMetric(dLoad, prometheus.GaugeValue, st.Load, lv...)
	ch <- prometheus.MustNewConstSummary(dLatency, st.In, st.Busy.Seconds(), quantiles(st.Latency), lv...)
	ch <- prometheus.MustNewConstMetric(dLatMax, prometheus.GaugeValue, st.Latency.Max.Seconds(), lv...)
}

// quantiles maps a Latency's percentiles to the quantiles 0.5, 0.95, 0.99; NaN without samples,
// as a client summary with no observations reports.
func quantiles(l runlet.Latency) map[float64]float64 {
	sec := func(d time.Duration) float64 {
		if l.Samples == 0 {
			return math.NaN()
		}
		return d.Seconds()
	}
	return map[float64]float64{0.5: sec(l.P50), 0.95: sec(l.P95), 0.99: sec(l.P99)}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
