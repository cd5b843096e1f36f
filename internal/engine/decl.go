package engine

import "cmp"

// PendRef names the pend a chip pulls from or pushes to, and optionally sizes
// it. The zero SizePrivate reserves nothing and the zero SizeLimit means no
// pend limit (see "Accounting" in package pool).
//
// A PendRef is a plain comparable value, safe to copy and use from any
// goroutine; its zero value names no pend, which Attach refuses.
type PendRef struct {
	Pool        string // pool key
	Pend        string // pend key within the pool
	SizePrivate int    // reserved size, counted toward the pool from Attach on
	SizeLimit   int    // the pend's own limit; 0 means none
	// Decl is the declaration the reference was made from (package pool's
	// Pend), nil for a reference made by key. New names an unnamed one and
	// adds its pool to the runlet's.
	Decl *Decl
}

// Sized returns r with the given private size and pend limit.
func (r PendRef) Sized(private, limit int) PendRef {
	r.SizePrivate, r.SizeLimit = private, limit
	return r
}

// String returns "pend@pool", as Describe prints it.
func (r PendRef) String() string { return r.Pend + "@" + r.Pool }

// Name returns the pend r names, without its sizes.
func (r PendRef) Name() PendName { return PendName{Pool: r.Pool, Pend: r.Pend} }

// PendName is a pend as chips and passive handles name it: a pool key and a
// pend key. It is the key every table of the engine uses for a named pend
// (the plan's pend index, the passive handles, a pend record's names).
// A view or a logical pool's key may name the same storage pend under
// several names; the plan resolves each name once, at Attach.
//
// A PendName is a plain comparable value, safe to copy and use from any
// goroutine; the zero value names no pend.
type PendName struct {
	Pool, Pend string
}

// String returns "pend@pool", as [PendRef.String].
func (n PendName) String() string { return n.Pend + "@" + n.Pool }

// compare orders names by pool key, then pend key.
func (n PendName) compare(m PendName) int {
	if c := cmp.Compare(n.Pool, m.Pool); c != 0 {
		return c
	}
	return cmp.Compare(n.Pend, m.Pend)
}

// Spec is the part of a chip the scheduler reads without knowing its types.
//
// A Spec is a plain value, safe to copy and read from any goroutine; the
// zero value names no chip and no pend, which Attach refuses.
type Spec struct {
	Key        string
	Prev, Next PendRef
	// Dead is the chip's dead-letter pend, a side output that its error
	// policy pushes failed packs into (see [DeadLetter]); the zero PendRef
	// (no Decl, no pend) when it has none.
	Dead        PendRef
	Async       bool
	Concurrency int // process calls in flight at once; async chips only, >= 1 once bound
	// Restart is the chip's restart type (see "Supervision" in
	// supervise.go); the zero value, temporary, is never restarted.
	Restart RestartType
}

// Chip is a passive step, as the scheduler sees it: a description and a way
// to bind it to typed pends. A Chip never owns a loop and never runs by
// itself. chip.New builds one from a process function, and every chip of
// package chip is one; the element types stay inside it, so this interface is
// not generic. Bind speaks the engine's types (package internal/engine),
// which only this module can name: a chip is declared with chip.New and the
// operators built on it, and run by the engine alone.
//
// A Chip value is a template: each Bind makes a fresh runner with fresh
// state from the chip's state factory, so one Chip may serve several runlets
// (and a supervisor may rebind a failed one).
//
// Spec and Bind must be safe to call from any goroutine: a runlet calls them
// in Attach, on the caller's goroutine.
type Chip interface {
	Spec() Spec
	// Bind resolves the chip's pends in the given pools and returns the
	// engine's runner for it. It reports every problem it finds (a nil
	// process, an element type that does not match the pend's) as one
	// error.
	Bind(b Binding) (Runner, error)
}
