package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/runlet/runlet/hints"
)

// Func is a step made of a process function: the engine's form of a chip
// declared with chip.New, which fills it from its generic Config. Each Bind
// makes a fresh runner with fresh state. The fields mean what the chip
// package's Config fields of the same names mean.
//
// A Func is read by Bind and by the runners it makes, never written after it
// is filled; the zero value has no process, which Bind reports.
type Func[In, Out, S any] struct {
	PrevPend, NextPend string // pend keys in the pools of the Binding
	State              func() S
	Async              bool
	Concurrency        int
	Ordered            bool
	Process            func(ctx context.Context, in hints.Pack[In], state *S) (hints.Pack[Out], error)
	OnError            func(err error, held *hints.Pack[In], state *S)
	Timer              func(state *S) (wait time.Duration, ok bool)
	Close              func(state *S)
	Describe           func(state *S) string
	// Ready, if set, makes an async input chip hand over its values in
	// batches. It reports how many next Process calls, at least, would
	// produce without waiting on the world (the chip has input in hand), 0
	// when the next would wait, and must not block: it is called on the
	// worker after those calls while the batch has room, and on the
	// scheduler's goroutine before a batch is handed out while none is out
	// (a chip with nothing in hand gets a batch of one call). The batch is handed
	// over as soon as it reports 0, so a value never waits in a batch
	// for a later one: a sparse source pushes each value at once, a fast one
	// moves in batches. Without Ready each call of an input chip is its own
	// batch, since the engine cannot tell whether the next call would wait.
	Ready func(state *S) int
	// Key is the chip's key, which its dead letters carry.
	Key string
	// Fail, if set, is the chip's error policy (see "Error policies" in
	// policy.go); nil: a process error fails the chip.
	Fail FailFunc
	// Pace, if set, is asked before every process call how long that call
	// must wait (a rate limit's reservation); it must not block. The
	// engine then skips span and Run, calling Process pack by pack.
	Pace func() time.Duration
	// Timeout, if positive, is a sync chip's deadline per burst: the calls
	// of one Run share one ctx that ends Timeout after the burst began
	// (a burst of a sync chip takes microseconds, so each call has about
	// Timeout), and a burst still running Grace after it is reported to
	// Stuck. An async chip wraps its Process per call instead (package chip).
	Timeout, Grace time.Duration
	Stuck          func(running time.Duration)
	// DeadPend is the key of the dead-letter pend in the Binding's Dead
	// pool; "" for none.
	DeadPend string
	// Check, if set, is a constructor's own validation, run by Bind.
	Check func() error
	// Run, if set, is Process over a run of packs for the sync hot path
	// (span), with no function value call per pack but the user's own. See
	// [RunFunc]. Constructors set it next to their Process; the engine
	// ignores it on async chips.
	Run RunFunc[In, Out, S]
	// Progress, if set, reports how much of a known amount of work the
	// chip has done, in ProgressUnit ("packs" when empty), for statistics.
	// It is called on the scheduler's goroutine while an async chip's
	// workers may run: an async chip's must read its state atomically.
	Progress     func(state *S) (done, total int64)
	ProgressUnit string
	// Supervision (supervise.go, supervise_runner.go): the chip's restart
	// type, whether its failed pack goes to the dead-letter pend at a
	// restart (at-most-once) instead of back to its prev pend, the hook
	// given its old state, the inputs its state holds (a Batch's), and an
	// async chip's shutdown budget (0: DefaultShutdown).
	Restart    RestartType
	AtMostOnce bool
	OnRestart  func(state *S, cause error)
	Salvage    func(state *S) []In
	Shutdown   time.Duration
}

// RunFunc is a Func's Process over a run of packs: in[pos.N:] into
// out[pos.M:]. It must make exactly the calls Process would make, in order,
// with the same effects, and keep pos exact after each one it applies itself
// (so that a panic leaves it exact): a DATA output written to out[pos.M]
// (M+1) with its input consumed (N+1), a SKIP (N+1), or, for an operator
// that tracks it, a REDO written to out (M+1) with its input kept while
// another output slot and another call remain; each applied call adds one to
// pos.Calls. It stops before a call when pos.Calls is pos.Max, pos.N is
// len(in), pos.M is len(out) or in[pos.N] is one it leaves to Process
// (made false). A call whose outcome it does not apply (an error, END, any
// other hint, or a REDO at the last slot or call) it returns with made true,
// uncounted in pos, and span applies it as if Process had returned it.
type RunFunc[In, Out, S any] func(ctx context.Context, in []hints.Pack[In], out []hints.Pack[Out], pos *RunPos, state *S) (o hints.Pack[Out], made bool, err error)

// RunPos is where a [RunFunc] stands in its span: inputs consumed, outputs
// written, calls applied, and the most calls it may make.
type RunPos struct{ N, M, Calls, Max int }

// Bind resolves the typed pends and makes the state. It reports only what
// the step alone knows (a nil process, a Timer on an async step, a
// constructor's own settings, an element type that does not match the
// pend's); what the chip's Spec tells is checked by Attach before it binds.
func (f *Func[In, Out, S]) Bind(b Binding) (Runner, error) {
	var errs []error
	if f.Process == nil {
		errs = append(errs, errors.New("nil process"))
	}
	if f.Async && f.Timer != nil {
		errs = append(errs, errors.New("Timer is for sync chips only"))
	}
	if f.Check != nil {
		if err := f.Check(); err != nil {
			errs = append(errs, err)
		}
	}
	r := &runner[In, Out, S]{cfg: f, ctx: b.Ctx, host: b.Host, cancel: func() {}}
	if r.ctx == nil {
		r.ctx = context.Background()
	}
	if f.Restart != RestartTemporary {
		r.ctx, r.cancel = context.WithCancel(r.ctx) // a restart's shutdown budget cancels it
		errs = append(errs, f.checkRestart()...)
	}
	var err error
	if b.Prev != nil {
		if r.prev, err = Get[In](b.Prev, f.PrevPend); err != nil {
			errs = append(errs, fmt.Errorf("prev: %w", err))
		}
	}
	if b.Next != nil {
		if r.next, err = Get[Out](b.Next, f.NextPend); err != nil {
			errs = append(errs, fmt.Errorf("next: %w", err))
		}
	}
	if r.prev != nil && r.prev.mode == modeInput {
		r.prev.drain = b.Drain // the input pend serves END once the runlet drains
	}
	if f.DeadPend != "" && b.Dead != nil {
		if r.dlq, err = Get[DeadLetter[In]](b.Dead, f.DeadPend); err != nil {
			errs = append(errs, fmt.Errorf("dead-letter pend: %w", err))
		}
	}
	if f.Ready != nil && (!f.Async || r.prev == nil || r.prev.mode != modeInput) {
		// Only an input chip's batches run over Ready (processReady): for
		// another chip they would drop what it pulled.
		errs = append(errs, fmt.Errorf("Ready is for async input chips only: prev %q is not the IO input pend", f.PrevPend))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if f.State != nil {
		if err := r.makeState(); err != nil {
			return nil, err
		}
	}
	if f.Async {
		r.async = newAsync[In, Out](max(f.Concurrency, 1), f.Ordered)
		if r.next != nil && r.next.Expect(0) {
			r.async.next = r.next
		}
	}
	return r, nil
}

// makeState calls the state factory; a panic there is Bind's error.
func (r *runner[In, Out, S]) makeState() (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("state factory: %w", panicError(v))
		}
	}()
	r.state = r.cfg.State()
	return nil
}

// runner is a bound Func. Fields without a note are owned by the scheduler.
type runner[In, Out, S any] struct {
	cfg   *Func[In, Out, S]
	ctx   context.Context
	host  Host
	prev  *Pend[In]
	next  *Pend[Out]
	state S // shared with workers of an async chip while they run

	held     hints.Pack[In] // the running pack of a sync chip
	hasHeld  bool
	ended    bool
	deadline time.Time // the deadline the scheduler's timer is armed for; zero for none

	pos RunPos // where Run stands in span (a field, so that it does not escape)

	// The error policy's state (policy.go); sync chips only but dlq.
	dlq       *Pend[DeadLetter[In]] // the dead-letter pend; nil for none
	deadEnded bool                  // END was pushed to dlq
	attempts  int                   // calls of the held pack that failed
	first     time.Time             // when the held pack's first call failed
	until     time.Time             // the held pack waits until then (retry or rate limit); zero for none
	paced     bool                  // the held pack's next call has its rate-limit reservation
	burstCtx  context.Context       // the ctx of the burst running, with its deadline (Timeout); nil between bursts

	async *async[In, Out] // nil for sync chips

	// Supervision (supervise_runner.go).
	cancel context.CancelFunc // ends ctx: a no-op unless the chip can be restarted
	budget *time.Timer        // a retiring async chip's shutdown budget
	overB  atomic.Bool        // the budget ran out (set by its timer)

	// hookPanic is a panic of the Describe hook, which may run on another
	// goroutine than the scheduler's; Run or Close returns it, once.
	hookPanic atomic.Pointer[PanicError]
}

// Run implements [Runner].
func (r *runner[In, Out, S]) Run(budget int) Result {
	if r.hookPanic.Load() != nil {
		if pe := r.hookPanic.Swap(nil); pe != nil {
			return Result{Err: fmt.Errorf("Describe hook: %w", pe)}
		}
	}
	if r.async != nil {
		return r.runGuarded(budget)
	}
	return r.runSync(budget)
}

// # What each hint does
//
// The three functions that call a process function (runSync and span on the
// scheduler's goroutine, process on an async chip's worker) are the one
// place that decides what happens for each hint of its output; everything
// else (absorb, the pends, the scheduler's wake lists) only carries out what
// they decided. Each has its own switch, because each stores the output in
// its own place (the next pend's ring, a run of its slots, a batch), and a
// shared decision function would cost a call or a table load per pack. The
// three agree on this table, which package runlet's doc repeats:
//
//	hint   output                     input                  chip
//	DATA   pushed                     consumed               runs on
//	SKIP   nothing                    consumed               runs on
//	REDO   pushed as DATA             kept: called again     runs on
//	END    one END pack, its Count    consumed               ends
//	other  nothing                    kept (held)            fails

// runSync is the hot path. High level idea: the scheduler re-runs a chip
// that resolved before anything else, so running it here in a loop until
// it misses gives the same order of process calls while paying for the
// scheduler's bookkeeping once per burst instead of once per pack. Per pack it
// does a ring pull, a limit check, the process call and a ring push: no
// allocation, no lock, no channel, no interface box.
func (r *runner[In, Out, S]) runSync(budget int) (res Result) {
	defer func() {
		if v := recover(); v != nil {
			res.Err = panicError(v)
		}
	}()
	if !r.until.IsZero() && r.waitingSync(&res) {
		return res
	}
	if r.cfg.Timeout > 0 {
		defer r.burst()()
	}
	prev, next, process, ctx, state := r.prev, r.next, r.cfg.Process, r.callCtx(), &r.state
	held, hasHeld := r.held, r.hasHeld
	defer func() { r.held, r.hasHeld = held, hasHeld }()
	free := 0 // limit checks that next.Free says we may skip
	pace := r.cfg.Pace != nil
	for res.Hits < budget {
		if !hasHeld && free > 0 && !pace {
			// A run of packs with no limit check due: process it in place.
			var done bool
			done, free = r.span(&res, min(free, budget-res.Hits), &held, &hasHeld)
			if done {
				return res
			}
			if res.Hits >= budget {
				break
			}
		}
		if !hasHeld {
			pk, ok := prev.Pull()
			if !ok {
				if r.cfg.Timer == nil || !r.timeUp(&res) {
					res.Wait = WaitPrev
					return res
				}
				pk = hints.Pack[In]{Hint: hints.Skip} // "time is up"
			}
			held, hasHeld = pk, true
			r.attempts = 0
		}
		// Pull happens before the backpressure check: a chip blocked by its
		// next pend holds one idle pack.
		if free == 0 {
			if next.Limited() {
				res.Wait = WaitNext
				return res
			}
			free = max(next.Free(), 1)
		}
		if pace && r.paceSync(&res) {
			return res
		}
		free--
		res.Hits++
		out, err := process(ctx, held, state)
		r.paced = false
		if err != nil {
			err = r.timedOut(err)
			if r.cfg.Fail == nil || r.failedSync(&res, err, held) {
				if res.Err == nil && r.cfg.Fail == nil {
					res.Err = err
				}
				return res
			}
			hasHeld = false
			continue
		}
		switch out.Hint {
		case hints.None, hints.Redo: // pushed as DATA; a REDO keeps its input
			res.Wake |= WakeNext
			if out.Hint == hints.None {
				hasHeld = false
				res.Wake |= WakePrev
			}
			out.Hint = hints.None
			if err := next.Push(out); err != nil {
				res.Err = err
				return res
			}
			res.Out++
		case hints.Skip:
			hasHeld = false
			res.Wake |= WakePrev
		case hints.End:
			hasHeld = r.endSync(&res, held.Hint, out.Ends())
			return res
		default:
			res.Err = fmt.Errorf("process returned unknown hint %v", out.Hint)
			return res
		}
	}
	res.Wake |= WakeSelf
	return res
}

// endSync ends a sync chip whose call on a pack of hint in returned END
// for n ENDs; keep: a permanent chip's early END, which keeps its pack
// held and fails with ErrEarlyEnd for its supervisor to restart it.
func (r *runner[In, Out, S]) endSync(res *Result, in hints.Hint, n int) (keep bool) {
	if r.earlyEnd(in) {
		res.Err = ErrEarlyEnd
		return true
	}
	res.Wake |= WakeNext | WakePrev
	res.Err = r.pushEnd(n)
	res.Ended = res.Err == nil
	return false
}

// span processes up to calls packs straight from the prev pend's ring into
// the next pend's, with one Drop and one Commit for the run: the same process
// calls, in the same order, as the loop in runSync, minus its per-pack
// bookkeeping. It returns done when runSync must return res, and the limit
// checks still free. It stops early when the prev pend's contiguous run ends;
// a REDO in progress when the output slots run out becomes the held pack.
func (r *runner[In, Out, S]) span(res *Result, calls int, held *hints.Pack[In], hasHeld *bool) (done bool, free int) {
	in := r.prev.Span(calls)
	if len(in) == 0 {
		return false, calls
	}
	out := r.next.Slots(len(in))
	n, m, hits := 0, 0, 0 // inputs used, outputs written, process calls
	run, running := r.cfg.Run, false
	defer func() {
		if running { // Run panicked in a call it had not counted
			n, m, hits = r.pos.N, r.pos.M, hits+r.pos.Calls+1
		}
		// Runs on a panic too, so the pends stay consistent for Describe.
		r.prev.Drop(n)
		if err := r.next.Commit(m); err != nil && res.Err == nil {
			res.Err, done = err, true
		}
		res.Hits += hits
		res.Out += m
		if m > 0 {
			res.Wake |= WakeNext
		}
		if n > 0 {
			res.Wake |= WakePrev
		}
		free = calls - hits
	}()
	process, ctx, state := r.cfg.Process, r.callCtx(), &r.state
	for hits < calls && n < len(in) && m < len(out) {
		var o hints.Pack[Out]
		var err error
		made := false
		if run != nil {
			r.pos, running = RunPos{N: n, M: m, Max: calls - hits}, true
			o, made, err = run(ctx, in, out, &r.pos, state)
			running = false
			n, m, hits = r.pos.N, r.pos.M, hits+r.pos.Calls
			if !made && (hits == calls || n == len(in) || m == len(out)) {
				break
			}
			// Otherwise span applies the outcome of a call Run made, or in[n]
			// is for Process: one call below, then Run again.
		}
		hits++
		if !made {
			o, err = process(ctx, in[n], state)
		}
		if err != nil {
			stop := r.spanFailed(res, err, in[n], held, hasHeld)
			n++
			if stop {
				return true, 0
			}
			continue // the pack went to the dead-letter pend
		}
		switch o.Hint {
		case hints.None:
			out[m] = o
			m++
			n++
		case hints.Skip:
			n++
		case hints.Redo:
			o.Hint = hints.None
			out[m] = o
			m++
			if m == len(out) || hits == calls {
				*held, *hasHeld = in[n], true // the REDO goes on from the held pack
				n++
				return false, 0
			}
		case hints.End:
			if r.earlyEnd(in[n].Hint) {
				*held, *hasHeld = in[n], true
				n++
				res.Err = ErrEarlyEnd
				return true, 0
			}
			n++
			err := r.next.Commit(m)
			res.Out += m
			m = 0
			if err == nil {
				err = r.pushEnd(o.Ends())
			}
			if err != nil {
				res.Err = err
			}
			res.Wake |= WakeNext | WakePrev
			res.Ended = res.Err == nil
			return true, 0
		default:
			*held, *hasHeld = in[n], true
			n++
			res.Err = fmt.Errorf("process returned unknown hint %v", o.Hint)
			return true, 0
		}
	}
	return false, 0
}

// spanFailed handles span's failed call on pk: false when the error policy
// sent pk to the dead-letter pend (span goes on), true when span must
// return with pk as the held pack (a retry waits for its timer, or the chip
// fails with res.Err).
func (r *runner[In, Out, S]) spanFailed(res *Result, err error, pk hints.Pack[In], held *hints.Pack[In], hasHeld *bool) bool {
	err = r.timedOut(err)
	if r.cfg.Fail != nil {
		r.attempts = 0
		if !r.failedSync(res, err, pk) {
			return false
		}
	} else {
		res.Err = err
	}
	*held, *hasHeld = pk, true
	return true
}

// process runs Process over the inputs of a batch before end, on a worker
// goroutine.
func (r *runner[In, Out, S]) process(b *batch[In, Out], end int) {
	defer func() {
		if v := recover(); v != nil {
			b.err = panicError(v)
		}
	}()
	attempts, first := b.attempts, b.first // a retried pack's earlier calls
	for b.rest < end {
		if r.cfg.Pace != nil && !r.sleep(r.cfg.Pace()) {
			b.err = r.ctx.Err()
			return
		}
		out, err := r.cfg.Process(r.ctx, b.in[b.rest], &r.state)
		if err != nil {
			if r.cfg.Fail == nil {
				b.err = err
				return
			}
			if attempts++; attempts == 1 {
				first = time.Now()
			}
			if r.failedAsync(b, err, attempts, first) {
				continue // the same input again
			}
			if b.err != nil || b.retry {
				return
			}
			attempts = 0 // a dead letter: b.rest moved on
			continue
		}
		switch out.Hint {
		case hints.None:
			b.out = append(b.out, out)
		case hints.Skip:
		case hints.Redo:
			out.Hint = hints.None
			b.out = append(b.out, out)
			if len(b.out) >= b.outMax && !r.async.ordered {
				b.redo = true
				return
			}
			continue // the same input again
		case hints.End:
			if r.earlyEnd(b.in[b.rest].Hint) {
				b.err = ErrEarlyEnd
				return
			}
			b.out = append(b.out, out)
			b.ended = true
			b.rest++
			return
		default:
			b.err = fmt.Errorf("process returned unknown hint %v", out.Hint)
			return
		}
		b.rest++
		attempts = 0
	}
}

// processReady runs Process over a batch of an input chip with Ready: the
// first call (the batch was handed out for it), then as many as Ready says
// are in hand, and hands the batch over as soon as the next call would wait.
func (r *runner[In, Out, S]) processReady(b *batch[In, Out]) {
	end := b.rest + 1
	for {
		r.process(b, end)
		if b.err != nil || b.ended || b.redo || b.rest == len(b.in) {
			return
		}
		n := 0
		if !r.async.stop.Load() {
			n = r.readyGuarded(b)
		}
		if n <= 0 {
			b.short = true // hand over what is made before the chip waits
			return
		}
		end = b.rest + min(n, len(b.in)-b.rest)
	}
}

// readyGuarded calls Ready; a panic there is the batch's error.
func (r *runner[In, Out, S]) readyGuarded(b *batch[In, Out]) (n int) {
	defer func() {
		if v := recover(); v != nil {
			b.err = panicError(v)
		}
	}()
	return r.cfg.Ready(&r.state)
}

// timeUp is called when a Timer chip finds no input. It asks the Timer: time
// is up now (the chip then gets a Skip pack), or a wait, which it asks the
// scheduler to time when the deadline is new. Nothing is kept from one call
// to the next but the armed deadline, so a deadline never goes stale.
func (r *runner[In, Out, S]) timeUp(res *Result) bool {
	wait, ok := r.cfg.Timer(&r.state)
	switch {
	case !ok:
		r.deadline = time.Time{}
		return false
	case wait <= 0:
		r.deadline = time.Time{}
		return true
	}
	if at := time.Now().Add(wait); !at.Equal(r.deadline) {
		r.deadline = at
		res.After = wait // a new deadline: the scheduler (re)arms its timer
	}
	return false
}

// pushEnd pushes one END pack that stands for n ENDs and marks the chip
// ended.
func (r *runner[In, Out, S]) pushEnd(n int) error {
	r.ended = true
	if err := r.EndDead(); err != nil {
		return err
	}
	return r.next.Push(hints.EndOf[Out](n))
}

// Tell implements [Runner].
func (r *runner[In, Out, S]) Tell(err error, withHeld bool) (perr error) {
	if r.cfg.OnError == nil {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			perr = panicError(v)
		}
	}()
	var held *hints.Pack[In]
	if withHeld && r.hasHeld && r.async == nil {
		h := r.held
		held = &h
	}
	r.cfg.OnError(err, held, &r.state)
	return nil
}

// Busy implements [Runner].
func (r *runner[In, Out, S]) Busy() bool {
	return r.async != nil && (r.async.inflight > 0 || len(r.async.parked) > 0 || r.async.pendingRetries() > 0)
}

// Close implements [Runner].
// A Describe hook's panic that no Run has returned yet is returned too.
func (r *runner[In, Out, S]) Close() (perr error) {
	if r.budget != nil {
		r.budget.Stop()
	}
	defer r.cancel()
	defer func() {
		if pe := r.hookPanic.Swap(nil); pe != nil {
			perr = errors.Join(perr, fmt.Errorf("Describe hook: %w", pe))
		}
	}()
	if r.cfg.Close == nil {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			perr = panicError(v)
		}
	}()
	r.cfg.Close(&r.state)
	return nil
}

// Halt implements [Runner].
func (r *runner[In, Out, S]) Halt() (bool, error) {
	if r.async == nil {
		return true, nil
	}
	for seq, b := range r.async.parked { // outputs that will never be pushed
		delete(r.async.parked, seq)
		r.next.Release(b.units)
		r.async.recycle(b)
	}
	return r.async.halt()
}

// Describe implements [Runner].
func (r *runner[In, Out, S]) Describe() (running, note string) {
	switch {
	case r.ended:
		running = "END"
	case r.async != nil && r.async.inflight > 0:
		running = fmt.Sprintf("RUN x%d", r.async.inflightPacks)
	case r.hasHeld && !r.until.IsZero():
		running = r.held.String() + "|WAIT" // a retry's backoff or a rate limit
	case r.hasHeld:
		running = r.held.String() + "|IDLE"
	}
	if r.async != nil && !r.ended {
		if n := r.async.pendingRetries(); n > 0 {
			running = strings.TrimSpace(running + fmt.Sprintf(" WAIT x%d", n)) // packs backing off
		}
	}
	if r.cfg.Describe != nil && (r.async == nil || r.async.inflight == 0) {
		func() {
			defer func() {
				if v := recover(); v != nil {
					note = fmt.Sprintf("[Describe panicked: %s]", OneLine(fmt.Sprint(v)))
					r.hookPanic.CompareAndSwap(nil, NewPanicError(v))
				}
			}()
			note = r.cfg.Describe(&r.state)
		}()
	}
	return running, note
}
