package runlet

import (
	"context"
	"errors"
	"iter"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
)

// errStopped is the cause of the Abort with which Seq stops a runlet whose
// loop ended early.
var errStopped = errors.New("runlet: Seq: the loop stopped early")

// Seq runs r and returns the values it puts in out's pend, for a range loop:
//
//	for v, err := range runlet.Seq(ctx, r, out) {
//		if err != nil {
//			return err // the runlet failed
//		}
//		use(v)
//	}
//
// out must be a handle of r ([PendOutput]). Seq runs r itself: when the loop
// starts it calls r.Run(ctx) on a goroutine, then pulls from out with
// [Output.PullWait] and yields each data value with a nil error, one at a
// time: a value is pulled only once the loop body has returned, so a slow
// loop holds the runlet back through the pools' limits (backpressure) rather
// than letting values pile up. Do not call Run yourself.
//
// The loop ends:
//
//   - at the first END in out's pend, once Run has returned; if Run failed
//     (another branch of the graph, say), the last pair is the zero value and
//     Run's error;
//   - when the runlet stops without an END in out's pend (a chip's error,
//     Abort, Detach, a failed Attach): the values already in the pend are
//     yielded, then a last pair of the zero value and Run's error (nothing
//     more if Run returned nil);
//   - when ctx ends: Run stops too, and the last pair holds Run's error, or
//     ctx's error if Run returned nil;
//   - when the loop body breaks, returns or panics: Seq aborts the runlet
//     ([Runlet.Abort], so Run's error matches [ErrAborted] and chips are told
//     it) unless it has already stopped.
//
// In every case Seq returns only after Run has returned, so no goroutine of
// r, or of Seq, outlives the loop. Values left in the pend after a break are
// not yielded. A runlet runs once: a second loop over Seq yields what the
// first one left in the pend, then [ErrAlreadyRun].
func Seq[T any](ctx context.Context, r *Runlet, out *Output[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if out == nil || (*engine.Output[T])(out).Owner() != r.e() {
			yield(zero, errors.New("runlet: Seq: the output handle is not one of this runlet's"))
			return
		}
		// pctx also ends when Run returns, so that a PullWait never waits
		// for a runlet that will not run (a failed Attach).
		pctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ran := make(chan error, 1)
		go func() {
			err := r.Run(ctx)
			cancel()
			ran <- err
		}()
		var runErr error
		returned := false
		wait := func() error {
			if !returned {
				runErr, returned = <-ran, true
			}
			return runErr
		}
		defer func() {
			if !returned { // the loop body broke out, returned or panicked
				r.Abort(errStopped)
				wait()
			}
		}()
		for {
			pk, err := out.PullWait(pctx)
			if err != nil {
				break // the runlet stopped with the pend empty, Run returned, or ctx ended
			}
			if pk.Hint == hints.End {
				if err := wait(); err != nil {
					yield(zero, err)
				}
				return
			}
			if !yield(pk.Value, nil) {
				return
			}
		}
		err := wait()
		if ctx.Err() == nil && !errors.Is(err, ErrRunning) {
			// Run returned before the pend was drained: what is left in it
			// came before the stop. (With ErrRunning, the pend belongs to
			// another Run.)
			for {
				pk, ok := out.Pull()
				if !ok || pk.Hint == hints.End {
					break
				}
				if !yield(pk.Value, nil) {
					return
				}
			}
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			yield(zero, err)
		}
	}
}
