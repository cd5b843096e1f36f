package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// slot is the scheduler's record of a chip.
type slot struct {
	key      string
	spec     Spec
	run      Runner
	host     host
	prevPend int32 // index into Runlet.pends
	nextPend int32
	prevPool int32 // index into Runlet.pslots
	nextPool int32
	deadPend int32       // index into Runlet.pends of its dead-letter pend; -1 for none
	reads    []storage   // the storage pends its prev pend stands for, resolved at Attach
	output   bool        // its next pend is the IO output
	ended    bool        // returned END, or was told the first error
	onPend   bool        // in pends[prevPend].waiters
	onPool   bool        // in pslots[nextPool].waiters
	idle     bool        // Halt reported nothing in flight
	timer    *time.Timer // wakes a Timer chip; each pending firing is counted in Runlet.wg
	armed    bool        // timer is set and has not fired
	// lastRunning and lastNote are what Describe showed as the runlet
	// settled, before Close: snapshots show them from then on, so that no
	// Describe hook runs on a closed chip's state.
	lastRunning, lastNote string
	// Supervision (supervise.go).
	binding       Binding // what Attach bound it with; a restart binds it again
	down          bool    // being restarted: retired, not yet bound again
	retiring      bool    // its runner has work in flight to give back
	failedRestart bool    // the chip whose failure began the restart
	restarts      int     // times it was bound again
}

// pendSlot is the scheduler's record of a pend: who waits for data in it.
type pendSlot struct {
	pool    int32         // index into Runlet.pslots
	key     string        // the pend, or the view group, it stands for
	members []PendName    // the (pool, pend) names that lead here
	home    storage       // where its packs live
	waiters []int32       // chips waiting for a push (their prev pend is empty)
	data    chan struct{} // closed on the next push, for PullWait; nil if nobody waits
}

// poolSlot is the scheduler's record of a pool: who waits for room in it.
type poolSlot struct {
	key     string
	pool    *Pool         // the storage pool
	waiters []int32       // chips waiting for a pull (their next pend is limited)
	room    chan struct{} // closed on the next pull, for PushWait; nil if nobody waits
}

// loop is the scheduler: it runs chips from the wake lists until none is left.
// Only the holder of mu calls it.
//
// The order: the fast list first (a chip that just
// resolved, at its front, then chips woken by a push), then the slow list
// (chips woken by a pull, and Trigger). What each hint wakes is in doc.go.
//
// Between bursts it reads its mail, and every Config.Budget packs (process
// calls, counted in stats.Hits) it polls Run's ctx and observers; it also
// publishes for observers whenever it lets go. So a stop, a Detach or an
// observer is served within about two bursts, and the hot path inside a
// burst pays nothing for them.
func (r *Runlet) loop() {
	r.st.markNow()
	for {
		if r.hasMail.Load() {
			r.takeMail()
		}
		if r.stats.Hits >= r.pollAt {
			r.poll()
			r.st.markNow()
		}
		if r.stopping {
			r.settle()
			r.g.publishAsked()
			return
		}
		i, ok := r.fast.pop()
		if !ok {
			if i, ok = r.slow.pop(); !ok {
				if r.stalled() {
					continue // stopping now: settle
				}
				if !r.attached {
					r.unjoin() // mail before Attach: nothing to run
				}
				r.g.publishAsked()
				return
			}
		}
		r.runChip(i)
	}
}

// poll stops the runlet if Run's ctx has ended (its callback's mail may be
// late: it runs on a goroutine of its own), and publishes snapshots that
// observers asked for.
func (r *Runlet) poll() {
	r.pollAt = r.stats.Hits + uint64(r.cfg.Budget)
	if c := r.runCtx.Load(); c != nil && !r.stopping {
		if err := (*c).Err(); err != nil {
			r.err = err
			r.beginStop()
		}
	}
	r.g.publishAsked()
}

// takeMail handles messages from other goroutines.
func (r *Runlet) takeMail() {
	r.mailMu.Lock()
	box := r.mail
	r.mail, r.mailSpare = r.mailSpare[:0], box // double buffer: no allocation per take
	r.hasMail.Store(false)
	r.mailMu.Unlock()
	for _, m := range box {
		switch m.kind {
		case mailTrigger:
			r.trigger()
		case mailResume:
			r.paused.Store(false)
			r.trigger()
		case mailStop:
			if !r.stopping {
				r.err = m.err
				r.beginStop()
			}
		case mailTimer:
			if !r.stopping {
				r.slots[m.chip].armed = false
				r.fast.pushFront(m.chip) // a timer fired: the chip goes first
			}
		case mailWake:
			if !r.stopping {
				r.fast.pushFront(m.chip) // an async chip resolved: it goes first
			}
		case mailDrain:
			r.drain()
		case mailDrainAbort:
			r.abortDrain(m.err)
		case mailCast:
			r.takeCasts()
		case mailRestart:
			if !r.stopping {
				r.rebind()
			}
		}
	}
}

// trigger queues every chip to run (a Trigger or Resume message).
func (r *Runlet) trigger() {
	r.triggered = r.triggered || r.attached
	if r.st != nil {
		r.st.startClock()
	}
	if r.attached && r.pub.Load() == nil {
		r.publish() // observers always have a state that names the chips
	}
	if r.attached && !r.stopping {
		r.takeCasts() // those posted before Attach
		for i := range r.slots {
			r.slow.push(int32(i))
		}
		// Callers of PushWait and PullWait look again too: a wake
		// while paused reached no one.
		for p := range r.pends {
			r.wakePendLocal(int32(p))
		}
		for p := range r.pslots {
			r.wakePoolLocal(int32(p))
		}
	}
}

// runChip tries to run chip i once and files the outcome.
func (r *Runlet) runChip(i int32) {
	s := &r.slots[i]
	if s.down {
		r.runDown(i)
		return
	}
	castWait := false // casts wait for this async chip's batches (cast.go)
	if r.castQueued > 0 {
		if castWait = r.runCasts(i); r.stopping {
			return
		}
	}
	if s.ended {
		if !s.idle && !r.stopping {
			// Ended early by endUpstream with work in flight: settle what
			// has finished as it lands, so that it stops counting in its
			// next pool (Pend.Expect) long before the runlet stops.
			idle, late := s.run.Halt()
			s.idle = idle
			if late != nil {
				r.report(&ChipError{Chip: s.key, Err: late})
			}
		}
		r.stats.StatMiss++
		return
	}
	paused := r.paused.Load()
	if paused && !s.spec.Async {
		r.stats.StatMiss++ // a paused miss registers no wake
		return
	}
	budget := r.cfg.Budget
	if paused || castWait {
		budget = 0 // collect finished work only
	}
	var res Result
	if r.st != nil {
		res = r.runTimed(i, budget)
	} else {
		res = s.run.Run(budget)
	}
	r.stats.Hits += uint64(res.Hits)
	if castWait {
		r.castAgain(i, res)
	}
	if res.Err != nil {
		if !r.supervise(i, res.Err) {
			r.fail(i, res.Err)
		}
		return
	}
	r.fileWait(i, res.Wait)
	if res.After > 0 {
		r.arm(i, res.After)
	}
	if !paused {
		if res.Wake&WakeSelf != 0 {
			r.fast.pushFront(i)
		}
		if res.Wake&WakeNext != 0 {
			r.wakePend(s.nextPend)
		}
		if res.Wake&WakePrev != 0 {
			r.wakePool(s.prevPool)
		}
		if (res.Wake&WakeDead != 0 || res.Ended) && s.deadPend >= 0 { // an ended chip pushed END there too
			r.wakePend(s.deadPend)
		}
	}
	if res.Ended {
		s.ended = true
		if s.output {
			r.outputs--
		}
		if r.finishedFlow() {
			r.beginStop()
			return
		}
		r.endUpstream(i)
		if r.finishedFlow() {
			r.beginStop()
		}
	}
}

// fileWait counts chip i's miss and puts it in the waiters of what it
// waits for: its prev pend's pushes, or room in its next pool.
func (r *Runlet) fileWait(i int32, w Wait) {
	s := &r.slots[i]
	switch w {
	case WaitPrev:
		r.stats.PullMiss++
		if !s.onPend {
			s.onPend = true
			p := &r.pends[s.prevPend]
			p.waiters = append(p.waiters, i)
		}
	case WaitNext:
		r.stats.PushMiss++
		if !s.onPool {
			s.onPool = true
			p := &r.pslots[s.nextPool]
			p.waiters = append(p.waiters, i)
		}
	case WaitBusy:
		r.stats.StatMiss++
	}
}

// endUpstream abandons the viewees chip i read if it was their last reader
// (see abandon.go), and tells the producers of chip i's prev pend to stop
// when i was its last reader (a Take ended early, say): nothing will read
// what they make. They end as if they had returned END (no new work; an async one's
// work in flight is discarded), and the same goes on upstream. A pend read
// from outside (a PendOutput, another runlet) keeps its producers.
func (r *Runlet) endUpstream(i int32) {
	r.abandonReads(i)
	p := r.slots[i].prevPend
	r.endScans += len(r.pendReaders[p]) + len(r.pendFeeders[p])
	for _, j := range r.pendReaders[p] {
		if !r.slots[j].ended {
			return // another reader still needs it
		}
	}
	for _, m := range r.pends[p].members {
		if r.ext[m].out {
			return
		}
	}
	for _, j := range r.pendFeeders[p] {
		s := &r.slots[j]
		if s.ended {
			continue
		}
		s.ended = true
		if de, ok := s.run.(deadEnder); ok && s.deadPend >= 0 {
			// Its dead-letter pend's readers may still run: they get its END.
			if err := de.EndDead(); err != nil {
				r.report(&ChipError{Chip: s.key, Err: err})
			}
			r.wakePend(s.deadPend)
		}
		if idle, late := s.run.Halt(); idle || late != nil {
			s.idle = idle
			if late != nil {
				r.report(&ChipError{Chip: s.key, Err: late})
			}
		}
		if s.output {
			r.outputs--
		}
		r.endUpstream(j)
	}
}

// arm (re)sets chip i's timer to wake it after d. The firing runs on a
// goroutine of the time package; Runlet.wg counts it until it has posted, or
// until Stop cancels it, so Run never returns while one is in flight.
func (r *Runlet) arm(i int32, d time.Duration) {
	s := &r.slots[i]
	if s.timer != nil && s.timer.Stop() {
		r.wg.Done() // the cancelled firing will not run
	}
	r.wg.Add(1)
	s.armed = true
	s.timer = time.AfterFunc(d, func() {
		defer r.wg.Done()
		r.post(mail{kind: mailTimer, chip: i})
	})
}

// stalled checks, when no chip is left to run, whether the flow can still
// move; if it cannot, it stops the runlet with a StallError and reports true.
// It judges only inside Run (a runlet driven by hand may be waiting for its
// driver), after Run's Trigger, and never while paused, while mail is
// pending, while a passive handle may feed or drain the graph, or while an
// async chip has work in flight or a timer is armed.
func (r *Runlet) stalled() bool {
	if !r.running.Load() || !r.triggered || r.stopping || r.paused.Load() || r.hasMail.Load() || len(r.ext) > 0 || r.shared() {
		return false
	}
	if r.sup != nil && len(r.sup.group) > 0 {
		return false // a restart is on its way
	}
	for i := range r.slots {
		if s := &r.slots[i]; !s.ended && (s.armed || s.run.Busy()) {
			return false
		}
	}
	r.err = &StallError{State: r.snapshot().String()}
	r.logStall()
	r.beginStop()
	return true
}

// finishedFlow reports whether the flow has ended: every output chip has, or
// every chip when there is no output chip.
func (r *Runlet) finishedFlow() bool {
	if r.outputs > 0 {
		return false
	}
	if r.anyOutput {
		return true
	}
	for i := range r.slots {
		if !r.slots[i].ended {
			return false
		}
	}
	return true
}

// wakePend moves the chips waiting for data in pend p to the back of the fast
// list and wakes PullWait callers, here and in the runlets sharing the pool.
func (r *Runlet) wakePend(p int32) {
	r.wakePendLocal(p)
	r.wakeOthers(true, p)
}

// wakePool moves the chips waiting for room in pool p to the back of the
// slow list and wakes PushWait callers, here and in the runlets sharing it.
func (r *Runlet) wakePool(p int32) {
	r.wakePoolLocal(p)
	r.wakeOthers(false, p)
}

func (r *Runlet) wakePendLocal(p int32) {
	ps := &r.pends[p]
	for _, w := range ps.waiters {
		r.slots[w].onPend = false
		r.fast.push(w)
	}
	ps.waiters = ps.waiters[:0]
	if ps.data != nil {
		close(ps.data)
		ps.data = nil
	}
}

func (r *Runlet) wakePoolLocal(p int32) {
	ps := &r.pslots[p]
	for _, w := range ps.waiters {
		r.slots[w].onPool = false
		r.slow.push(w)
	}
	ps.waiters = ps.waiters[:0]
	if ps.room != nil {
		close(ps.room)
		ps.room = nil
	}
}

// fail handles a chip's error: the first one stops the runlet.
func (r *Runlet) fail(i int32, err error) {
	err = &ChipError{Chip: r.slots[i].key, Err: err}
	if r.stopping {
		r.report(err)
		return
	}
	r.countError(i)
	r.logFirstError(i, err)
	r.err, r.failed = err, i
	r.beginStop()
}

// beginStop starts stopping: no chip runs any more, process ctxs are
// cancelled, waiters are woken, and the loop settles.
func (r *Runlet) beginStop() {
	r.stopping = true
	r.stopped.Store(&stopNote{err: r.err})
	if !r.halting {
		r.halting = true
		close(r.halted)
	}
	r.cancel()
	r.fast.reset()
	r.slow.reset()
	for p := range r.pends {
		r.wakePend(int32(p))
	}
	for p := range r.pslots {
		r.wakePool(int32(p))
	}
}

// settle halts every chip and, once nothing is in flight, tells the first
// error to every unfinished chip in chip order (the failing chip without its
// pack) and closes done.
func (r *Runlet) settle() {
	if r.settled {
		return
	}
	idle := true
	for i := range r.slots {
		s := &r.slots[i]
		if s.idle {
			continue
		}
		ok, late := s.run.Halt()
		if late != nil {
			r.report(&ChipError{Chip: s.key, Err: late})
		}
		s.idle = ok
		idle = idle && ok
	}
	if !idle {
		return // the last Wake brings us back here
	}
	r.settled = true
	r.stopSupervisor()
	r.shutCasts()
	r.st.finish()
	for i := range r.slots {
		if t := r.slots[i].timer; t != nil && t.Stop() {
			r.wg.Done()
		}
	}
	if r.err != nil && r.err != ErrDetached {
		for i := range r.slots {
			s := &r.slots[i]
			if s.ended {
				continue
			}
			s.ended = true
			if err := s.run.Tell(r.err, int32(i) != r.failed); err != nil {
				r.report(&ChipError{Chip: s.key, Err: err})
			}
		}
	}
	for k := range r.slots {
		i := k
		if r.sup != nil {
			i = len(r.slots) - 1 - k // a supervisor stops its chips in reverse order
		}
		s := &r.slots[i]
		// Before Close, which reports a panic of the hook here.
		s.lastRunning, s.lastNote = s.run.Describe()
		if err := s.run.Close(); err != nil {
			r.closeFailed(&ChipError{Chip: s.key, Err: err})
		}
	}
	r.restoreAbandoned()
	// Detach shows what the pools held, also one that comes while or after
	// the runlet settles: when emptying them changes what a snapshot shows,
	// the state before it is kept for Detach.
	if r.emptiesSomething() {
		s := r.snapshot()
		r.detachSnap.Store(&s)
	}
	r.emptyPends()
	r.leave()
	close(r.done)
}

// deque is a ring of chip indexes. The zero value is empty.
type deque struct {
	buf  []int32 // len is 0 or a power of two
	head int
	n    int
}

func (d *deque) grow() {
	buf := make([]int32, max(16, 2*len(d.buf)))
	for i := range d.n {
		buf[i] = d.buf[(d.head+i)&(len(d.buf)-1)]
	}
	d.buf, d.head = buf, 0
}

func (d *deque) push(v int32) {
	if d.n == len(d.buf) {
		d.grow()
	}
	d.buf[(d.head+d.n)&(len(d.buf)-1)] = v
	d.n++
}

func (d *deque) pushFront(v int32) {
	if d.n == len(d.buf) {
		d.grow()
	}
	d.head = (d.head - 1) & (len(d.buf) - 1)
	d.buf[d.head] = v
	d.n++
}

func (d *deque) pop() (int32, bool) {
	if d.n == 0 {
		return 0, false
	}
	v := d.buf[d.head]
	d.head = (d.head + 1) & (len(d.buf) - 1)
	d.n--
	return v, true
}

func (d *deque) reset() { d.head, d.n = 0, 0 }

// report hands an error after the first (late work, a chip's OnError hook,
// a Close hook) to Config.OnError. OnError is user code run under the lock:
// a panic there must not escape the scheduler, and cannot be reported
// through OnError again. It becomes the runlet's error if the runlet has
// none yet (Run returns it), and is logged with log/slog otherwise.
// Only the holder of mu calls it.
func (r *Runlet) report(err error) {
	defer func() {
		if v := recover(); v != nil {
			perr := &onErrorPanic{panic: &PanicError{Value: v, Stack: debug.Stack()}, reported: err}
			if r.err == nil && !r.settled {
				r.err = perr
				r.beginStop()
				return
			}
			slog.Error("runlet: Config.OnError panicked", "err", perr, "stack", string(perr.panic.Stack))
		}
	}()
	r.countErrorOf(err)
	r.logLaterError(err)
	r.cfg.OnError(err)
}

// closeFailed files the error of a Close hook: the runlet's error after a
// clean end, else a later error.
func (r *Runlet) closeFailed(err error) {
	if r.err == nil {
		r.err = err
		r.stopped.Store(&stopNote{err: err}) // Err and Run read it
		return
	}
	r.report(err)
}

// onErrorPanic is a panic of Config.OnError while it was given reported.
// errors.As reaches both the panic and reported.
type onErrorPanic struct {
	panic    *PanicError
	reported error
}

func (e *onErrorPanic) Error() string {
	what := "an error"
	if ce := (*ChipError)(nil); errors.As(e.reported, &ce) {
		what = fmt.Sprintf("chip %q's error", ce.Chip)
	}
	return fmt.Sprintf("runlet: Config.OnError: %v (reporting %s)", e.panic, what)
}

func (e *onErrorPanic) Unwrap() []error { return []error{e.panic, e.reported} }
