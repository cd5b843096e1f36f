package runlet

import (
	"context"
	"errors"
	"fmt"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
)

// errParentStopped is the cause of the Abort with which a SubRunlet chip
// stops its sub-runlet when the parent runlet stops first.
var errParentStopped = errors.New("runlet: sub-runlet: the parent runlet stopped")

// errSubEndedEarly is the cause of the Abort with which a SubRunlet chip
// stops its sub-runlet after the sub put END in its output before the
// parent's input ended.
var errSubEndedEarly = errors.New("runlet: sub-runlet: ended before its input")

// SubRunlet returns an async chip (Concurrency 1) that runs a passive
// runlet, the sub-runlet, inside a parent runlet: it pulls packs of In from
// prev, feeds them into the sub-runlet, and pushes what comes out of it, as
// packs of Out, to next.
//
// build makes the sub-runlet and its two passive handles: in ([PendInput])
// feeds the sub's flow and out ([PendOutput]) drains it; both must belong to
// r, and r should have no input or output chips of its own. build is called
// once per Bind, on the chip's first call, so every parent runlet (or
// rebinding) gets a fresh sub-runlet. The chip then attaches r and runs its
// Run on a goroutine of its own; do not call Run, and do not use the handles
// elsewhere. An error from build or Attach, or handles of another runlet,
// fail the parent.
//
// # Flow
//
// For each data input the chip pushes the value into in ([Input.Push]),
// then takes what out holds at that moment, one pack per call
// ([Output.Pull]): each is pushed downstream as data with REDO, and the chip
// returns SKIP once out is empty. A sub-runlet of sync chips runs inside
// those calls, so its outputs for an input come right after it. Outputs the
// sub-runlet produces later, asynchronously (an async chip, a timer), wait
// in out's pend until the next input or the END arrives; they are not tied
// to the input that caused them. While in's pend is limited the chip waits
// for room ([Input.PushWait]) and at the same time for an output
// ([Output.PullWait], on a helper goroutine), and hands out the output if
// one comes first: waiting for room alone would deadlock a sub whose pools
// are full of outputs nobody takes. Each pack costs a lock of the
// sub-runlet and a run of its scheduler on each side, and the parent sees
// the chip's outputs a batch at a time (an async chip's batch; a long REDO
// run is split, see package chip), so keep fine-grained work inside one
// runlet.
//
// What the sub does N:1 (a Filter, a Batch: inputs that produce nothing)
// shows in the parent as inputs consumed with SKIP and no output; what it
// does 1:N (a FlatMap, a chip returning REDO) shows as several outputs, each
// with REDO, for one input. At the parent's END the chip pushes END into in,
// then waits for outputs until the sub's END, pushing each with REDO, waits
// for the sub's Run to return, and returns END. If the sub puts END in out
// before the parent's input ended (it ended early, like Take), the chip
// aborts the sub-runlet (whose chips are told an error matching
// [ErrAborted]) and ends too: its unused inputs stay in prev. A sub
// that never puts END in out holds the parent at END until the parent stops.
//
// # Errors
//
// The sub-runlet's error fails the parent: the chip returns an error
// wrapping the sub's Run error, so the parent's Run returns a [*ChipError]
// naming this chip whose Err wraps the sub's own [*ChipError] naming the
// inner chip (errors.Is reaches the original; errors.As on the outer
// ChipError's Err, or with a type the outer one is not, reaches the inner
// one). The failure is seen at the next input or END (or while the chip
// waits): a chip that is idle between inputs cannot fail its runlet. Outputs
// still in out when the sub fails are dropped.
//
// When the parent stops first (another chip's error, Abort, Detach, the end
// of its ctx, or a clean end that leaves this chip unfinished), the chip's
// waits end with their ctx, and its Close hook aborts the sub-runlet (an
// error matching [ErrAborted]) and waits for the sub's Run to return, so no
// goroutine of the sub outlives the parent's Run.
func SubRunlet[In, Out any](key string, prev *pool.Pend[In], next *pool.Pend[Out], build func() (r *Runlet, in *Input[In], out *Output[Out], err error)) chip.Chip {
	return chip.New(chip.Config[In, Out, subState[In, Out]]{
		Key: key, Prev: prev, Next: next, Async: true, Concurrency: 1,
		Process: func(ctx context.Context, pk hints.Pack[In], s *subState[In, Out]) (hints.Pack[Out], error) {
			if s.r == nil {
				if err := s.start(ctx, build); err != nil {
					return hints.Pack[Out]{}, err
				}
			}
			return s.process(ctx, pk)
		},
		Close: func(s *subState[In, Out]) {
			if s.r != nil {
				s.r.Abort(errParentStopped) // nothing if it has stopped already
				<-s.ran
			}
		},
		Describe: func(s *subState[In, Out]) string {
			if s.r == nil {
				return "[sub-runlet not started]"
			}
			select {
			case <-s.ran:
				return "[sub-runlet ended]"
			default:
				return "[sub-runlet running]"
			}
		},
	})
}

// subState is a SubRunlet chip's state. It is used by one worker at a time
// (Concurrency 1), then by Close.
type subState[In, Out any] struct {
	r      *Runlet
	in     *Input[In]
	out    *Output[Out]
	live   context.Context // cancelled when the sub's Run has returned
	ran    <-chan struct{} // live.Done(); runErr is set once it is closed
	runErr error
	pushed bool // the current input has been pushed into the sub
}

// start builds and attaches the sub-runlet and runs it on a goroutine of
// its own.
func (s *subState[In, Out]) start(ctx context.Context, build func() (*Runlet, *Input[In], *Output[Out], error)) error {
	r, in, out, err := build()
	switch {
	case err != nil:
		return fmt.Errorf("runlet: sub-runlet: build: %w", err)
	case r == nil || in == nil || out == nil:
		return errors.New("runlet: sub-runlet: build returned a nil runlet or handle")
	case (*engine.Input[In])(in).Owner() != r.e() || (*engine.Output[Out])(out).Owner() != r.e():
		return errors.New("runlet: sub-runlet: build returned a handle of another runlet")
	case r.e().SharesGroup():
		// Runlets sharing a pool share one lock: the parent's stop, which
		// waits for the sub's Run under that lock, would never return.
		return errors.New("runlet: sub-runlet: it shares a pool with another runlet; give it pools of its own")
	}
	// Attach here, so that its errors fail the first call rather than
	// leave the handles waiting for an Attach that never comes.
	if err := r.Attach(); err != nil && !errors.Is(err, ErrAttached) {
		return fmt.Errorf("runlet: sub-runlet: %w", err)
	}
	live, done := context.WithCancel(context.Background())
	s.r, s.in, s.out, s.live, s.ran = r, in, out, live, live.Done()
	// The sub is stopped by Abort (Close), not by the process ctx, so that
	// a parent stop shows in it as an abort; ctx's values pass on.
	runCtx := context.WithoutCancel(ctx)
	go func() {
		defer done()
		s.runErr = r.Run(runCtx)
	}()
	return nil
}

// process handles one call: push the input if not done yet, then hand out
// one output (REDO), or SKIP, or END.
func (s *subState[In, Out]) process(ctx context.Context, pk hints.Pack[In]) (hints.Pack[Out], error) {
	select {
	case <-s.ran:
		if s.runErr != nil { // it failed while the chip was idle
			return hints.Pack[Out]{}, s.wrap(s.runErr)
		}
	default:
	}
	end := pk.Hint == hints.End
	var got hints.Pack[Out]
	var ok bool
	var err error
	if !s.pushed {
		feed := hints.Data(pk.Value)
		if end {
			feed = hints.Pack[In]{Hint: hints.End}
		}
		var pushed bool
		pushed, got, ok, err = s.push(ctx, feed)
		if err != nil {
			return hints.Pack[Out]{}, err
		}
		s.pushed = pushed
		if ok || !pushed {
			return s.hand(ctx, got, ok, end)
		}
	}
	if end {
		got, ok, err = s.pullWait(ctx)
		if err != nil {
			return hints.Pack[Out]{}, err
		}
	} else {
		got, ok = s.out.Pull()
	}
	return s.hand(ctx, got, ok, end)
}

// hand turns a pack taken from out (ok) or none into the chip's result.
func (s *subState[In, Out]) hand(ctx context.Context, got hints.Pack[Out], ok, end bool) (hints.Pack[Out], error) {
	switch {
	case !ok: // nothing there: this input is done
		s.pushed = false
		return hints.SkipOf[Out](), nil
	case got.Hint != hints.End:
		return hints.Again(got.Value), nil
	}
	// The sub's END.
	if !end || !s.pushed {
		// It ended before its input did: inputs it has not used, or an
		// END it never got, could keep it waiting.
		s.r.Abort(errSubEndedEarly)
	}
	select {
	case <-s.ran:
	case <-ctx.Done():
		return hints.Pack[Out]{}, ctx.Err()
	}
	if s.runErr != nil && !errors.Is(s.runErr, errSubEndedEarly) {
		return hints.Pack[Out]{}, s.wrap(s.runErr)
	}
	s.pushed = false
	return hints.EndOf[Out](1), nil
}

// wrap is the chip's error for the sub's error err.
func (s *subState[In, Out]) wrap(err error) error {
	return fmt.Errorf("runlet: sub-runlet: %w", err)
}

// waitCtx returns a ctx for waiting on the handles: it ends with ctx and
// when the sub's Run returns.
func (s *subState[In, Out]) waitCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	wctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.live, cancel)
	return wctx, func() { stop(); cancel() }
}

// push pushes feed into in, waiting while in's pend is limited. While it is
// limited it also takes a pack from out: pushed reports whether feed went
// in, ok whether got was taken (both may hold). Waiting for room alone
// would deadlock a sub whose pools are full of outputs nobody takes.
func (s *subState[In, Out]) push(ctx context.Context, feed hints.Pack[In]) (pushed bool, got hints.Pack[Out], ok bool, err error) {
	err = s.in.Push(feed) // the fast path: room, or the sub has stopped
	if err == nil {
		return true, got, false, nil
	}
	if !errors.Is(err, ErrLimited) {
		got, ok, err = s.stopped(ctx, err)
		return false, got, ok, err
	}
	if got, ok = s.out.Pull(); ok {
		return false, got, true, nil
	}
	// Wait for room and for a pack at once; the first to come cancels the
	// other wait, which then takes or pushes nothing (both may succeed).
	wctx, cancel := s.waitCtx(ctx)
	defer cancel()
	type pulled struct {
		pk  hints.Pack[Out]
		err error
	}
	pc := make(chan pulled, 1)
	go func() {
		pk, err := s.out.PullWait(wctx)
		if err == nil {
			cancel()
		}
		pc <- pulled{pk, err}
	}()
	perr := s.in.PushWait(wctx, feed)
	cancel()
	p := <-pc
	switch {
	case perr == nil || p.err == nil:
		return perr == nil, p.pk, p.err == nil, nil
	case ctx.Err() != nil:
		return false, got, false, ctx.Err()
	case s.live.Err() != nil: // the sub's Run returned
		perr = ErrEnded
	}
	got, ok, err = s.stopped(ctx, perr)
	return false, got, ok, err
}

// pullWait takes a pack from out, waiting for one.
func (s *subState[In, Out]) pullWait(ctx context.Context) (hints.Pack[Out], bool, error) {
	wctx, cancel := s.waitCtx(ctx)
	defer cancel()
	pk, err := s.out.PullWait(wctx)
	switch {
	case err == nil:
		return pk, true, nil
	case ctx.Err() != nil:
		return pk, false, ctx.Err()
	case s.live.Err() != nil: // the sub's Run returned
		err = ErrEnded
	}
	return s.stopped(ctx, err)
}

// stopped handles a handle's error err other than ErrLimited and ctx's: the
// sub's error (returned as the chip's), or ErrEnded after a clean end, when
// what is left in out (its END among it) is still handed out.
func (s *subState[In, Out]) stopped(ctx context.Context, err error) (got hints.Pack[Out], ok bool, _ error) {
	if !errors.Is(err, ErrEnded) {
		return got, false, s.wrap(err)
	}
	select {
	case <-s.ran:
	case <-ctx.Done():
		return got, false, ctx.Err()
	}
	if s.runErr != nil {
		return got, false, s.wrap(s.runErr)
	}
	if got, ok = s.out.Pull(); ok {
		return got, true, nil
	}
	return got, false, s.wrap(fmt.Errorf("stopped without END in its output: %w", ErrEnded))
}
