package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/runlet/runlet/hints"
)

// # Drain
//
// A drain ends the flow the way an exhausted input would: the scheduler sets
// its drain flag (flow.draining) and closes the drain channel (life.drainCh)
// when it takes the drain mail, and from then on the IO input pend of every
// input chip serves END packs instead of Skip packs (Pend.Pull and Span read
// the flag through Binding.Drain). So a sync input chip is given END at its
// next call, and an async one at its next batch, which fill hands out alone
// once the batches in flight have returned. A call that waits on the world
// (a channel, a generator) learns of the drain from the channel on its ctx
// ([DrainSignal]) and returns what it holds, then END. The END travels down
// like any other: a Batch flushes its partial batch at once, every output
// chip ends, and Run returns nil.
//
// A second request, or the end of the drain's ctx, aborts: the runlet stops
// with an error matching ErrAborted whose cause, a [*DrainAbortError], names
// the chips that had not ended and what they held, read on the scheduler's
// goroutine at that moment.

// drainKey is the context key of the drain channel on the process ctx.
type drainKey struct{}

// DrainSignal returns a channel that is closed once the runlet whose process
// ctx ctx is (or derives from) drains, or nil (a channel that is never
// ready) for any other ctx. An input chip that waits on the world selects on
// it next to ctx.Done(), and returns what it holds, then END.
func DrainSignal(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(drainKey{}).(chan struct{})
	return ch
}

// DrainAbortError is the cause of the abort of a drain (errors.As reaches
// it through the ErrAborted error Run returns): why the drain was aborted,
// and the chips that had not ended then, in chip order, with what each
// held.
//
// It is immutable once made and safe to read from any goroutine; the zero
// value names no chip.
type DrainAbortError struct {
	Reason error        // a second request ([ErrDrainAgain]) or the drain ctx's cause
	Chips  []Unfinished // the chips that had not ended
}

// Unfinished is a chip that had not ended when a drain was aborted: its key,
// the pack it ran or held ("RUN x3" for an async chip with three packs in
// flight, "DATA(...)|IDLE" for a held pack) and its Describe note.
type Unfinished struct{ Chip, Running, Note string }

// ErrDrainAgain is the Reason of a [DrainAbortError] when a second drain
// request aborted the first.
var ErrDrainAgain = errors.New("a second drain request")

func (e *DrainAbortError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "drain aborted (%v): ", e.Reason)
	if len(e.Chips) == 0 {
		b.WriteString("every chip had ended")
		return b.String()
	}
	b.WriteString("unfinished chips:")
	for i, c := range e.Chips {
		if i > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, " %q", c.Chip)
		if c.Running != "" {
			b.WriteString(" " + c.Running)
		}
		if c.Note != "" {
			b.WriteString(" " + c.Note)
		}
	}
	return b.String()
}

// Unwrap returns the reason, so that errors.Is finds a ctx's error.
func (e *DrainAbortError) Unwrap() error { return e.Reason }

// Drain asks every input chip to stop producing and send END, lets the work
// in flight finish and every output chip end, and waits until the runlet
// has stopped: it returns what Run returns (nil for a drain that finished).
// A Drain before Run takes effect when Run starts.
//
// A second Drain, or the end of ctx, aborts: the runlet stops as by Abort,
// with a [*DrainAbortError] as the cause, and Drain returns that error as
// soon as the runlet has begun stopping, without waiting for process calls
// that ignore their ctx.
//
// Drain is safe from any goroutine, except from inside a sync chip's
// process (its goroutine is the scheduler's, which Drain would wait for).
func (r *Runlet) Drain(ctx context.Context) error {
	if r.drainAsked.Swap(true) {
		r.post(mail{kind: mailDrainAbort, err: ErrDrainAgain})
		<-r.halted
		return r.Err()
	}
	r.post(mail{kind: mailDrain})
	select {
	case <-r.done:
		return r.Err()
	case <-ctx.Done():
		r.post(mail{kind: mailDrainAbort, err: context.Cause(ctx)})
		<-r.halted
		return r.Err()
	}
}

// drain handles the drain mail: the input pends serve END from now on, the
// drain channel is closed, and every chip is queued to look again (a sync
// input chip waiting for room in its next pend is woken by the pulls).
func (r *Runlet) drain() {
	if r.draining || r.stopping {
		return
	}
	r.draining = true
	r.logDrain()
	close(r.drainCh)
	r.trigger()
}

// abortDrain handles a second request or the end of the drain's ctx: it
// stops the runlet with an ErrAborted error naming the unfinished chips.
func (r *Runlet) abortDrain(reason error) {
	if r.stopping {
		return
	}
	e := &DrainAbortError{Reason: reason}
	for i := range r.slots {
		s := &r.slots[i]
		if s.ended {
			continue
		}
		running, note := s.run.Describe()
		e.Chips = append(e.Chips, Unfinished{Chip: s.key, Running: running, Note: note})
	}
	r.err = &abortError{cause: e}
	r.beginStop()
}

// ends returns one END pack for an input pend's Span under a drain; it
// reuses the Skip scratch, which a drained pend never serves again.
func (p *Pend[T]) ends() []hints.Pack[T] {
	if len(p.skips) == 0 {
		p.skips = make([]hints.Pack[T], 1)
	}
	p.skips[0] = hints.EndOf[T](1)
	return p.skips[:1]
}
