package engine

import (
	"fmt"
	"slices"
	"time"
)

// progressor is a Runner that knows the size of its work (a Func with a
// Progress hook).
type progressor interface {
	Progress() (p Progress, ok bool)
}

// statSnapshot fills the statistics of snapshot s (its chips are in slot
// order). Only the holder of g.mu calls it.
func (r *Runlet) statSnapshot(s *RunletSnapshot) {
	st := r.st
	if st == nil || !r.attached {
		return
	}
	now := st.end
	switch {
	case st.start.IsZero():
		now = 0
	case !r.settled:
		now = st.now()
		if now-st.last >= sampleEvery {
			st.sample(now)
		}
	}
	base, window := st.base(now)
	f := &FlowStats{Elapsed: now, Window: window, Interval: sampleEvery}
	var best int32 = -1
	for i := range r.slots {
		c := st.chips[i].ChipStats
		if w := st.chips[i]; w.waiting != NoWait && !r.settled && now > 0 {
			w.addWait(now) // the wait so far, on a copy
			c.WaitInput, c.WaitRoom = w.WaitInput, w.WaitRoom
		}
		c.Latency = st.chips[i].lat.latency()
		if window > 0 {
			secs := window.Seconds()
			in, out, busy := c.In, c.Out, c.Busy
			if base != nil {
				in, out, busy = in-base.in[i], out-base.out[i], busy-base.busy[i]
			}
			c.InRate, c.OutRate = float64(in)/secs, float64(out)/secs
			c.Load = float64(busy) / float64(window) / float64(r.workers(i))
		}
		if p, ok := r.slots[i].run.(progressor); ok {
			if pr, ok := p.Progress(); ok {
				pr.ETA = eta(pr, now)
				c.Progress = &pr
			}
		}
		if best < 0 || c.Load > s.Chips[best].Stats.Load {
			best = int32(i)
		}
		s.Chips[i].Stats = &c
	}
	if best >= 0 && s.Chips[best].Stats.Load >= bottleneckLoad {
		c := s.Chips[best].Stats
		f.Bottleneck = &Bottleneck{Chip: s.Chips[best].Key, Load: c.Load,
			Reason: bottleneckReason(*c, max(now, 1), r.workers(int(best)))}
	}
	f.Pends = st.pendStats()
	f.Progress = r.flowProgress(s, now)
	s.Flow = f
}

// workers is how many process calls chip i may run at once.
func (r *Runlet) workers(i int) int {
	if sp := r.slots[i].spec; sp.Async {
		return max(sp.Concurrency, 1)
	}
	return 1
}

// base returns the oldest sample to read rates against and the window since
// it; nil and the run so far while no sample is at least sampleEvery old.
func (st *statState) base(now time.Duration) (*sample, time.Duration) {
	if st.n > 0 {
		b := &st.ring[st.head]
		if now-b.at >= sampleEvery {
			return b, now - b.at
		}
	}
	return nil, now
}

// pendStats reads the pends' rings, oldest first, with now last.
func (st *statState) pendStats() []PendStats {
	out := make([]PendStats, len(st.pends))
	for j := range st.pends {
		p := &st.pends[j]
		ps := PendStats{Pool: p.pool, Pend: p.pend, Depth: make([]int, 0, st.n+1), High: make([]int, 0, st.n+1)}
		for k := range st.n {
			x := (st.head + k) % ringSize
			ps.Depth, ps.High = append(ps.Depth, p.depth[x]), append(ps.High, p.peak[x])
		}
		ps.Depth, ps.High = append(ps.Depth, p.a.packs), append(ps.High, max(p.high, p.a.packs))
		out[j] = ps
	}
	return out
}

// flowProgress is Config.Total's progress (packs out of the input chips),
// else the sum of the chips' own when they share one unit.
func (r *Runlet) flowProgress(s *RunletSnapshot, now time.Duration) *Progress {
	if r.cfg.Total > 0 {
		p := Progress{Unit: "packs", Total: r.cfg.Total}
		for i := range s.Chips {
			if s.Chips[i].PrevPool == IOKey {
				p.Done += int64(s.Chips[i].Stats.Out)
			}
		}
		p.ETA = eta(p, now)
		return &p
	}
	var sum *Progress
	for i := range s.Chips {
		c := s.Chips[i].Stats.Progress
		switch {
		case c == nil:
		case sum == nil:
			p := *c
			sum = &p
		case sum.Unit != c.Unit:
			return nil
		default:
			sum.Done += c.Done
			sum.Total += c.Total
		}
	}
	if sum != nil {
		sum.ETA = eta(*sum, now)
	}
	return sum
}

// eta is the time left for p at the average rate since the start (now
// into the run); 0 when done or when nothing is done yet.
func eta(p Progress, now time.Duration) time.Duration {
	if p.Done <= 0 || p.Done >= p.Total || now <= 0 {
		return 0
	}
	return time.Duration(float64(now) * float64(p.Total-p.Done) / float64(p.Done))
}

// clone returns a deep copy of f.
func (f *FlowStats) clone() *FlowStats {
	if f == nil {
		return nil
	}
	c := *f
	c.Pends = slices.Clone(f.Pends)
	for i := range c.Pends {
		c.Pends[i].Depth = slices.Clone(c.Pends[i].Depth)
		c.Pends[i].High = slices.Clone(c.Pends[i].High)
	}
	if f.Bottleneck != nil {
		b := *f.Bottleneck
		c.Bottleneck = &b
	}
	if f.Progress != nil {
		p := *f.Progress
		c.Progress = &p
	}
	return &c
}

// Progress implements progressor.
func (r *runner[In, Out, S]) Progress() (Progress, bool) {
	if r.cfg.Progress == nil {
		return Progress{}, false
	}
	done, total := r.cfg.Progress(&r.state)
	if total <= 0 {
		return Progress{}, false // the size of the work is not known
	}
	unit := r.cfg.ProgressUnit
	if unit == "" {
		unit = "packs"
	}
	return Progress{Unit: unit, Done: done, Total: total}, true
}

// BottleneckMark ends the Describe line of the bottleneck chip, and marks it
// in the diagrams.
const BottleneckMark = "<<BOTTLENECK"

// String returns the chip's statistics as its Describe line ends:
// "{in=N out=N load=P% p95=D err=N}", then " progress=done/total" when it
// knows its work; err only when there are errors.
func (c ChipStats) String() string {
	s := fmt.Sprintf("{in=%d out=%d load=%.0f%% p95=%s", c.In, c.Out, 100*c.Load, c.Latency.P95)
	if c.Errors > 0 {
		s += fmt.Sprintf(" err=%d", c.Errors)
	}
	if c.Restarts > 0 {
		s += fmt.Sprintf(" restarts=%d", c.Restarts)
	}
	if c.Progress != nil {
		s += fmt.Sprintf(" progress=%d/%d", c.Progress.Done, c.Progress.Total)
	}
	return s + "}"
}

// String returns Describe's flow line: "flow: elapsed=D window=D", then
// " progress=done/total unit (P%) eta=D" and " bottleneck=#chip (reason)".
func (f FlowStats) String() string {
	s := fmt.Sprintf("flow: elapsed=%s window=%s", f.Elapsed.Round(time.Millisecond), f.Window.Round(time.Millisecond))
	if p := f.Progress; p != nil {
		s += fmt.Sprintf(" progress=%d/%d %s (%.0f%%) eta=%s", p.Done, p.Total, p.Unit, 100*p.Fraction(), p.ETA.Round(time.Millisecond))
	}
	if b := f.Bottleneck; b != nil {
		s += fmt.Sprintf(" bottleneck=#%s (%s)", b.Chip, b.Reason)
	}
	return s
}
