package chip

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/runlet/runlet/pool"
)

// PendRef names the pend a chip pulls from or pushes to, and optionally sizes
// it. The zero SizePrivate reserves nothing and the zero SizeLimit means no
// pend limit (see [pool.Pool.Configure]).
//
// A PendRef is a plain comparable value, safe to copy and use from any
// goroutine; its zero value names no pend, which Attach refuses.
type PendRef struct {
	Pool        string // pool key
	Pend        string // pend key within the pool
	SizePrivate int    // reserved size, counted toward the pool from Attach on
	SizeLimit   int    // the pend's own limit; 0 means none
}

// At returns a reference to pend in pool with no sizes.
func At(pool, pend string) PendRef { return PendRef{Pool: pool, Pend: pend} }

// Sized returns r with the given private size and pend limit.
func (r PendRef) Sized(private, limit int) PendRef {
	r.SizePrivate, r.SizeLimit = private, limit
	return r
}

// String returns "pend@pool", the reference runlet's notation.
func (r PendRef) String() string { return r.Pend + "@" + r.Pool }

var (
	// Input is the prev pend of every input chip: the IO pool's endless supply
	// of Skip packs.
	Input = PendRef{Pool: pool.IOKey, Pend: pool.InputKey}
	// Output is the next pend of every output chip: the IO pool's sink that
	// accepts END only.
	Output = PendRef{Pool: pool.IOKey, Pend: pool.OutputKey}
)

// Spec is the part of a chip the scheduler reads without knowing its types.
//
// A Spec is a plain value, safe to copy and read from any goroutine; the
// zero value names no chip and no pend, which Attach refuses.
type Spec struct {
	Key         string
	Prev, Next  PendRef
	Async       bool
	Concurrency int // process calls in flight at once; async chips only, >= 1 once bound
}

// Chip is a passive step, as the scheduler sees it: a description and a way
// to bind it to typed pends. A Chip never owns a loop and never runs by
// itself. [New] builds one from a process function; the element types stay
// inside it, so this interface is not generic.
//
// A Chip value is a template: each Bind makes a fresh [Runner] with fresh
// state from the chip's state factory, so one Chip may serve several runlets
// (and a supervisor may rebind a failed one).
//
// Spec and Bind must be safe to call from any goroutine: a runlet calls them
// in Attach, on the caller's goroutine.
type Chip interface {
	Spec() Spec
	// Bind resolves the chip's pends in the given pools and returns its
	// runner. It reports every problem it finds (a nil process, an element
	// type that does not match the pend's) as one error.
	Bind(b Binding) (Runner, error)
}

// Binding is what a runlet hands a chip in [Chip.Bind].
//
// A Binding is a plain value, made by the runlet for one Bind call; the zero
// value binds to no pool (Bind then reports what it could not resolve).
type Binding struct {
	Prev, Next *pool.Pool // the pools named by Spec; nil when unknown (the runlet reports that)
	// Ctx is passed to every process call; the runlet cancels it when it
	// stops (END, first error, Abort, Detach or Run's ctx).
	Ctx  context.Context
	Host Host
}

// Host is the scheduler as a bound chip's worker goroutines see it.
//
// Both methods are safe for concurrent use from any goroutine, and neither
// blocks on the scheduler.
type Host interface {
	// Go starts f on a goroutine the runlet waits for before Run returns.
	Go(f func())
	// Wake tells the scheduler that r has finished work to collect. It never
	// blocks and may be called from any goroutine.
	Wake(r Runner)
}

// Runner is a bound chip. Only the scheduler calls its methods, one at a time
// (never concurrently); worker goroutines of an async runner talk to the
// scheduler only through [Host.Wake].
type Runner interface {
	// Run makes progress: a sync runner processes up to budget packs, an
	// async runner collects finished work and hands out new work. With a
	// budget of 0 (the runlet is paused) it only collects finished work.
	Run(budget int) Result
	// Halt stops handing out work, discards finished work, and reports
	// whether nothing is in flight any more. late joins the errors of work
	// discarded this call. Halt is called after the runlet stopped, again on
	// every Wake, until it reports idle.
	Halt() (idle bool, late error)
	// Tell passes the runlet's first error to the chip's OnError hook, with
	// the pack it holds unless withHeld is false (the chip that failed).
	// It is called at most once, after Halt reported idle. A panic in the hook
	// is returned as an error.
	Tell(err error, withHeld bool) error
	// Busy reports whether the chip has work in flight (async batches out,
	// or outputs parked for order): the scheduler will hear from it.
	Busy() bool
	// Close releases what the chip holds (its Close hook). It is called
	// once for every bound chip when the runlet has stopped, after Tell,
	// whether the flow ended, failed or was detached. A panic in the hook is
	// returned as an error.
	Close() error
	// Describe returns the running pack ("" for none) and the chip's own note.
	Describe() (running, note string)
}

// Wake says whom the scheduler wakes after a Run; see the runlet package for
// the order.
//
// A Wake is a bit set: a plain value, safe to copy; the zero value wakes
// nobody.
type Wake uint8

const (
	WakeSelf Wake = 1 << iota // run this chip again, first
	WakeNext                  // packs were pushed: wake chips waiting for data in the next pend
	WakePrev                  // packs were taken: wake chips waiting for room in the prev pool
)

// Wait says why a Run stopped short.
//
// A Wait is a plain value, safe to copy; the zero value is [NoWait].
type Wait uint8

const (
	NoWait   Wait = iota
	WaitPrev      // the prev pend is empty (a pull miss)
	WaitNext      // the next pend is limited (a push miss)
	WaitBusy      // every worker is busy or work must drain first; Host.Wake follows
)

// Result is what one [Runner.Run] did.
//
// A Result is a plain value, returned by value and kept by nobody; the zero
// value means "did nothing, stopped for no reason".
type Result struct {
	// After, if positive, asks the scheduler to run the chip again after
	// this long (see Config.Timer). A later Result's After replaces it.
	After time.Duration
	Hits  int   // process calls made (sync) or packs handed to workers (async)
	Wake  Wake  // whom to wake
	Wait  Wait  // why it stopped, if it did
	Ended bool  // the chip returned END and its END packs were pushed
	Err   error // the chip's first error; the runlet wraps it with the chip key
}

// PanicError is a panic inside a user function (a process function, a state
// factory, a hook, a view's clone or key function, a reader or writer),
// recovered and turned into an error. The runlet wraps it with the chip or
// view it came from; errors.As finds it. Its text is one line, "panic: " and
// the value; %+v adds the stack. A PanicError is not modified after it is
// made, so it may be read from any goroutine; the zero value is a panic with
// a nil value and no stack.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack
}

// Error returns "panic: " and the panic value, on one line.
func (e *PanicError) Error() string { return "panic: " + oneLine(fmt.Sprint(e.Value)) }

// Format prints the error's text; with %+v, the stack follows it.
func (e *PanicError) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		fmt.Fprintf(f, "%s\n\n%s", e.Error(), e.Stack)
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Error())
	default:
		io.WriteString(f, e.Error())
	}
}

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

func panicError(v any) error { return &PanicError{Value: v, Stack: debug.Stack()} }

// oneLine replaces line breaks in s with spaces, so that an error's text
// stays one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}
