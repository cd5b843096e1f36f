package runlet

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"

	"github.com/runlet/runlet/internal/engine"
)

// DrainAbortError is the cause of an aborted drain: errors.As reaches it
// through the error Run returns, which matches [ErrAborted]. Reason is why
// the drain was aborted ([ErrDrainAgain] for a second request, else the
// cause of the drain's ctx, which errors.Is finds), and Chips the chips
// that had not ended then, in chip order, each with the pack it ran or held
// ("RUN x3": three packs in flight on an async chip) and its Describe note.
//
// It is immutable once made and safe to read from any goroutine; the zero
// value names no chip.
type DrainAbortError = engine.DrainAbortError

// Unfinished is a chip named by a [DrainAbortError]: its key, the pack it
// ran or held, and its Describe note. It is a plain value.
type Unfinished = engine.Unfinished

// ErrDrainAgain is the Reason of a [DrainAbortError] when a second drain
// request aborted the first.
var ErrDrainAgain = engine.ErrDrainAgain

// Drain ends the flow gracefully: every input chip stops producing and sends
// END (a sync input chip is given END instead of its next Skip pack; an
// async one gets it once its batches in flight have returned, and a call
// waiting on the world learns of it from [chip.Drained]), the work in
// flight finishes, the ENDs travel down (a timed Batch flushes its partial
// batch at once), every output chip ends, and Run returns nil. Drain waits
// for that and returns what Run returns. A Drain before Run takes effect as
// Run starts; one after Run returned returns Run's result.
//
// A second Drain, or the end of ctx, aborts: the runlet stops as by Abort,
// and the error (matching ErrAborted and, for ctx, ctx's cause) wraps a
// [*DrainAbortError] that names the chips that had not ended and what they
// held. Drain then returns that error as soon as the runlet has begun
// stopping, without waiting for process calls that ignore their ctx (Run
// still waits for them).
//
// Drain is safe for concurrent use from any goroutine, and idempotent but
// for the abort, except from inside a sync chip's process, whose goroutine
// is the scheduler's. It does not drain a passive [Input] (close it: its
// END is the pend's) nor the inputs of a sub-runlet (drain that runlet).
func (r *Runlet) Drain(ctx context.Context) error { return r.e().Drain(ctx) }

// DrainOnSignal drains r on the first of signals (os.Interrupt and
// syscall.SIGTERM, say) and aborts the drain on the second, like
// signal.NotifyContext: the signals are caught (not handled by Go's
// default, which would exit) until stop is called, ctx is done or r has
// stopped. An aborted drain's error, which Run returns, names the chips that
// had not finished.
//
//	stop := runlet.DrainOnSignal(ctx, r, os.Interrupt, syscall.SIGTERM)
//	defer stop()
//	err := r.Run(ctx)
//
// stop releases the signals and ends the helper's goroutine; it is safe to
// call more than once, and returns at once (a drain in progress goes on:
// its goroutine ends with the runlet).
func DrainOnSignal(ctx context.Context, r *Runlet, signals ...os.Signal) (stop func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, signals...)
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		defer signal.Stop(ch)
		select {
		case <-ch:
		case <-quit:
			return
		case <-ctx.Done():
			return
		case <-r.Done():
			return
		}
		dctx, abort := context.WithCancelCause(context.Background())
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			_ = r.Drain(dctx) // Run reports the result
			abort(nil)
		}()
		select {
		case sig := <-ch:
			abort(fmt.Errorf("a second signal (%v)", sig))
			<-drained // Drain returns once the runlet has begun stopping
			return
		case <-quit:
		case <-ctx.Done():
		case <-r.Done():
		}
		select {
		case <-r.Done():
			<-drained // returns at once: leave no goroutine behind
		default: // the drain goes on; its goroutine ends with the runlet
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			<-exited
		})
	}
}
