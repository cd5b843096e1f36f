package engine

import (
	"fmt"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"
)

// RunletSnapshot is a copy of a runlet's whole state, as data: the engine
// builds it and runlet.Snapshot, which has the same fields, documents it
// (its JSON field names are a stable contract) and draws it.
//
// A RunletSnapshot is a plain value that shares nothing with the runlet; it
// may be kept, copied and used from any goroutine. The zero value is the
// state of a runlet that was never attached, less its State ("new").
type RunletSnapshot struct {
	State  string         `json:"state"` // "new", "running", "ended", "failed", "detached"
	Err    string         `json:"err,omitempty"`
	Paused bool           `json:"paused"`
	Stats  Stats          `json:"stats"`
	Chips  []ChipSnapshot `json:"chips"` // in the order given to New
	// Pools are in the order given to New, then the IO pool if the runlet
	// added it, then inner pools of logical pools that were not given.
	Pools []RunletPoolSnapshot `json:"pools"`
	// Flow is the runlet's statistics, with Config.Stats on; nil otherwise.
	Flow *FlowStats `json:"flow,omitempty"`
	// Supervisor is what the runlet's supervisor has done; nil when no chip
	// can be restarted.
	Supervisor *SupervisorSnapshot `json:"supervisor,omitempty"`
}

// ChipSnapshot is one chip's state. Prev and Next are "pend@pool", as
// Describe prints them; the four fields after them hold the same names
// apart, for tools.
//
// A plain value, safe to copy and read from any goroutine, like [RunletSnapshot].
type ChipSnapshot struct {
	Key         string `json:"key"`
	Prev        string `json:"prev"` // pend@pool
	Next        string `json:"next"`
	PrevPool    string `json:"prev_pool"`
	PrevPend    string `json:"prev_pend"`
	NextPool    string `json:"next_pool"`
	NextPend    string `json:"next_pend"`
	Async       bool   `json:"async"`
	Concurrency int    `json:"concurrency,omitempty"`
	Ended       bool   `json:"ended"`
	// State is what the chip is doing, one of:
	//   - "ready": it may run (queued to run, or not yet tried);
	//   - "busy": an async chip with work in flight (or results parked for
	//     order);
	//   - "wait-data": its prev pend is empty; a push into it wakes the chip;
	//   - "wait-room": its next pend is limited; a pull from that pool wakes it;
	//   - "ended": it returned END, was ended because nobody reads its output,
	//     or was told the runlet's error;
	//   - "stopped": the runlet stopped (or was detached) before it ended.
	State   string `json:"state"`
	Running string `json:"running,omitempty"` // the held pack, "RUN xN" in flight, or "END"
	Note    string `json:"note,omitempty"`    // the chip's Describe hook
	// CastsDropped counts the casts (see Cast) dropped because the chip had
	// ended, was restarted or the runlet stopped before they ran.
	CastsDropped uint64 `json:"casts_dropped,omitempty"`
	// Stats is the chip's statistics, with Config.Stats on; nil otherwise.
	Stats *ChipStats `json:"stats,omitempty"`
	// Restart is the chip's restart type and Restarts the times its
	// supervisor bound it again; Restart is "" for a temporary chip.
	Restart  string `json:"restart,omitempty"`
	Restarts int    `json:"restarts,omitempty"`
}

// Chip states, the values of [ChipSnapshot.State].
const (
	ChipReady    = "ready"
	ChipBusy     = "busy"
	ChipWaitData = "wait-data"
	ChipWaitRoom = "wait-room"
	ChipEnded    = "ended"
	ChipStopped  = "stopped"
)

// RunletPoolSnapshot is one pool's state plus who waits on it and which of its
// pends are fed or drained from outside.
//
// A plain value, safe to copy and read from any goroutine, like [RunletSnapshot].
type RunletPoolSnapshot struct {
	Snapshot
	PullWake    []string            `json:"pull_wake,omitempty"`    // chips waiting for room
	PushWake    map[string][]string `json:"push_wake,omitempty"`    // pend key: chips waiting for data
	PendInputs  []string            `json:"pend_inputs,omitempty"`  // pends fed by a PendInput, sorted
	PendOutputs []string            `json:"pend_outputs,omitempty"` // pends drained by a PendOutput, sorted
}

// observeWait is the longest an observer (Snapshot, Describe, Detach) waits
// for the scheduler to publish a fresh state before it settles for the
// latest published one.
const observeWait = 2 * time.Millisecond

// Snapshot returns a copy of the runlet's state. It never waits for the
// scheduler for more than 2 milliseconds, and may be called at any moment
// from any goroutine, including from inside a chip's process. How fresh the
// copy is:
//
//   - when no goroutine is running the scheduler (the runlet is idle,
//     stopped or waiting for async work), it is the state of this moment;
//   - while the scheduler runs, Snapshot asks it for a copy, which it
//     publishes between two bursts, at most about 2 x [Config.Budget] packs
//     later; Snapshot returns that copy, or after 2 ms without one, the
//     latest copy published;
//   - from inside a chip's process on the scheduler's goroutine (a sync
//     chip, a Close or OnError hook), which is the scheduler, it does not
//     wait: it returns the latest copy published (the first one is made when
//     Run triggers the chips) and asks for a new one, so a chip that
//     observes on every pack sees a state at most about 2 x Config.Budget
//     packs old.
//
// State, Err and Paused are always current, even in a copy published
// earlier; Chips, Pools and Stats are as of the copy.
//
// The chips' Describe hooks run while the copy is made, under the
// scheduler's lock; a hook may make control calls (Abort, Trigger, Resume,
// Detach), which take effect once the copy is made. Once the runlet has
// settled, the copy shows the notes the hooks gave just before the chips'
// Close: no hook runs on a closed chip's state.
func (r *Runlet) Snapshot() RunletSnapshot {
	if s, ok := r.freshSnapshot(); ok {
		return s
	}
	if onScheduler() {
		r.ask()
	} else if !r.awaitPublication() {
		if s, ok := r.freshSnapshot(); ok {
			return s
		}
	}
	return r.published()
}

// freshSnapshot builds a snapshot now if it can take the lock without
// waiting, and publishes it too.
func (r *Runlet) freshSnapshot() (RunletSnapshot, bool) {
	g := r.g
	g.observers.Add(1)
	if !g.mu.TryLock() {
		g.observers.Add(-1)
		return RunletSnapshot{}, false
	}
	defer g.observed(nil) // unlocks, and hands on mail posted meanwhile
	s := r.snapshot()
	r.store(s.clone())
	return s, true
}

// ask asks the scheduler to publish a fresh snapshot between two bursts.
func (r *Runlet) ask() {
	r.want.Store(true)
	r.g.want.Store(true)
}

// awaitPublication asks for a fresh snapshot and waits at most observeWait
// for it; it reports whether one was published.
func (r *Runlet) awaitPublication() bool {
	r.pubMu.Lock()
	if r.pubCh == nil {
		r.pubCh = make(chan struct{})
	}
	ch := r.pubCh
	r.pubMu.Unlock()
	r.ask()
	t := time.NewTimer(observeWait)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

// publish makes a snapshot for observers. Only the holder of g.mu calls it.
func (r *Runlet) publish() { r.store(r.snapshot()) }

// store publishes s and wakes the observers waiting for it. s must not be
// modified afterwards. Only the holder of g.mu calls it, so that copies are
// published in the order they were made.
func (r *Runlet) store(s RunletSnapshot) {
	r.pub.Store(&s)
	r.pubMu.Lock()
	if r.pubCh != nil {
		close(r.pubCh)
		r.pubCh = nil
	}
	r.pubMu.Unlock()
}

// published returns a copy of the latest published snapshot with the
// header fields (State, Err, Paused) of this moment.
func (r *Runlet) published() RunletSnapshot {
	s := RunletSnapshot{State: "new"}
	if p := r.pub.Load(); p != nil {
		s = p.clone()
	}
	s.Paused = r.paused.Load()
	if n := r.stopped.Load(); n != nil {
		s.State, s.Err = stateOf(n.err, r.detached.Load(), true, true), errText(n.err)
	} else if r.detached.Load() {
		s.State = "detached"
	}
	return s
}

// loopFunc is the name of the scheduler loop's function, as the runtime
// reports it in stacks.
var loopFunc = runtime.FuncForPC(reflect.ValueOf((*Runlet).loop).Pointer()).Name()

// onScheduler reports whether the caller runs inside a scheduler loop: it
// is then the goroutine that would have to publish, and must not wait.
// Go has no goroutine identity, so it looks for the loop on the stack; an
// observer calls it only when the scheduler is busy.
func onScheduler() bool { return onStack(loopFunc) }

// onStack reports whether function fn is on the caller's stack.
func onStack(fn string) bool {
	var pcs [64]uintptr
	for skip := 2; ; skip += len(pcs) {
		n := runtime.Callers(skip, pcs[:])
		frames := runtime.CallersFrames(pcs[:n])
		for {
			f, more := frames.Next()
			if f.Function == fn {
				return true
			}
			if !more {
				break
			}
		}
		if n < len(pcs) {
			return false
		}
	}
}

// clone returns a deep copy of s: a published snapshot is shared, the ones
// handed out are not.
func (s RunletSnapshot) clone() RunletSnapshot {
	s.Chips = slices.Clone(s.Chips)
	for i := range s.Chips {
		if c := s.Chips[i].Stats; c != nil {
			cp := *c
			if c.Progress != nil {
				p := *c.Progress
				cp.Progress = &p
			}
			s.Chips[i].Stats = &cp
		}
	}
	s.Flow = s.Flow.clone()
	s.Pools = slices.Clone(s.Pools)
	for i := range s.Pools {
		p := &s.Pools[i]
		p.Pends = slices.Clone(p.Pends)
		for j := range p.Pends {
			p.Pends[j].Queued = slices.Clone(p.Pends[j].Queued)
			p.Pends[j].Viewees = slices.Clone(p.Pends[j].Viewees)
		}
		p.PullWake = slices.Clone(p.PullWake)
		if p.PushWake != nil {
			w := make(map[string][]string, len(p.PushWake))
			for k, v := range p.PushWake {
				w[k] = slices.Clone(v)
			}
			p.PushWake = w
		}
		p.PendInputs = slices.Clone(p.PendInputs)
		p.PendOutputs = slices.Clone(p.PendOutputs)
	}
	return s
}

// stateOf is RunletSnapshot.State for a runlet that stopped with err (or is
// detached), is stopping, or is attached.
func stateOf(err error, detached, stopping, attached bool) string {
	switch {
	case err == ErrDetached || detached:
		return "detached"
	case err != nil:
		return "failed"
	case stopping:
		return "ended"
	case attached:
		return "running"
	}
	return "new"
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// snapshot builds a snapshot. Only the holder of g.mu calls it.
func (r *Runlet) snapshot() RunletSnapshot {
	s := RunletSnapshot{
		State:  stateOf(r.err, r.detached.Load(), r.stopping, r.attached),
		Err:    errText(r.err),
		Paused: r.paused.Load(),
		Stats:  r.stats,
	}
	if !r.attached {
		return s
	}
	for i := range r.slots {
		sl := &r.slots[i]
		running, note := sl.lastRunning, sl.lastNote
		if !r.settled {
			running, note = sl.run.Describe()
		}
		if sl.ended {
			running = "END"
		}
		s.Chips = append(s.Chips, ChipSnapshot{
			Key: sl.key, Prev: sl.spec.Prev.String(), Next: sl.spec.Next.String(),
			PrevPool: sl.spec.Prev.Pool, PrevPend: sl.spec.Prev.Pend,
			NextPool: sl.spec.Next.Pool, NextPend: sl.spec.Next.Pend,
			Async: sl.spec.Async, Concurrency: sl.spec.Concurrency,
			Ended: sl.ended, State: r.chipState(sl), Running: running, Note: note,
			CastsDropped: r.castsDropped(i),
			Restarts:     sl.restarts,
		})
		if sl.spec.Restart != RestartTemporary {
			s.Chips[len(s.Chips)-1].Restart = sl.spec.Restart.String()
		}
	}
	s.Supervisor = r.supSnapshot()
	exts := slices.SortedFunc(maps.Keys(r.ext), func(a, b PendName) int {
		return a.compare(b)
	})
	for _, p := range r.pools {
		ps := RunletPoolSnapshot{Snapshot: p.Snapshot()}
		if i, ok := r.pslotIdx[p]; ok {
			for _, w := range r.pslots[i].waiters {
				ps.PullWake = append(ps.PullWake, r.slots[w].key)
			}
		}
		for _, pd := range r.pends {
			if len(pd.waiters) == 0 {
				continue
			}
			for _, m := range pd.members {
				if m.Pool != p.Key() {
					continue
				}
				if ps.PushWake == nil {
					ps.PushWake = map[string][]string{}
				}
				for _, w := range pd.waiters {
					ps.PushWake[m.Pend] = append(ps.PushWake[m.Pend], r.slots[w].key)
				}
			}
		}
		for _, k := range exts {
			if k.Pool != p.Key() {
				continue
			}
			if r.ext[k].in {
				ps.PendInputs = append(ps.PendInputs, k.Pend)
			}
			if r.ext[k].out {
				ps.PendOutputs = append(ps.PendOutputs, k.Pend)
			}
		}
		s.Pools = append(s.Pools, ps)
	}
	r.statSnapshot(&s)
	return s
}

// chipState is ChipSnapshot.State for slot sl.
func (r *Runlet) chipState(sl *slot) string {
	switch {
	case sl.ended:
		return ChipEnded
	case r.stopping:
		return ChipStopped
	case sl.run.Busy():
		return ChipBusy
	case sl.onPool:
		return ChipWaitRoom
	case sl.onPend:
		return ChipWaitData
	}
	return ChipReady
}

// Describe returns the runlet's state as text: Snapshot().String(), as fresh
// as [Runlet.Snapshot] and, like it, never waiting for the scheduler: the
// always-on counters, then one line per chip, pool and pend:
//
//	[DETACHED] | [FAILED] <error> | [ENDED]        (only when stopped)
//	[PAUSED]                                       (only while paused)
//	stat: hitRate=0.8904 hits=260 statMiss=0 pushMiss=8 pullMiss=24
//	#<chip> [<running>] <prev pend>@<pool> >> <next pend>@<pool>[ async(<N>)][ <note>]
//	@<pool> <size>/<limit> pullWake[<chips>] high=<highest size>[ <kind>]
//	 -<pend> <size>,<private>P [<queued packs>] pushWake[<chips>][ limit=<N>]
//
// A pool limit of "-" means none. Queued packs print as value|hint|IDLE, the
// first MaxQueued of them. runlet.Runlet.Describe explains each field.
func (r *Runlet) Describe() string { return r.Snapshot().String() }

// String renders the snapshot in Describe's format.
func (s RunletSnapshot) String() string {
	var b strings.Builder
	switch s.State {
	case "detached":
		b.WriteString("[DETACHED]\n")
	case "failed":
		fmt.Fprintf(&b, "[FAILED] %s\n", firstLine(s.Err))
	case "ended":
		b.WriteString("[ENDED]\n")
	}
	if s.Paused {
		b.WriteString("[PAUSED]\n")
	}
	b.WriteString("stat: " + s.Stats.String() + "\n")
	if s.Flow != nil {
		b.WriteString(s.Flow.String() + "\n")
	}
	for _, c := range s.Chips {
		b.WriteString(c.String())
		if s.Flow != nil && s.Flow.Bottleneck != nil && s.Flow.Bottleneck.Chip == c.Key {
			b.WriteString(" " + BottleneckMark)
		}
		b.WriteString("\n")
	}
	for _, p := range s.Pools {
		b.WriteString(p.String() + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// String returns the counters as Describe's first line prints them, after
// its "stat: ": "hitRate=0.8904 hits=260 statMiss=0 pushMiss=8 pullMiss=24",
// the hit rate with four decimals.
func (s Stats) String() string {
	return fmt.Sprintf("hitRate=%.4f hits=%d statMiss=%d pushMiss=%d pullMiss=%d",
		s.HitRate(), s.Hits, s.StatMiss, s.PushMiss, s.PullMiss)
}

// String returns the chip's Describe line:
// "#key [running] prev@pool >> next@pool", then " async(N)" for an async
// chip of concurrency N and the chip's note, if any.
func (c ChipSnapshot) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%s [%s] %s >> %s", c.Key, c.Running, c.Prev, c.Next)
	if c.Async {
		fmt.Fprintf(&b, " async(%d)", c.Concurrency)
	}
	if c.Note != "" {
		b.WriteString(" " + c.Note)
	}
	if c.Stats != nil {
		b.WriteString(" " + c.Stats.String())
	}
	return b.String()
}

// String returns the pool's Describe lines with who waits on it: the
// pool's line "@key size/limit pullWake[chips] high=N", then its kind unless
// it counts packs; then one line per pend,
// " -key size,privateP [queued] pushWake[chips]", then " limit=N" if the
// pend has a limit. The IO pool is the line "@key" alone.
func (p RunletPoolSnapshot) String() string {
	return p.lines(true)
}

// String returns the pool's lines as Describe prints them (see
// [RunletPoolSnapshot.String]), less the wake lists, which only a runlet
// knows: "@key size/limit high=N", the kind unless it counts packs, and a
// line " -pend ..." per pend.
func (s Snapshot) String() string {
	return RunletPoolSnapshot{Snapshot: s}.lines(false)
}

// lines renders the pool, with its wake lists when wakes is set.
func (p RunletPoolSnapshot) lines(wakes bool) string {
	if p.Kind == IO.String() {
		return "@" + p.Key
	}
	var b strings.Builder
	fmt.Fprintf(&b, "@%s %d/%s", p.Key, p.Size, limitText(p.Limit))
	if wakes {
		fmt.Fprintf(&b, " pullWake[%s]", strings.Join(p.PullWake, ","))
	}
	fmt.Fprintf(&b, " high=%d", p.High)
	if p.Kind != Count.String() {
		b.WriteString(" " + p.Kind)
	}
	for _, pd := range p.Pends {
		b.WriteString("\n ")
		wake := ""
		if wakes {
			wake = fmt.Sprintf(" pushWake[%s]", strings.Join(p.PushWake[pd.Key], ","))
		}
		pd.write(&b, wake)
	}
	return b.String()
}

// String returns the pend's Describe line, less the leading space and the
// wake list, which only a runlet knows: "-key size,privateP [queued]", then
// " limit=N" if the pend has a limit. Queued packs print as
// value|hint|IDLE (see [PendSnapshot.Queued]), the first [MaxQueued] of them.
func (pd PendSnapshot) String() string {
	var b strings.Builder
	pd.write(&b, "")
	return b.String()
}

// write renders the pend's line with wake (" pushWake[...]" or "") before
// its limit.
func (pd PendSnapshot) write(b *strings.Builder, wake string) {
	fmt.Fprintf(b, "-%s %d,%dP [%s]%s", pd.Key, pd.Size, pd.Private, strings.Join(pd.Queued, ", "), wake)
	if pd.Limit >= 0 {
		fmt.Fprintf(b, " limit=%d", pd.Limit)
	}
}

func limitText(l int) string {
	if l < 0 {
		return "-"
	}
	return fmt.Sprint(l)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
