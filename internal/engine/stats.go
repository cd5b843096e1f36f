package engine

import (
	"fmt"
	"time"
)

// # Statistics (Config.Stats)
//
// With Config.Stats on, the scheduler keeps per-chip statistics and a ring
// of recent samples; off (the default) it keeps none and pays one branch
// per burst. What is measured, and how often the clock is read:
//
//   - packs in and out are counted per burst from its [Result] (In is
//     Result.Hits: process calls, or packs handed to workers; Out is
//     Result.Out: packs pushed to the next pend), never per pack;
//   - a sync chip's busy time is the time of its bursts: one clock read
//     per burst, not per pack, at its end (a burst runs from the previous
//     read, the end of the burst before or the loop's start or poll, so the
//     scheduler's few nanoseconds between two bursts count as the next
//     chip's). An async chip's is the time its workers spent on batches,
//     which they already measure (batch.took);
//   - the time a chip waits for input (its prev pend empty) or is held back
//     (its next pend limited) runs from the end of the burst that stopped
//     for that reason to the start of its next burst, so it costs no clock
//     read of its own (and includes the time it queued after its wake);
//   - latency is sampled: a sync chip runs one burst of a single pack at
//     its first run and after every latencyEvery (1024) packs, timed with
//     a clock read of its own, and that burst's time (the process call plus
//     its pull and push) is one sample. (1 in 64 cost Chain4 about a third
//     more: an extra burst is about 100 ns.) An async chip gives one sample per
//     scheduler pass that collected work: the worker time of the batches
//     collected over their calls (exact per call for blocking work, which
//     is handed out one pack per batch; a mean over the batch for fast
//     work). Samples go to a log-linear histogram over the whole run (hist);
//   - every sampleEvery, at the end of a burst (or in a snapshot), the
//     counters are copied into a ring of ringSize samples, from which rates
//     and loads over the last seconds are read, and the depth of every pend
//     is recorded with the most packs it held since the previous sample
//     (read after each burst of its producer, where it peaks).

// ChipStats is one chip's statistics, in [ChipSnapshot.Stats] when
// Config.Stats is on. Counters and times run from the start of Run; rates
// and Load are over the snapshot's [FlowStats.Window].
//
// A plain value, safe to copy and read from any goroutine. JSON names (in
// the tags) are a stable contract; durations are integers in nanoseconds.
type ChipStats struct {
	In     uint64 `json:"in"`     // packs taken: process calls (sync), packs handed to workers (async)
	Out    uint64 `json:"out"`    // packs pushed to the next pend (END packs not counted)
	Errors uint64 `json:"errors"` // errors the runlet attributed to the chip: its first error and later ones
	// Restarts counts restarts of the chip by its supervisor (0 without one).
	Restarts  uint64        `json:"restarts"`
	Busy      time.Duration `json:"busy_ns"`       // sync: time in bursts; async: worker time, all workers together
	WaitInput time.Duration `json:"wait_input_ns"` // time waiting for its prev pend to get data
	WaitRoom  time.Duration `json:"wait_room_ns"`  // time held back by its limited next pend
	Latency   Latency       `json:"latency"`       // sampled process time per pack, over the run
	InRate    float64       `json:"in_rate"`       // packs in per second, over the window
	OutRate   float64       `json:"out_rate"`      // packs out per second, over the window
	// Load is the fraction of the window the chip was busy, per worker
	// (1 = busy all the time; an async chip's busy time over Concurrency).
	Load float64 `json:"load"`
	// Progress is set for a chip that knows the size of its work (a
	// FromSlice, a FromFile, or an input chip given Config.Total).
	Progress *Progress `json:"progress,omitempty"`
}

// Latency is a summary of sampled process times (see "Statistics" in the
// engine's stats.go for what is sampled): percentiles read from a
// log-linear histogram, within about 3% of the true value.
//
// A plain value; the zero value has no samples.
type Latency struct {
	Samples uint64        `json:"samples"`
	P50     time.Duration `json:"p50_ns"`
	P95     time.Duration `json:"p95_ns"`
	P99     time.Duration `json:"p99_ns"`
	Max     time.Duration `json:"max_ns"`
}

// Progress is how much of a known amount of work is done: packs or bytes
// (Unit), Done of Total, and the time left at the rate of the last seconds.
//
// A plain value; the zero value knows nothing.
type Progress struct {
	Unit  string        `json:"unit"` // "packs" or "bytes"
	Done  int64         `json:"done"`
	Total int64         `json:"total"`
	ETA   time.Duration `json:"eta_ns"` // 0 when done or unknown (no rate yet)
}

// Fraction returns Done over Total, in [0, 1], or 0 when Total is not positive.
func (p Progress) Fraction() float64 {
	if p.Total <= 0 {
		return 0
	}
	return min(max(float64(p.Done)/float64(p.Total), 0), 1)
}

// FlowStats is the statistics of the whole runlet, in
// [RunletSnapshot.Flow] when Config.Stats is on.
//
// A plain value, safe to copy and read from any goroutine; JSON names are a
// stable contract; durations are integers in nanoseconds.
type FlowStats struct {
	Elapsed  time.Duration `json:"elapsed_ns"`  // since Run started, until the runlet settled
	Window   time.Duration `json:"window_ns"`   // what rates and loads are over: the last seconds, or the run so far
	Interval time.Duration `json:"interval_ns"` // between two pend samples
	// Pends holds every queue pend's recent depth, oldest sample first.
	Pends []PendStats `json:"pends"`
	// Bottleneck names the chip that limits the flow's throughput, if one
	// does; nil when none is busy enough to be the limit (the flow waits
	// on the world, or is idle).
	Bottleneck *Bottleneck `json:"bottleneck,omitempty"`
	// Progress sums the progress of the chips that know theirs, when they
	// count in one unit.
	Progress *Progress `json:"progress,omitempty"`
}

// PendStats is one pend's depth over the last samples (see
// [FlowStats.Interval]): Depth[i] is how many packs it held at sample i,
// High[i] the most it held since sample i-1; the last entries are now.
//
// A plain value; JSON names are a stable contract.
type PendStats struct {
	Pool  string `json:"pool"`
	Pend  string `json:"pend"`
	Depth []int  `json:"depth"`
	High  []int  `json:"high"`
}

// Bottleneck is the chip that limits throughput: the busiest chip, when it
// is busy at least half the window (per worker), with the reason in words.
//
// A plain value; JSON names are a stable contract.
type Bottleneck struct {
	Chip   string  `json:"chip"`
	Load   float64 `json:"load"` // its ChipStats.Load
	Reason string  `json:"reason"`
}

const (
	latencyEvery   = 1024                   // a sync chip's latency is sampled once per this many packs
	sampleEvery    = 250 * time.Millisecond // between two samples of the ring
	ringSize       = 21                     // samples kept: 5 seconds of rates
	bottleneckLoad = 0.5                    // the least load of a bottleneck
)

// statState is the scheduler's statistics; nil when Config.Stats is off.
// Only the holder of g.mu touches it.
type statState struct {
	start   time.Time
	end     time.Duration // Elapsed once settled; 0 before
	chips   []chipStat
	pends   []pendStat
	ring    []sample // ringSize samples, reused
	head, n int      // the oldest sample and how many are kept
	last    time.Duration
	// mark is the scheduler's last clock read: the end of the last burst,
	// or when the loop started or polled. A burst runs from mark to its end,
	// so timing it costs one clock read, not two.
	mark time.Duration
}

// markNow reads the clock where the scheduler starts to run chips after a
// pause (the loop's start, a poll), so that the next burst's time does not
// include the pause. A nil statState does nothing.
func (st *statState) markNow() {
	if st != nil && !st.start.IsZero() {
		st.mark = st.now()
	}
}

// chipStat is one chip's counters and the state of its waits.
type chipStat struct {
	ChipStats      // the counters; the computed fields are filled by a snapshot
	waiting   Wait // why it waits since waitSince: NoWait, WaitPrev or WaitNext
	waitSince time.Duration
	sampleIn  int   // packs until a sync chip's next latency sample
	next      []int // indexes into statState.pends of its next pend's storage
	lat       hist
}

// pendStat is one queue pend's depth samples.
type pendStat struct {
	pool, pend  string
	a           *acct
	high        int   // the most packs since the last sample
	depth, peak []int // ringSize each, aligned with statState.ring
}

// sample is a copy of the counters at a moment.
type sample struct {
	at      time.Duration
	in, out []uint64
	busy    []time.Duration
}

// initStats makes the statistics of an attached runlet; Attach calls it.
func (r *Runlet) initStats() {
	if !r.cfg.Stats {
		return
	}
	st := &statState{chips: make([]chipStat, len(r.slots)), ring: make([]sample, ringSize)}
	idx := map[*acct]int{}
	for _, p := range r.pools {
		if p.Kind() == IO || p.Kind() == Logical {
			continue
		}
		for _, a := range p.order {
			idx[a] = len(st.pends)
			st.pends = append(st.pends, pendStat{pool: p.Key(), pend: a.key, a: a,
				depth: make([]int, ringSize), peak: make([]int, ringSize)})
		}
	}
	for i := range r.slots {
		sl := &r.slots[i]
		for _, s := range r.storesOf(sl.spec.Next.Pool, sl.spec.Next.Pend) {
			if j, ok := idx[s.p.acct(s.pend)]; ok {
				st.chips[i].next = append(st.chips[i].next, j)
			}
		}
	}
	for i := range st.ring {
		st.ring[i] = sample{in: make([]uint64, len(r.slots)), out: make([]uint64, len(r.slots)),
			busy: make([]time.Duration, len(r.slots))}
	}
	r.st = st
}

// startStats starts the clock, at the first Trigger of an attached runlet.
func (st *statState) startClock() {
	if st.start.IsZero() {
		st.start = time.Now()
	}
}

// finish stops the clock as the runlet settles: Elapsed stays there, and
// the chips' waits end there. A nil statState does nothing.
func (st *statState) finish() {
	if st == nil || st.start.IsZero() {
		return
	}
	st.end = st.now()
	for i := range st.chips {
		if st.chips[i].waiting != NoWait {
			st.chips[i].addWait(st.end)
		}
	}
}

// now is the time since the start.
func (st *statState) now() time.Duration { return time.Since(st.start) }

// runTimed runs chip i once with statistics: it times the burst, files its
// counts and waits, and samples latency.
func (r *Runlet) runTimed(i int32, budget int) Result {
	st := r.st
	c := &st.chips[i]
	s := &r.slots[i]
	sampled := false
	if !s.spec.Async && budget > 1 && c.sampleIn <= 0 {
		budget, sampled = 1, true
	}
	t0 := st.mark // about when this burst began: the scheduler's last clock read
	if sampled {
		t0 = st.now() // exact, for the latency sample
	}
	if c.waiting != NoWait {
		c.addWait(t0)
	}
	res := s.run.Run(budget)
	t1 := st.now()
	st.mark = t1
	c.In += uint64(res.Hits)
	c.Out += uint64(res.Out)
	if s.spec.Async {
		c.Busy += res.Work
		if res.WorkCalls > 0 {
			c.lat.record(res.Work / time.Duration(res.WorkCalls))
		}
	} else {
		c.Busy += t1 - t0
		c.sampleIn -= res.Hits
		if sampled && res.Hits == 1 {
			c.lat.record(t1 - t0)
			c.sampleIn = latencyEvery
		}
	}
	if res.Wait == WaitPrev || res.Wait == WaitNext {
		c.waiting, c.waitSince = res.Wait, t1
	}
	for _, j := range c.next {
		p := &st.pends[j]
		p.high = max(p.high, p.a.packs)
	}
	if t1-st.last >= sampleEvery {
		st.sample(t1)
	}
	return res
}

// addWait ends the chip's wait at t.
func (c *chipStat) addWait(t time.Duration) {
	if c.waiting == WaitPrev {
		c.WaitInput += t - c.waitSince
	} else {
		c.WaitRoom += t - c.waitSince
	}
	c.waiting = NoWait
}

// sample copies the counters into the ring at t.
func (st *statState) sample(t time.Duration) {
	st.last = t
	k := (st.head + st.n) % ringSize
	if st.n == ringSize {
		st.head = (st.head + 1) % ringSize
	} else {
		st.n++
	}
	s := &st.ring[k]
	s.at = t
	for i := range st.chips {
		s.in[i], s.out[i], s.busy[i] = st.chips[i].In, st.chips[i].Out, st.chips[i].Busy
	}
	for j := range st.pends {
		p := &st.pends[j]
		p.depth[k] = p.a.packs
		p.peak[k] = max(p.high, p.a.packs)
		p.high = p.a.packs
	}
}

// errorOf counts an error of chip i.
func (r *Runlet) countError(i int32) {
	if r.st != nil && i >= 0 && int(i) < len(r.st.chips) {
		r.st.chips[i].Errors++
	}
}

// countErrorOf counts err for the chip a ChipError names.
func (r *Runlet) countErrorOf(err error) {
	if r.st == nil {
		return
	}
	if ce, ok := err.(*ChipError); ok {
		for i := range r.slots {
			if r.slots[i].key == ce.Chip {
				r.st.chips[i].Errors++
				return
			}
		}
	}
}

// AddRestart counts a restart of chip i by its supervisor; it does nothing
// when statistics are off. Only the holder of the scheduler's lock calls it.
func (r *Runlet) AddRestart(i int) {
	if r.st != nil && i >= 0 && i < len(r.st.chips) {
		r.st.chips[i].Restarts++
	}
}

// bottleneckReason says why chip c is the bottleneck.
func bottleneckReason(c ChipStats, window time.Duration, workers int) string {
	frac := func(d time.Duration) float64 { return 100 * float64(d) / float64(max(window, 1)) }
	what := "busy"
	if workers > 1 {
		what = fmt.Sprintf("its %d workers busy", workers)
	}
	return fmt.Sprintf("%s %.0f%% of the time; waited for input %.0f%%, held back by its output %.0f%%",
		what, 100*c.Load, frac(c.WaitInput), frac(c.WaitRoom))
}
