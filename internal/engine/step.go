package engine

import (
	"context"
	"time"
)

// Binding is what a runlet hands a chip in [Chip.Bind].
//
// A Binding is a plain value, made by the runlet for one Bind call; the zero
// value binds to no pool (Bind then reports what it could not resolve).
type Binding struct {
	Prev, Next *Pool // the pools named by Spec; nil when unknown (the runlet reports that)
	Dead       *Pool // the pool of Spec.Dead; nil when the chip has no dead-letter pend
	// Ctx is passed to every process call; the runlet cancels it when it
	// stops (END, first error, Abort, Detach or Run's ctx).
	Ctx  context.Context
	Host Host
	// Drain, if set, is the runlet's drain flag, read and written only by
	// the holder of the scheduler's lock: once it is true the IO input pend
	// serves END packs instead of Skip packs (see drain.go).
	Drain *bool
}

// Host is the scheduler as a bound chip's worker goroutines see it.
//
// Both methods are safe for concurrent use from any goroutine, and neither
// blocks on the scheduler.
type Host interface {
	// Go starts f on a goroutine the runlet waits for before Run returns.
	Go(f func())
	// Wake tells the scheduler that the chip this Host was made for has
	// finished work to collect. It never blocks and may be called from any
	// goroutine.
	Wake()
	// Stop stops the runlet with err, as its Abort would, unless it has
	// already stopped. It never blocks and may be called from any goroutine
	// (a chip that links two runlets stops the other side with it).
	Stop(err error)
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
	WakeDead                  // dead letters were pushed: wake chips waiting for data in the dead-letter pend
)

// Wait says why a Run stopped short.
//
// A Wait is a plain value, safe to copy; the zero value is [NoWait].
type Wait uint8

const (
	NoWait   Wait = iota
	WaitPrev      // the prev pend is empty (a pull miss)
	WaitNext      // the next pend is limited (a push miss)
	WaitBusy      // every worker is busy or work must drain first; [Host.Wake] follows
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
	// For statistics: packs pushed to the next pend, and for an async chip
	// the worker time and calls of the batches collected.
	Out       int
	Work      time.Duration
	WorkCalls int
}
