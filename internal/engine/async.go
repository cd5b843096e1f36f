package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/btree"
	"github.com/runlet/runlet/hints"
)

// MaxBatch is the most packs an async chip hands a worker at once.
//
// Handing one pack at a time to a worker costs a channel operation and a
// goroutine wake-up per pack, which for microsecond work items costs more
// than the work (worker pools fed one item at a time run no faster than one
// core). A pend already holds a batch, so an async chip hands out slices of
// it: min(MaxBatch, packs available / workers, room in the next pend).
const MaxBatch = 256

// batchWork is about how long one batch should take. Work that blocks (I/O,
// sleeps) is then handed out one pack at a time, so every worker has its
// own, while microsecond work goes in batches large enough that the hand-off
// costs a few percent of it. The cost per pack is measured as batches finish.
const batchWork = 100 * time.Microsecond

// batch is a unit of work for one worker: inputs in, outputs out. It is
// owned by the scheduler until sent on jobs, then by one worker until it is
// appended to done.
type batch[In, Out any] struct {
	in    []hints.Pack[In]
	out   []hints.Pack[Out]
	seq   uint64        // hand-out order, for Ordered chips
	took  time.Duration // how long the worker spent on it
	units int           // what the outputs count in the next pend while parked
	rest  int           // first input not finished; inputs from here on go back
	redo  bool          // in[rest] is in the middle of a REDO run
	// outMax is how many outputs a REDO run may bring the batch to before
	// it is cut: the batch's share of the next pend's room when it was
	// handed out (at least its inputs).
	outMax int
	expect int   // packs counted with Pend.Expect for this batch
	ended  bool  // the last output is END
	short  bool  // an input chip's Ready said it would wait: inputs from rest on are unused placeholders
	err    error // the first error, if any
	// The error policy's (policy.go): dead letters made on the worker, and
	// an unordered chip's retry of in[rest] (retry), due at retryAt. A
	// batch handed out for a retry holds that one pack, with attempts and
	// first from its earlier calls.
	dead     []DeadLetter[In]
	retry    bool
	retryAt  time.Time
	attempts int
	first    time.Time
}

// async is the part of a runner that only async chips have.
//
// High level idea: the scheduler pulls a slice of packs from the prev pend
// into a batch and sends it to the chip's workers on jobs (one channel send
// per batch). A worker runs Process over the batch, appends it to done under
// mu and calls Host.Wake (one lock and one wake per batch). The scheduler
// then collects done batches in Run: pushes their outputs and hands out more.
type async[In, Out any] struct {
	n    int // workers, the most Process calls in flight
	jobs chan *batch[In, Out]
	stop atomic.Bool // set by halt; workers then skip queued batches

	mu   sync.Mutex
	done []*batch[In, Out] // finished batches; protected by mu

	// Owned by the scheduler.
	spare         []*batch[In, Out] // the other half of done, swapped in collect
	free          []*batch[In, Out] // batches to reuse
	started       bool
	closed        bool
	perPack       time.Duration    // moving average of the work per pack; 0 until measured
	inflight      int              // batches out
	inflightPacks int              // input packs in those batches
	held          []hints.Pack[In] // pulled packs to hand out before the prev pend's
	endPending    int              // END packs to push once nothing is in flight
	giveBack      []hints.Pack[In] // unused inputs of an ended chip, back to prev at END
	failed        bool             // an error was returned; later ones are late
	fanOut        bool             // a batch made more outputs than inputs (REDO)
	// next, when set, counts the packs in flight with Pend.Expect, so that
	// its Room accounts for them, and for other producers' in the pool.
	// Nil when the next pend cannot (a view, a byte pool, the IO output):
	// the chip then takes its own packs in flight off the room.
	next *Pend[Out]

	// A restart's (supervise_runner.go): batches that finished after the
	// chip failed, and the failed batch's inputs from its failed pack on.
	kept           []*batch[In, Out]
	failedRest     []hints.Pack[In]
	failedAttempts int

	// Unordered chips with more workers and a retry policy only: packs
	// waiting for their retry, by deadline, and those now due, handed out
	// before any other.
	retries  *btree.BTreeG[retryItem[In]]
	retrySeq uint64
	due      []retryItem[In]

	// Ordered chips only.
	ordered bool
	seq     uint64                     // the next batch's seq
	want    uint64                     // the seq to push next
	parked  map[uint64]*batch[In, Out] // finished out of turn
	cut     bool                       // a pushed batch ended the chip: later outputs are dropped, inputs given back
}

func newAsync[In, Out any](n int, ordered bool) *async[In, Out] {
	a := &async[In, Out]{n: n, jobs: make(chan *batch[In, Out], n), ordered: ordered}
	if ordered {
		a.parked = map[uint64]*batch[In, Out]{}
	}
	return a
}

// runGuarded is runAsync with a recover. runAsync runs on the scheduler's
// goroutine, so a panic in what a push calls (a custom view, say) becomes
// the chip's error here rather than the scheduler's.
func (r *runner[In, Out, S]) runGuarded(budget int) (res Result) {
	defer r.async.recoverInto(&res)
	return r.runAsync(budget)
}

// runAsync collects finished batches, then hands out new ones.
func (r *runner[In, Out, S]) runAsync(budget int) (res Result) {
	a := r.async
	r.collect(&res)
	if res.Err != nil || res.Ended || r.ended {
		return res
	}
	if a.retries != nil {
		r.dueRetries(&res)
	}
	if budget == 0 {
		return res
	}
	// Once an END is pending, only held packs (the rest of a REDO run and the
	// inputs after it) are still handed out: they were pulled before the END
	// and must not be lost.
	for a.inflight < a.n && (a.endPending == 0 || len(a.held) > 0) {
		size, share, wait := r.batchSize()
		if wait != NoWait {
			res.Wait = wait
			return res
		}
		b := r.fill(size)
		if b == nil {
			if a.inflight > 0 {
				res.Wait = WaitBusy // an END waits until nothing is in flight
			} else {
				// Nothing usable after all (a view's Len may count an END
				// that its Peek swallows): wait for input, or nobody wakes us.
				res.Wait = WaitPrev
			}
			return res
		}
		res.Hits += len(b.in)
		res.Wake |= WakePrev
		r.dispatch(b, share)
	}
	if res.Hits == 0 {
		res.Wait = WaitBusy
	}
	return res
}

// batchSize says how many packs the next batch may take, and the share of
// the next pend's room per idle worker; or why no batch can go out now.
func (r *runner[In, Out, S]) batchSize() (size, share int, wait Wait) {
	a := r.async
	if r.next.Limited() {
		return 0, 0, WaitNext
	}
	avail := len(a.held) + len(a.due)
	if a.endPending == 0 {
		avail += min(r.prev.Len(), MaxBatch*a.n) // the IO input pend is endless
	}
	if avail == 0 {
		return 0, 0, WaitPrev
	}
	// A fair share per worker: dividing by the idle workers instead
	// would let the first worker to free up take everything and run it
	// alone while the others wait (fatal for blocking work).
	size = min(a.maxBatch(), (avail+a.n-1)/a.n)
	if r.prev.Len() == Unlimited {
		// An async input chip waits on the world (a channel, a reader)
		// for its values: a batch would hold early values back until the
		// batch is full, so each call is its own batch, unless the chip
		// says (Func.Ready) when its next call would wait and the batch
		// is handed over then. Such a batch never waits with values in
		// it, so its length need not be bounded by the work measured.
		//
		// A batch counts its size against the next pend's room (Expect)
		// while out, so a chip that has nothing in hand gets one call: a
		// source waiting on the world does not hold the pool's
		// room from other producers. The state is the scheduler's while no
		// batch is out.
		size = 1
		if r.cfg.Ready != nil && a.inflight == 0 && r.cfg.Ready(&r.state) > 0 {
			size = MaxBatch
		}
	}
	// Batches grow past one pack only as far as the next pend has room
	// left after the work in flight, shared among the idle workers so
	// that one big batch does not leave the others idle. Past the room,
	// as N single-pack chips would, each worker may still take one pack, as
	// long as fewer packs than workers are in flight: so the next pend never
	// gets more than its room plus one pack per worker.
	room := r.next.Room()
	if a.next == nil {
		room -= a.inflightPacks
	}
	share = max(room/(a.n-a.inflight), 1)
	if room < size {
		if room <= 0 && a.inflightPacks >= a.n {
			return 0, 0, WaitBusy // a finishing batch wakes us
		}
		size = share
	}
	return size, share, NoWait
}

// dispatch hands batch b to the workers, starting them on the first batch.
func (r *runner[In, Out, S]) dispatch(b *batch[In, Out], share int) {
	a := r.async
	if !a.started {
		a.started = true
		for range a.n {
			r.host.Go(r.work)
		}
	}
	// Every batch expects (Pend.Expect) as many outputs as it may
	// make, so that later batches and other producers see the room it
	// will take. Until the chip is seen to fan out, that is one output
	// per input, and a REDO run is cut there; from then on a run may
	// grow to the batch's share of the room, so that the workers' runs
	// together stay within it.
	b.outMax = len(b.in)
	if a.fanOut {
		b.outMax = min(max(share, len(b.in)), maxRedoOut)
	}
	b.expect = b.outMax
	a.inflight++
	a.inflightPacks += len(b.in)
	if a.next != nil {
		a.next.Expect(b.expect)
	}
	b.seq = a.seq
	a.seq++
	a.jobs <- b // never blocks: at most n batches are out and jobs holds n
}

// recoverInto, deferred, turns a panic into res's error and marks the chip
// failed.
func (a *async[In, Out]) recoverInto(res *Result) {
	if v := recover(); v != nil {
		res.Err = panicError(v)
		a.failed = true
	}
}

// fill takes up to size packs, held ones first. An END pack is handed out
// alone and only when nothing else is in flight, so every output of the
// packs before it is pushed before the END. It returns nil if nothing could
// be taken.
func (r *runner[In, Out, S]) fill(size int) *batch[In, Out] {
	a := r.async
	b := a.batch()
	if len(a.due) > 0 && size > 0 { // a retry due: alone, first
		it := a.due[0]
		a.due[0] = retryItem[In]{}
		a.due = a.due[1:]
		b.in = append(b.in, it.pk)
		b.attempts, b.first = it.attempts, it.first
		return b
	}
	for len(b.in) < size && len(a.held) > 0 { // rare: the rest of a REDO run
		pk := a.held[0]
		if pk.Hint == hints.End && (len(b.in) > 0 || a.inflight > 0 || a.pendingRetries() > 0) {
			break
		}
		a.held = a.held[1:]
		b.in = append(b.in, pk)
		if pk.Hint == hints.End {
			break
		}
	}
	for len(a.held) == 0 && a.endPending == 0 && len(b.in) < size {
		span := r.prev.Span(size - len(b.in))
		if len(span) == 0 {
			break
		}
		k := 0 // packs before an END
		for k < len(span) && span[k].Hint != hints.End {
			k++
		}
		if k == 0 { // an END at the head: alone, and only when nothing is in flight
			if len(b.in) == 0 && a.inflight == 0 && a.pendingRetries() == 0 {
				b.in = append(b.in, span[0])
				r.prev.Drop(1)
			}
			break
		}
		b.in = append(b.in, span[:k]...)
		r.prev.Drop(k)
		if k < len(span) {
			break
		}
	}
	if len(b.in) == 0 {
		a.free = append(a.free, b)
		return nil
	}
	return b
}

// maxBatch caps a batch at about batchWork of measured work.
func (a *async[In, Out]) maxBatch() int {
	if a.perPack <= 0 {
		return MaxBatch
	}
	return max(1, min(MaxBatch, int(batchWork/a.perPack)))
}

// measure folds a finished batch's time per pack into the moving average.
func (a *async[In, Out]) measure(b *batch[In, Out]) {
	if len(b.in) == 0 || b.took <= 0 {
		return
	}
	per := b.took / time.Duration(len(b.in))
	if a.perPack == 0 {
		a.perPack = per
	} else {
		a.perPack += (per - a.perPack) / 8
	}
}

// batch returns an empty batch, reused when one is free.
func (a *async[In, Out]) batch() *batch[In, Out] {
	if n := len(a.free); n > 0 {
		b := a.free[n-1]
		a.free = a.free[:n-1]
		return b
	}
	return &batch[In, Out]{in: make([]hints.Pack[In], 0, 16), out: make([]hints.Pack[Out], 0, 16)}
}

// recycle makes b reusable.
func (a *async[In, Out]) recycle(b *batch[In, Out]) {
	clear(b.in)
	clear(b.out)
	clear(b.dead)
	*b = batch[In, Out]{in: b.in[:0], out: b.out[:0], dead: b.dead[:0]} // seq, units, rest, flags reset
	a.free = append(a.free, b)
}

// take swaps out the finished batches.
func (a *async[In, Out]) take() []*batch[In, Out] {
	a.mu.Lock()
	done := a.done
	a.done = a.spare[:0]
	a.mu.Unlock()
	a.spare = done
	return done
}

// collect pushes the outputs of finished batches: in the order they
// finished, or for an Ordered chip in the order they were handed out.
func (r *runner[In, Out, S]) collect(res *Result) {
	a := r.async
	for _, b := range a.take() {
		a.settle(b)
		a.measure(b)
		res.Work += b.took
		res.WorkCalls += max(b.rest, 1)
		if res.Err != nil || a.failed {
			if !r.keepLate(b) {
				a.recycle(b)
			}
			continue
		}
		if !a.ordered {
			r.absorbGuarded(b, res)
			a.recycle(b)
			continue
		}
		for _, out := range b.out {
			b.units += r.next.Units(out.Value)
		}
		r.next.Reserve(b.units) // parked outputs press on the limits
		a.parked[b.seq] = b
		for res.Err == nil {
			p, ok := a.parked[a.want]
			if !ok {
				break
			}
			delete(a.parked, a.want)
			a.want++
			r.next.Release(p.units)
			if a.cut { // the chip ended before these inputs, in input order
				a.giveBack = append(a.giveBack, p.in...)
			} else {
				r.absorbGuarded(p, res)
				a.cut = a.endPending > 0
			}
			a.recycle(p)
		}
	}
	if res.Err == nil && a.endPending > 0 && a.inflight == 0 && len(a.parked) == 0 && len(a.held) == 0 {
		r.giveBackRetries()
		// Inputs the chip never used go back to the front of the prev pend,
		// in order, for whoever else reads it.
		for i := len(a.giveBack) - 1; i >= 0; i-- {
			if pk := a.giveBack[i]; pk.Hint != hints.Skip {
				if err := r.prev.PushFront(pk); err != nil {
					res.Err = err
				}
			}
		}
		a.giveBack = a.giveBack[:0]
		n := a.endPending
		a.endPending = 0
		res.Wake |= WakeNext | WakePrev
		if res.Err == nil {
			res.Err = r.pushEnd(n)
		}
		res.Ended = res.Err == nil
	}
	if res.Err != nil {
		a.failed = true
	}
}

// absorbGuarded is absorb with a recover: a push may call user code (a
// view's clone or key function, a view of the user's own), and a panic there
// must become the chip's error without losing the other finished batches
// that collect took, which still have to be settled.
func (r *runner[In, Out, S]) absorbGuarded(b *batch[In, Out], res *Result) {
	defer func() {
		if v := recover(); v != nil {
			res.Err = panicError(v)
		}
	}()
	r.absorb(b, res)
}

// absorb pushes one finished batch's outputs and puts back unfinished inputs.
// Outputs are data packs, except a last END when the chip ended.
func (r *runner[In, Out, S]) absorb(b *batch[In, Out], res *Result) {
	a := r.async
	outs := b.out
	if n := len(outs); n > 0 && outs[n-1].Hint == hints.End {
		a.endPending = outs[n-1].Ends()
		outs = outs[:n-1]
	}
	for len(outs) > 0 {
		n := copy(r.next.Slots(len(outs)), outs)
		if err := r.next.Commit(n); err != nil {
			res.Err = err
			return
		}
		outs = outs[n:]
		res.Out += n
		res.Wake |= WakeNext
	}
	if len(b.dead) > 0 || b.retry {
		if err := r.absorbPolicy(b, res); err != nil {
			res.Err = err
			return
		}
	}
	if b.err != nil {
		res.Err = b.err
		r.keepFailed(b)
		return
	}
	rest := b.in[b.rest:]
	switch {
	case len(rest) == 0, b.short:
	case b.ended:
		// The chip ended before using these; they go back at the END.
		a.giveBack = append(a.giveBack, rest...)
	default:
		// A REDO run filled the batch's output: finish it (and the inputs
		// after it) first, in order.
		a.held = append(append(make([]hints.Pack[In], 0, len(rest)+len(a.held)), rest...), a.held...)
	}
}

// work is a worker goroutine: it runs batches until jobs is closed.
func (r *runner[In, Out, S]) work() {
	a := r.async
	for b := range a.jobs {
		if !a.stop.Load() {
			start := time.Now()
			if r.cfg.Ready != nil {
				r.processReady(b)
			} else {
				r.process(b, len(b.in))
			}
			b.took = time.Since(start)
		}
		a.mu.Lock()
		a.done = append(a.done, b)
		a.mu.Unlock()
		r.host.Wake()
	}
}

// maxRedoOut bounds the outputs one batch collects from REDO runs, so a 1:N
// chip cannot grow a batch without bound; the rest of the run continues in a
// later batch, after the next pend's limit is checked again. A batch stops
// sooner, at its share of the next pend's room when it was handed out
// (batch.outMax), so a 1:N chip keeps to the limit like a 1:1 one (a
// decompressor into a byte pool, whose Room is 1, pushes one chunk per
// batch). Unordered chips only: an Ordered chip never splits a REDO run
// across batches (the rest would come out after later inputs), so its 1:N
// runs are bounded by nothing but the run itself.
const maxRedoOut = 4 * MaxBatch

// settle counts finished batch b out of the work in flight.
func (a *async[In, Out]) settle(b *batch[In, Out]) {
	a.inflight--
	a.inflightPacks -= len(b.in)
	if a.next != nil {
		a.next.Expect(-b.expect)
	}
	if b.redo || len(b.out) > len(b.in) {
		a.fanOut = true
	}
}

// halt stops the workers and discards finished batches.
func (a *async[In, Out]) halt() (bool, error) {
	var late []error
	if !a.closed {
		a.closed = true
		a.stop.Store(true)
		close(a.jobs)
	}
	for _, b := range a.take() {
		a.settle(b)
		// Work that failed with context.Canceled after the stop failed
		// because of it: that is the stop working, not news.
		if b.err != nil && !errors.Is(b.err, context.Canceled) {
			late = append(late, b.err)
		}
		a.recycle(b)
	}
	return a.inflight == 0, joinLate(late)
}

func joinLate(errs []error) error { return errors.Join(errs...) }
