package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

var (
	// ErrAborted is matched (errors.Is) by the error Run returns after Abort.
	ErrAborted = errors.New("runlet: aborted")
	// ErrDetached is returned by Run and the passive handles after Detach.
	ErrDetached = errors.New("runlet: detached")
	// ErrEnded is returned by the passive handles once the flow has ended.
	ErrEnded = errors.New("runlet: ended")
	// ErrLimited is returned by Input.Push when the pend is limited.
	ErrLimited = errors.New("runlet: pend is limited")
	// ErrAttached is returned by a second Attach.
	ErrAttached = errors.New("runlet: already attached")
	// ErrRunning is returned by a second, concurrent Run.
	ErrRunning = errors.New("runlet: already running")
	// ErrAlreadyRun is returned by a Run after one that has returned: a
	// runlet runs once (build a new one to run the graph again; chips may be
	// shared, each Attach binds them afresh). [Runlet.Err] keeps the first
	// Run's result.
	ErrAlreadyRun = errors.New("runlet: already run")
	// ErrStalled is matched (errors.Is) by the error Run returns when the
	// flow can no longer move: see [StallError].
	ErrStalled = errors.New("runlet: stalled")
)

// StallError is the error Run returns when no chip can run, no async work or
// timer is pending, nothing outside can feed or drain the graph (no passive
// handle), the runlet is not paused, and the flow has not ended: waiting
// longer could not change anything. It holds the Describe text of that
// moment, which shows who waits for what. errors.Is(err, ErrStalled) holds.
//
// It is immutable once made and safe to read from any goroutine; the zero
// value holds no state text.
type StallError struct {
	State string // Describe() when the stall was found
}

func (e *StallError) Error() string {
	return "runlet: stalled: no chip can run, nothing is in flight and the flow has not ended\n" + e.State
}

// Is reports whether target is ErrStalled.
func (e *StallError) Is(target error) bool { return target == ErrStalled }

// ChipError is the error a chip returned or panicked with, named by the
// chip's key. Run returns it for the first error; errors.Is and errors.As
// reach the original (and a [PanicError] for a panic).
//
// It is immutable once made and safe to read from any goroutine; the zero
// value names no chip and wraps nil.
type ChipError struct {
	Chip string
	Err  error
}

func (e *ChipError) Error() string { return fmt.Sprintf("runlet: chip %q: %v", e.Chip, e.Err) }
func (e *ChipError) Unwrap() error { return e.Err }

// abortError is the error of Abort: it matches ErrAborted and unwraps to the
// cause.
type abortError struct{ cause error }

func (e *abortError) Error() string {
	if e.cause == nil {
		return ErrAborted.Error()
	}
	return ErrAborted.Error() + ": " + e.cause.Error()
}
func (e *abortError) Is(target error) bool { return target == ErrAborted }
func (e *abortError) Unwrap() error        { return e.cause }

// Config holds a runlet's optional settings; the zero value of each field
// means its documented default.
//
// A Config is copied by [New]; changing it afterwards does not change the
// runlet. Its hooks may be called from any goroutine that runs the
// scheduler, one at a time.
type Config struct {
	// OnError receives errors after the first: errors of async work that
	// finished after the runlet stopped, and panics in chips' OnError and
	// Close hooks. It is called on the scheduler's goroutine and must not
	// block. If it panics, the panic becomes the runlet's error when the
	// runlet has none yet, and is logged with log/slog otherwise.
	// Default: logged with log/slog at error level.
	OnError func(err error)
	// Budget is how many packs a sync chip processes in one burst before the
	// scheduler looks at its mailbox (async completions, Pause, Abort,
	// Detach, the end of Run's ctx) and at observers waiting for a fresh
	// [Runlet.Snapshot]: each of these takes effect within about two bursts.
	// Default 1024. It changes when the scheduler notices outside events,
	// never the order in which chips run.
	Budget int
	// Stats turns on per-chip statistics: counts, busy and waiting times,
	// sampled latency, rates, pend depths and the bottleneck, in the
	// snapshots' Chips[i].Stats and Flow (see the engine's stats.go for
	// what each costs). Off by default: the counters above stay on.
	Stats bool
	// Total, if positive, is how many packs the flow's input chips will
	// produce, for [FlowStats.Progress] (a FromSlice or FromFile knows its
	// own). It needs Stats.
	Total int64
	// Name names the runlet in its log records (the attribute "runlet").
	Name string
	// Logger, if set, receives the runlet's lifecycle events as structured
	// records: start, end (with counts and duration), the first error,
	// later errors, a stall, a drain; each with the attributes "runlet" and,
	// where one is concerned, "chip". Nothing is logged per pack. Records
	// are made on the scheduler's goroutine: a handler should not block.
	// The supervisor's events (restarts, give-ups, escalations) go to it,
	// or to slog.Default() when it is nil.
	Logger *slog.Logger
	// Supervisor is how chips that can be restarted (a restart type other
	// than temporary) are restarted; see [Supervisor]. Ignored when no chip
	// can be.
	Supervisor Supervisor
}

// Runlet is a graph of chips and pools plus the scheduler that drives it.
//
// Create one with [New], wire it with [Runlet.Attach] (Run does it if
// needed) and drive it with [Runlet.Run], or by hand with [Runlet.Trigger]
// and the passive handles [PendInput] and [PendOutput]. A Runlet must not be
// copied. Its methods are safe for concurrent use.
//
// Observers never wait for the scheduler: Describe, Snapshot and Err return
// at once, or after a wait of at most 2 ms for a fresh snapshot (see
// [Runlet.Snapshot] for how fresh), from any goroutine, including from inside
// a running chip, sync or async. Nor do the control calls (Trigger, Pause,
// Resume, Abort, Detach): they leave a message that the scheduler reads
// between bursts, and one that finds the scheduler idle runs it itself, as
// Run does (so Trigger and Resume may run the flow on the caller's
// goroutine). Attach and the passive handles' methods do wait for the
// scheduler (they change the pools it works on): they must not be called
// from inside a sync chip's process, whose goroutine is the scheduler's.
type Runlet struct {
	graph   // what New was given
	flow    // the scheduler's state, owned by the holder of g.mu
	mailbox // messages to the scheduler from other goroutines
	control // flags other goroutines set and read without the lock
	board   // what observers read: the published snapshots
	life    // the context of process calls and the goroutines to wait for
	casts   // Cast and Call (cast.go)
}

// graph is what New was given. It is not modified afterwards.
type graph struct {
	pools []*Pool
	chips []Chip
	cfg   Config
}

// flow is the scheduler's state. g.mu is held by whichever goroutine runs
// the scheduler loop; it protects every field (see group).
type flow struct {
	g         *group
	groupErr  string // a pool whose group differs from r's (Attach reports it)
	attached  bool
	plan            // what Attach compiled (plan.go); installed once
	fast      deque // self re-runs and push-wakes
	slow      deque // pull-wakes and Trigger
	stats     Stats
	outputs   int   // output chips (next = IO output) not ended yet
	anyOutput bool  // the graph has output chips
	stopping  bool  // the flow ended, failed, or was detached
	settled   bool  // stopping and every worker idle; done is closed
	err       error // why it stopped (nil for a clean end)
	failed    int32 // the slot that failed, or -1
	triggered bool  // a Trigger has been handled: a stall can be told from a start
	ext       map[PendName]extUse
	abandoned []storage  // pends abandoned by abandonReads, restored at the end
	endScans  int        // slots endUpstream and readers looked at: linear in the graph's size over a run
	pollAt    uint64     // stats.Hits at which the loop next polls Run's ctx and observers
	draining  bool       // Drain was taken: input pends serve END (drain.go)
	halting   bool       // beginStop has closed halted
	st        *statState // statistics (stats.go); nil unless Config.Stats
	sup       *sup       // the supervisor; nil when no chip can be restarted
}

// mailbox holds the messages other goroutines post to the scheduler
// (Runlet.post); the loop takes them all at once (takeMail).
type mailbox struct {
	mailMu    sync.Mutex
	mail      []mail      // protected by mailMu
	mailSpare []mail      // the other buffer; protected by mailMu
	hasMail   atomic.Bool // set with mail, read without the lock
}

// control holds the flags that any goroutine sets or reads without the
// lock.
type control struct {
	paused   atomic.Bool
	detached atomic.Bool
	running  atomic.Bool
	ran      atomic.Bool                     // a Run got past Attach
	stopped  atomic.Pointer[stopNote]        // set by beginStop: Err reads it
	runCtx   atomic.Pointer[context.Context] // Run's ctx, polled by the loop
	member   atomic.Int32                    // memberNot, memberIn or memberGone (see group)
	// drainAsked is set by the first Drain: a second one aborts.
	drainAsked atomic.Bool
}

// board is what observers read (see Runlet.Snapshot): the latest published
// state and who waits for the next one.
type board struct {
	pub   atomic.Pointer[RunletSnapshot] // never modified once stored; nil until the first
	want  atomic.Bool                    // an observer asked for a fresh snapshot
	pubMu sync.Mutex
	pubCh chan struct{} // closed at the next publication; protected by pubMu
	// detachSnap is the state at settle, before emptyPends, for Detach.
	detachSnap atomic.Pointer[RunletSnapshot]
}

// life is the runlet's context and the goroutines Run waits for.
type life struct {
	ctx      context.Context // passed to every process call
	cancel   context.CancelFunc
	wg       sync.WaitGroup // worker goroutines
	done     chan struct{}  // closed when settled
	attachCh chan struct{}  // closed by a successful Attach
	drainCh  chan struct{}  // closed when the drain is taken (DrainSignal)
	halted   chan struct{}  // closed by beginStop: the runlet has begun stopping
}

// mail is a message to the scheduler from another goroutine. Its kind
// says which of a closed set it is, and which fields it uses. It is a plain
// struct, not an interface, so that posting one (an async chip's finished
// batch) allocates nothing: the mailbox is a double buffer of these.
type mail struct {
	kind mailKind
	chip int32 // mailWake, mailTimer: the chip's slot
	err  error // mailStop: the error to stop with
}

// mailKind is the kind of a [mail].
type mailKind uint8

const (
	mailWake       mailKind = iota // the chip has finished async work to collect (Host.Wake)
	mailTimer                      // the chip's timer fired
	mailTrigger                    // queue every chip to run (Trigger)
	mailResume                     // clear Pause, then as mailTrigger (Resume)
	mailStop                       // stop with err (Abort, Detach, Run's ctx, a bridge)
	mailDrain                      // input chips send END from now on (Drain)
	mailDrainAbort                 // abort a drain, naming the unfinished chips, with err as the reason
	mailCast                       // a Cast or Call was queued (cast.go)
	mailRestart                    // a restart's delay is over: bind the chips again (supervise.go)
)

// stopNote is why a runlet stopped, published for Err and observers.
type stopNote struct{ err error }

// extUse records which external handles feed or drain a pend.
type extUse struct{ in, out bool }

// Stats are the scheduler's counters, always on: plain integers kept by the
// scheduler, so they cost nothing measurable. Read them through
// [Runlet.Snapshot], which never waits for the scheduler.
//
// A Stats is a plain value, safe to copy and read from any goroutine; the
// zero value is a runlet that has not run a chip yet.
type Stats struct {
	Hits     uint64 `json:"hits"`      // process calls (packs handed to workers, for async chips)
	StatMiss uint64 `json:"stat_miss"` // a chip could not run: paused, ended, or busy
	PushMiss uint64 `json:"push_miss"` // a chip could not run: its next pend is limited
	PullMiss uint64 `json:"pull_miss"` // a chip could not run: its prev pend is empty
}

// HitRate returns hits over all attempts (hits + misses), or 0.
func (s Stats) HitRate() float64 {
	all := s.Hits + s.StatMiss + s.PushMiss + s.PullMiss
	if all == 0 {
		return 0
	}
	return float64(s.Hits) / float64(all)
}

// New returns a runlet over pools and chips. chips' order matters: Trigger
// queues them in this order, the first error is told to them in this order,
// and Describe prints them in this order. The IO pool is added when a chip
// names [IOKey] and pools has none, and so is the pool of every pend
// declaration (a [PendRef.Decl]) a chip names; an unnamed declaration is
// named here (see declare). Nothing is checked until Attach.
func New(pools []*Pool, chips []Chip, cfg Config) *Runlet {
	pools = declare(pools, chips)
	switch {
	case cfg.OnError == nil && cfg.Logger != nil:
		cfg.OnError = func(error) {} // report logs it to the Logger
	case cfg.OnError == nil:
		cfg.OnError = func(err error) { slog.Error("runlet: later error", "err", err) }
	}
	if cfg.Budget <= 0 {
		cfg.Budget = 1024
	}
	drainCh := make(chan struct{})
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), drainKey{}, drainCh))
	r := &Runlet{
		graph: graph{pools: pools, chips: chips, cfg: cfg},
		flow:  flow{failed: -1, ext: map[PendName]extUse{}},
		life: life{ctx: ctx, cancel: cancel, done: make(chan struct{}), attachCh: make(chan struct{}),
			drainCh: drainCh, halted: make(chan struct{})},
	}
	joinGroup(r)
	return r
}

// Run drives the runlet until every output chip has ended (it returns nil),
// the first error (it returns a [*ChipError]), Abort (an error matching
// [ErrAborted]), Detach ([ErrDetached]), a stall ([ErrStalled]) or ctx is
// done (ctx's error). Output chips are those whose next pend is the IO
// output or is drained from outside (a [PendOutput]); a runlet with neither
// runs until every chip has ended. Run attaches the runlet if needed and
// triggers every chip.
//
// A runlet runs once: a Run after one that got past Attach returns
// [ErrAlreadyRun] without running, and one during it [ErrRunning].
//
// When Run returns, every goroutine the runlet started has ended. Run waits
// for process calls in flight to return; their ctx is cancelled when the
// runlet stops. A graph of only sync chips runs entirely on the caller's
// goroutine.
func (r *Runlet) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer r.running.Store(false)
	if err := r.Attach(); err != nil && !errors.Is(err, ErrAttached) {
		return err
	}
	if r.ran.Swap(true) {
		return ErrAlreadyRun
	}
	begin := time.Now()
	r.logStart()
	defer func() { r.logEnd(time.Since(begin)) }()
	// ctx's end reaches the scheduler two ways: the loop polls ctx every
	// Config.Budget packs, and a callback posts it as mail, for a loop that
	// is idle. Both work also when the loop runs right here, inside Trigger,
	// for a graph of sync chips that never waits.
	r.runCtx.Store(&ctx)
	if err := ctx.Err(); err != nil {
		// Ended already: stop before the first burst rather than race the
		// callback's goroutine (a small flow could end first, with nil).
		r.stop(err)
	}
	fired := make(chan struct{})
	stopAfter := context.AfterFunc(ctx, func() {
		defer close(fired)
		r.stop(ctx.Err())
	})
	r.Trigger()
	<-r.done
	if !stopAfter() {
		<-fired // the callback ran (or runs): wait until it has returned
	}
	r.wg.Wait()
	return r.Err()
}

// Done returns a channel that is closed once the runlet has stopped, no
// process call is in flight and every chip has been told and closed;
// [Runlet.Err] then tells why. Worker goroutines may still be exiting: Run,
// which also waits for them, is the call after which none is left.
func (r *Runlet) Done() <-chan struct{} { return r.done }

// Err returns why the runlet stopped: nil while it runs and after a clean
// end, else the error Run returns. It never waits: the scheduler publishes
// the error the moment it starts stopping.
func (r *Runlet) Err() error {
	if n := r.stopped.Load(); n != nil {
		return n.err
	}
	return nil
}

// Trigger queues every chip, in order, to try to run: it kick-starts the
// flow, and restarts it after Pause and Resume. Extra triggers are harmless.
// After Detach or once the runlet has stopped, Trigger does nothing.
func (r *Runlet) Trigger() {
	if r.detached.Load() {
		return
	}
	r.post(mail{kind: mailTrigger})
}

// Pause stops the flow: no chip starts new work until Resume. Work in flight
// finishes and its results are pushed, but wake nobody. A sync chip in the
// middle of a burst stops within Config.Budget packs.
func (r *Runlet) Pause() { r.paused.Store(true) }

// Resume undoes Pause and triggers every chip.
func (r *Runlet) Resume() {
	if r.detached.Load() {
		r.paused.Store(false)
		return
	}
	// Cleared and triggered in one step under the lock, so that no loop can
	// run in between and take the quiet moment for a stall.
	r.post(mail{kind: mailResume})
}

// Abort stops the runlet with an error that matches [ErrAborted] and wraps
// cause. It takes the first-error path: chips are told, and Run returns the
// error. It does nothing if the runlet has already stopped.
func (r *Runlet) Abort(cause error) { r.stop(&abortError{cause: cause}) }

// stop posts a request to stop with err.
func (r *Runlet) stop(err error) { r.post(mail{kind: mailStop, err: err}) }

// Detach cuts the flow off for good and returns the state for post-mortem.
// Nothing is pushed once the scheduler has read the request (between two
// bursts of a sync chip, so within about Config.Budget packs), Trigger does
// nothing, chips are not told, and Run returns [ErrDetached] if the flow had
// not stopped already. Detach does not wait for the scheduler: the snapshot
// it returns is as fresh as [Runlet.Snapshot]'s, and its State is
// "detached".
func (r *Runlet) Detach() RunletSnapshot {
	r.detached.Store(true)
	r.stop(ErrDetached)
	if s, ok := r.settledSnapshot(); ok {
		return s
	}
	s := r.Snapshot()
	if settled, ok := r.settledSnapshot(); ok { // settled meanwhile: s may show emptied pools
		return settled
	}
	return s
}

// settledSnapshot returns the state settle saw before it emptied the pools,
// as a detached runlet's, once the runlet has settled.
func (r *Runlet) settledSnapshot() (RunletSnapshot, bool) {
	p := r.detachSnap.Load()
	if p == nil {
		return RunletSnapshot{}, false
	}
	s := p.clone()
	s.State, s.Paused = "detached", r.paused.Load()
	return s, true
}

// post hands m to the scheduler and runs the loop if nobody else does.
func (r *Runlet) post(m mail) {
	r.mailMu.Lock()
	r.mail = append(r.mail, m)
	r.hasMail.Store(true)
	r.mailMu.Unlock()
	r.join() // before kick: whoever holds mu then sees r's mail
	r.kick()
}

// kick runs the scheduler loop on this goroutine unless another goroutine
// is running it (see group.kick).
func (r *Runlet) kick() { r.g.kick() }

// release unlocks the group after running the loops for whatever arrived
// meanwhile.
func (r *Runlet) release() {
	r.loop()
	r.g.drain()
	r.g.mu.Unlock()
	r.g.kick()
}

// host is a chip's view of the runlet (Host).
type host struct {
	r   *Runlet
	idx int32
}

func (h *host) Go(f func()) {
	h.r.wg.Add(1)
	go func() {
		defer h.r.wg.Done()
		f()
	}()
}

func (h *host) Wake() { h.r.post(mail{kind: mailWake, chip: h.idx}) }

func (h *host) Stop(err error) { h.r.stop(err) }
