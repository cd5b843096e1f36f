package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
)

// Cast and call: functions run on a running chip's state between two of its
// process calls, as in the ultravisor design. Any goroutine queues them
// (Cast, Call) in the runlet's inbox and posts mailCast; the scheduler moves
// them to the chip's queue (takeCasts) and runs them when it next runs the
// chip (runCasts, called by runChip before the chip's burst): on its own
// goroutine, before the burst of a sync chip; for an async chip only when
// none of its batches is out, handing out no new batch until they have run.
// So a chip's state is never touched by a cast while a process call runs on
// it, without a lock on the hot path: runChip pays one integer test.

var (
	// ErrRestarted is matched (errors.Is) by the error of a Call that was
	// pending when its chip was restarted: the function never ran (on the
	// old state nor on the new one). A Cast pending then is dropped and
	// counted in the chip's snapshot (CastsDropped). It is also the cause a
	// chip stopped for a sibling's restart is given (its state hook's).
	ErrRestarted = errors.New("runlet: chip restarted")
	// ErrChipEnded is matched by the error of a Call to a chip that has
	// ended (it returned END, was ended because nobody reads its output, or
	// the runlet stopped): its state is gone, the function never ran.
	ErrChipEnded = errors.New("runlet: chip has ended")
	// ErrStopped is matched by the error of a Cast or Call to a runlet that
	// has stopped, and of a Call still pending when it stopped.
	ErrStopped = errors.New("runlet: runlet has stopped")
)

// CastError is the error of a Cast or Call that did not run its function:
// Op is "cast" or "call", Chip the chip's key, Err why (an error matching
// ErrRestarted, ErrChipEnded or ErrStopped, a ctx's error, or what is wrong
// with the request). errors.Is and errors.As reach Err.
//
// It is immutable once made and safe to read from any goroutine; the zero
// value names no chip and wraps nil.
type CastError struct {
	Op   string
	Chip string
	Err  error
}

func (e *CastError) Error() string {
	return fmt.Sprintf("runlet: %s to chip %q: %s", e.Op, e.Chip, strings.TrimPrefix(fmt.Sprint(e.Err), "runlet: "))
}

func (e *CastError) Unwrap() error { return e.Err }

// StateTyper is the optional method set of a [Chip] whose runner holds a
// state that Cast and Call may reach: StateType is the state's type (the S
// of chip.Config). Package chip's chips have it; a chip without it takes no
// cast.
type StateTyper interface {
	StateType() reflect.Type
}

// castable is what runCasts needs of a runner: a pointer to its state (a
// *S in an any, which boxes nothing) and whether no process call is in
// flight on it. *runner has it; a runner without it takes no cast.
type castable interface {
	castState() any
	castQuiet() bool
}

func (r *runner[In, Out, S]) castState() any { return &r.state }

func (r *runner[In, Out, S]) castQuiet() bool { return r.async == nil || r.async.inflight == 0 }

// A castReq is one Cast or Call. A Call's claim decides, once, who has it:
// the scheduler (to run or fail it) or the caller whose ctx ended.
type castReq struct {
	slot  int32
	fn    func(state any) (any, error)
	call  bool
	claim atomic.Int32    // Call only: claimQueued, then claimTaken or claimGivenUp
	done  chan castResult // Call only: buffered, receives the one result
}

const (
	claimQueued int32 = iota
	claimTaken
	claimGivenUp
)

type castResult struct {
	v   any
	err error
}

// casts is the runlet's part for Cast and Call.
type casts struct {
	castMu   sync.Mutex
	castIn   []*castReq // posted, not yet taken by the scheduler; protected by castMu
	castShut bool       // the runlet has settled: requests fail at once; protected by castMu

	castKeysOnce sync.Once
	castKeys     []string // the chips' keys, by slot

	// Owned by the scheduler (the holder of g.mu).
	castQueue  [][]*castReq // by slot; allocated at the first take
	castQueued int          // requests in castQueue, so that runChip tests one integer
	castDrops  []uint64     // casts dropped, by slot (ChipSnapshot.CastsDropped)
}

// keys returns the chips' keys, by slot (chip order), read once: New's
// chips are never changed afterwards.
func (r *Runlet) keys() []string {
	r.castKeysOnce.Do(func() {
		r.castKeys = make([]string, len(r.chips))
		for i, c := range r.chips {
			r.castKeys[i] = c.Spec().Key
		}
	})
	return r.castKeys
}

// castSlot finds chip key and checks that its state is of type state.
func (r *Runlet) castSlot(op, key string, state reflect.Type) (int32, error) {
	keys := r.keys()
	for i, k := range keys {
		if k != key {
			continue
		}
		st, ok := r.chips[i].(StateTyper)
		if !ok {
			return 0, &CastError{Op: op, Chip: key, Err: fmt.Errorf("chip (%T) has no state to %s to", r.chips[i], op)}
		}
		if t := st.StateType(); t != state {
			return 0, &CastError{Op: op, Chip: key, Err: fmt.Errorf("state type mismatch: the chip's state is %v, the function takes *%v", t, state)}
		}
		return int32(i), nil
	}
	return 0, &CastError{Op: op, Chip: key, Err: fmt.Errorf("no chip %q in the runlet%s", key, didYouMean(key, keys))}
}

// Cast queues fn to run on chip key's state (a pointer to it, as an any
// holding a *S of type state) between two of its process calls, and returns
// at once. It returns an error, and queues nothing, when no chip has that
// key, the chip's state is not of type state, or the runlet has stopped.
// A cast that finds its chip ended or restarted is dropped and counted.
// Casts to one chip run in the order they were queued. See casts for where
// fn runs; a panic in fn is the chip's error.
func (r *Runlet) Cast(key string, state reflect.Type, fn func(state any)) error {
	i, err := r.castSlot("cast", key, state)
	if err != nil {
		return err
	}
	req := &castReq{slot: i, fn: func(s any) (any, error) { fn(s); return nil, nil }}
	return r.queueCast("cast", key, req)
}

// Call queues fn like Cast and waits for its result, or for ctx. If ctx ends
// before fn has started, fn never runs and Call returns ctx's error (in a
// [*CastError]); once fn has started, Call waits for it. A Call pending when
// its chip ends, restarts or the runlet stops fails with an error matching
// ErrChipEnded, ErrRestarted or ErrStopped. A panic in fn is the chip's
// error, and Call's.
//
// Call must not be made on the scheduler's goroutine (from a sync chip's
// process or from a cast's function): it would wait for itself. Cast may.
func (r *Runlet) Call(ctx context.Context, key string, state reflect.Type, fn func(state any) (any, error)) (any, error) {
	i, err := r.castSlot("call", key, state)
	if err != nil {
		return nil, err
	}
	req := &castReq{slot: i, fn: fn, call: true, done: make(chan castResult, 1)}
	if err := r.queueCast("call", key, req); err != nil {
		return nil, err
	}
	select {
	case res := <-req.done:
		return res.v, res.err
	case <-ctx.Done():
		if req.claim.CompareAndSwap(claimQueued, claimGivenUp) {
			return nil, &CastError{Op: "call", Chip: key, Err: context.Cause(ctx)}
		}
		res := <-req.done // running or failed: its result is on its way
		return res.v, res.err
	}
}

// queueCast puts req in the inbox and tells the scheduler.
func (r *Runlet) queueCast(op, key string, req *castReq) error {
	r.castMu.Lock()
	if r.castShut {
		r.castMu.Unlock()
		return &CastError{Op: op, Chip: key, Err: ErrStopped}
	}
	r.castIn = append(r.castIn, req)
	r.castMu.Unlock()
	r.post(mail{kind: mailCast})
	return nil
}

// takeCasts moves posted requests to their chips' queues and queues those
// chips to run first. Before Attach there are no slots: the requests wait
// in the inbox for the trigger after Attach.
func (r *Runlet) takeCasts() {
	if !r.attached {
		return
	}
	r.castMu.Lock()
	in := r.castIn
	r.castIn = nil
	r.castMu.Unlock()
	if len(in) == 0 {
		return
	}
	if r.castQueue == nil {
		r.castQueue = make([][]*castReq, len(r.slots))
		r.castDrops = make([]uint64, len(r.slots))
	}
	for _, req := range in {
		r.castQueue[req.slot] = append(r.castQueue[req.slot], req)
		r.castQueued++
		if !r.stopping {
			r.fast.pushFront(req.slot)
		}
	}
}

// runCasts runs chip i's queued casts and calls if no process call is in
// flight on it, or fails them if it has ended. It reports whether some still
// wait (an async chip with batches out): runChip then collects finished
// work only, and hands out no new batch until they have run. A panic in a
// function fails the chip (r.stopping is then set).
func (r *Runlet) runCasts(i int32) (waiting bool) {
	q := r.castQueue[i]
	if len(q) == 0 {
		return false
	}
	s := &r.slots[i]
	if s.ended {
		r.failCalls(int(i), ErrChipEnded)
		return false
	}
	c, ok := s.run.(castable)
	if !ok {
		r.failCalls(int(i), fmt.Errorf("chip (%T) has no state", s.run))
		return false
	}
	if !c.castQuiet() {
		return true
	}
	for len(r.castQueue[i]) > 0 {
		req := r.castQueue[i][0]
		r.castQueue[i] = r.castQueue[i][1:]
		r.castQueued--
		if req.call && !req.claim.CompareAndSwap(claimQueued, claimTaken) {
			continue // its caller gave up
		}
		v, err, perr := runCastFn(req.fn, c.castState())
		if req.call {
			req.done <- castResult{v: v, err: err}
		}
		if perr != nil {
			r.fail(i, perr)
			return false
		}
	}
	r.castQueue[i] = nil
	return false
}

// runCastFn calls fn; a panic is returned as perr (the chip's error) and err
// (the call's).
func runCastFn(fn func(any) (any, error), state any) (v any, err, perr error) {
	defer func() {
		if p := recover(); p != nil {
			perr = fmt.Errorf("cast or call: %w", panicError(p))
			v, err = nil, perr
		}
	}()
	v, err = fn(state)
	return v, err, nil
}

// failCalls fails every Call pending on chip slot with err (in a
// [*CastError]; ErrRestarted when the chip restarts) and drops its Casts,
// counting them in the chip's snapshot. A supervisor calls it when it
// restarts the chip, before the fresh state is made: no pending function
// runs on either state. Only the holder of mu calls it.
func (r *Runlet) failCalls(slot int, err error) {
	r.takeCasts() // requests posted before now are pending too
	if r.castQueue == nil {
		return
	}
	key := r.slots[slot].key
	for _, req := range r.castQueue[slot] {
		r.castQueued--
		if !req.call {
			r.castDrops[slot]++
			continue
		}
		if req.claim.CompareAndSwap(claimQueued, claimTaken) {
			req.done <- castResult{err: &CastError{Op: "call", Chip: key, Err: err}}
		}
	}
	r.castQueue[slot] = nil
}

// shutCasts fails every request left, and every later one at once, as the
// runlet settles. Only the holder of mu calls it.
func (r *Runlet) shutCasts() {
	r.castMu.Lock()
	r.castShut = true
	in := r.castIn
	r.castIn = nil
	r.castMu.Unlock()
	for _, req := range in { // posted after the last takeCasts, or before Attach
		if !req.call {
			if r.castDrops != nil {
				r.castDrops[req.slot]++
			}
			continue
		}
		if req.claim.CompareAndSwap(claimQueued, claimTaken) {
			req.done <- castResult{err: &CastError{Op: "call", Chip: r.keys()[req.slot], Err: ErrStopped}}
		}
	}
	for i := range r.castQueue {
		r.failCalls(i, ErrStopped)
	}
}

// castAgain queues chip i to run again after a burst that collected only
// because casts wait for its batches: once none is out (or it has ended),
// no worker's Wake would bring it back.
func (r *Runlet) castAgain(i int32, res Result) {
	if c, ok := r.slots[i].run.(castable); res.Ended || (ok && c.castQuiet()) {
		r.fast.pushFront(i)
	}
}

// castsDropped returns the casts dropped on chip i, for its snapshot.
func (r *Runlet) castsDropped(i int) uint64 {
	if r.castDrops == nil {
		return 0
	}
	return r.castDrops[i]
}
