package engine

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/runlet/runlet/hints"
)

// The runner's side of a restart (see "Supervision" in supervise.go): what
// a retired runner gives back before the supervisor binds its chip again.
//
//   - The held pack of a sync chip (the one whose call failed, for the
//     failed chip) goes back to the front of its prev pend, so the new
//     runner calls it first (at-least-once); for the failed chip of an
//     at-most-once chip (Func.AtMostOnce) it goes to the dead-letter pend
//     with the error instead. A Skip tick (an input chip's, a Timer's) is
//     not a pack and is dropped.
//   - An async chip stops handing out work; its calls in flight get
//     Func.Shutdown to return, then their ctx is cancelled (reported as an
//     EventShutdown). Then the outputs of the batches that finished are
//     pushed (an Ordered chip's only up to the failed batch: the outputs of
//     later ones would overtake, so their inputs are re-offered whole), their
//     dead letters too, and every input not yet used (the failed batch's
//     rest, packs held for a REDO run, packs waiting for a retry) goes back
//     to the front of the prev pend, the failed pack first.
//   - The old state goes to Func.OnRestart if set; else, when the chip can
//     name the inputs it holds in its state (Func.Salvage: a Batch's partial
//     batch), those go to the dead-letter pend (with no dead-letter pend
//     they are dropped and reported as an EventStateLost, with their
//     number); else, when it has a state
//     factory or a Describe hook, the state is dropped and reported as an
//     EventStateLost with its Describe text, or its type (a Fold's
//     accumulator, whose inputs cannot be named; a SubRunlet's sub-runlet,
//     whose pends' packs are lost with it).

// DefaultShutdown is the shutdown budget of an async chip that sets none:
// how long its calls in flight get to return at a restart.
const DefaultShutdown = 5 * time.Second

// retire implements retirer.
func (r *runner[In, Out, S]) retire(cause error, failed, temporary bool) (bool, string, error) {
	var errs []error
	if r.async != nil {
		idle, err := r.retireAsync(cause, failed)
		if !idle {
			return false, "", err
		}
		errs = append(errs, err)
	} else if r.hasHeld {
		r.hasHeld = false
		errs = append(errs, r.giveBack([]hints.Pack[In]{r.held}, cause, failed, r.attempts))
	}
	lost, err := r.salvage(cause)
	return true, lost, errors.Join(append(errs, err)...)
}

// giveBack re-offers back (in order, at the front of the prev pend); the
// first is the failed pack when failed, which an at-most-once chip sends to
// its dead-letter pend instead.
func (r *runner[In, Out, S]) giveBack(back []hints.Pack[In], cause error, failed bool, attempts int) error {
	if failed && r.cfg.AtMostOnce && len(back) > 0 && back[0].Hint == hints.None {
		if err := r.dead(back[0], cause, max(attempts, 1)); err != nil {
			return err
		}
		back = back[1:]
	}
	if r.prev == nil || r.prev.mode == modeInput {
		return nil // an input chip's packs are ticks, or END served again
	}
	var errs []error
	for i := len(back) - 1; i >= 0; i-- {
		if pk := back[i]; pk.Hint != hints.Skip {
			errs = append(errs, r.prev.PushFront(pk))
		}
	}
	return errors.Join(errs...)
}

// salvage hands the old state to the hook, or its inputs to the
// dead-letter pend; lost names a state nothing took.
func (r *runner[In, Out, S]) salvage(cause error) (lost string, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("restart hook: %w", panicError(v))
		}
	}()
	switch {
	case r.cfg.OnRestart != nil:
		r.cfg.OnRestart(&r.state, cause)
	case r.cfg.Salvage != nil:
		vals := r.cfg.Salvage(&r.state)
		if len(vals) > 0 && r.dlq == nil {
			return fmt.Sprintf("%d inputs held in the state dropped: the chip has no dead-letter pend", len(vals)), nil
		}
		for _, v := range vals {
			if err := r.dead(hints.Pack[In]{Value: v}, fmt.Errorf("%w: held in the chip's state: %w", ErrRestarted, cause), 0); err != nil {
				return "", err
			}
		}
	case (r.cfg.State != nil || r.cfg.Describe != nil) && reflect.TypeFor[S]().Size() > 0:
		// Not read with reflection or fmt: a state may share fields with
		// goroutines of its own (a SubRunlet's); its Describe hook is
		// safe to call from any goroutine.
		lost = "state dropped (" + reflect.TypeFor[S]().String() + ")"
		if r.cfg.Describe != nil {
			lost = "state dropped: " + r.cfg.Describe(&r.state)
		}
	}
	return lost, nil
}

// retireAsync stops the workers; once none is in flight, it pushes what
// finished and gives back the rest (see above).
func (r *runner[In, Out, S]) retireAsync(cause error, failed bool) (bool, error) {
	a := r.async
	if !a.closed {
		a.closed = true
		a.stop.Store(true)
		close(a.jobs)
		if a.inflight > 0 {
			budget := r.cfg.Shutdown
			if budget <= 0 {
				budget = DefaultShutdown
			}
			r.budget = time.AfterFunc(budget, func() {
				r.overB.Store(true)
				r.cancel()
				r.host.Wake()
			})
		}
	}
	for _, b := range a.take() {
		a.settle(b)
		a.kept = append(a.kept, b)
	}
	if a.inflight > 0 {
		return false, nil
	}
	if r.budget != nil {
		r.budget.Stop()
	}
	for _, b := range a.parked {
		r.next.Release(b.units)
		a.kept = append(a.kept, b)
	}
	clear(a.parked)
	back := append([]hints.Pack[In](nil), a.failedRest...)
	var errs []error
	var ends []hints.Pack[In]
	for _, b := range a.kept {
		if a.ordered && b.seq >= a.want {
			back = append(back, b.in...) // its outputs would overtake
			continue
		}
		errs = append(errs, r.absorbKept(b))
		back = append(back, b.in[b.rest:]...)
		// absorbKept does not push an END output: the END input it
		// answered goes back, last, for the new runner to end on.
		for _, in := range b.in[:b.rest] {
			if in.Hint == hints.End {
				ends = append(ends, in)
			}
		}
	}
	back = append(back, a.held...)
	r.giveBackRetries()
	back = append(back, a.giveBack...)
	back = append(back, ends...)
	errs = append(errs, r.giveBack(back, cause, failed && len(a.failedRest) > 0, a.failedAttempts))
	return true, errors.Join(errs...)
}

// absorbKept pushes a finished batch's outputs (but an END) and dead
// letters at a restart.
func (r *runner[In, Out, S]) absorbKept(b *batch[In, Out]) error {
	for _, o := range b.out {
		if o.Hint == hints.End {
			continue
		}
		if err := r.next.Push(o); err != nil {
			return err
		}
	}
	for _, d := range b.dead {
		if err := r.dlq.Push(hints.Pack[DeadLetter[In]]{Value: d}); err != nil {
			return err
		}
	}
	return nil
}

// keepFailed notes, for a restart, the inputs of a failed batch from its
// failed pack on.
func (r *runner[In, Out, S]) keepFailed(b *batch[In, Out]) {
	if r.cfg.Restart == RestartTemporary || len(r.async.failedRest) > 0 {
		return
	}
	r.async.failedRest = append(r.async.failedRest, b.in[b.rest:]...)
	r.async.failedAttempts = max(b.attempts, 1)
}

// keepLate keeps a batch that finished after the chip failed, for a
// restart; false when the chip is not supervised (recycle it).
func (r *runner[In, Out, S]) keepLate(b *batch[In, Out]) bool {
	if r.cfg.Restart == RestartTemporary {
		return false
	}
	r.async.kept = append(r.async.kept, b)
	return true
}

// overBudget implements retirer.
func (r *runner[In, Out, S]) overBudget() bool {
	return r.overB.CompareAndSwap(true, false)
}

// endNow implements retirer.
func (r *runner[In, Out, S]) endNow() error {
	if r.ended {
		return nil
	}
	return r.pushEnd(1)
}

// earlyEnd reports whether a permanent chip's END for input in must restart
// it instead of ending it: END before its input's END.
func (r *runner[In, Out, S]) earlyEnd(in hints.Hint) bool {
	return r.cfg.Restart == RestartPermanent && in != hints.End
}

// checkRestart reports the settings a restartable chip cannot work with.
func (f *Func[In, Out, S]) checkRestart() []error {
	var errs []error
	if f.AtMostOnce && f.DeadPend == "" {
		errs = append(errs, errors.New("at-most-once restarts need a dead-letter pend (Policy.Dead) for the failed pack"))
	}
	return errs
}
