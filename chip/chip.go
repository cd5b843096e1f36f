package chip

import (
	"github.com/runlet/runlet/internal/engine"
)

// PendRef is how a [Spec] names a pend: Pool (the pool's key), Pend (the
// pend's key), SizePrivate and SizeLimit (the sizes it was declared with; see
// pool.Pend.Size), and the declaration it was read from. Chips name pends
// with *pool.Pend values; a PendRef is what the scheduler reads of them.
// String returns "pend@pool", as Describe prints it.
//
// A PendRef is a plain comparable value, safe to copy and use from any
// goroutine.
type PendRef = engine.PendRef

// Spec is the part of a chip the scheduler reads without knowing its types:
// its key, its prev and next pends, whether it is async and with how many
// process calls in flight.
//
// A Spec is a plain value, safe to copy and read from any goroutine; the
// zero value names no chip and no pend, which Attach refuses.
type Spec = engine.Spec

// Chip is a passive step, as the scheduler sees it: Spec, a description,
// and Bind, which binds it to typed pends and returns the engine's runner
// for it. A Chip never owns a loop and never runs by itself. [New] builds
// one from a process function, and every chip of this package is one; the
// element types stay inside it, so this interface is not generic. Bind
// speaks the engine's types (the module's internal/engine package), which
// only this module can name: a chip is declared with [New] and the
// operators built on it, and run by the engine alone.
//
// A Chip value is a template: each Bind makes a fresh runner with fresh
// state from the chip's state factory, so one Chip may serve several
// runlets. Spec and Bind must be safe to call from any goroutine: a runlet
// calls them in Attach, on the caller's goroutine.
//
// A nil Chip in a runlet's list is an error of Attach, naming its index.
type Chip = engine.Chip

// PanicError is a panic inside a user function (a process function, a state
// factory, a hook, a view's clone or key function, a reader or writer),
// recovered and turned into an error. The runlet wraps it with the chip or
// view it came from; errors.As finds it (as *PanicError). Its text is one
// line, "panic: " and the value; %+v adds the stack. A PanicError is not
// modified after it is made, so it may be read from any goroutine; the zero
// value is a panic with a nil value and no stack.
type PanicError = engine.PanicError

func panicError(v any) error { return engine.NewPanicError(v) }
