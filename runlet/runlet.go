package runlet

import (
	"context"
	"log/slog"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/internal/engine"
)

var (
	// ErrAborted is matched (errors.Is) by the error Run returns after Abort.
	ErrAborted = engine.ErrAborted
	// ErrDetached is returned by Run and the passive handles after Detach.
	ErrDetached = engine.ErrDetached
	// ErrEnded is returned by the passive handles once the flow has ended.
	ErrEnded = engine.ErrEnded
	// ErrLimited is returned by Input.Push when the pend is limited.
	ErrLimited = engine.ErrLimited
	// ErrAttached is returned by a second Attach.
	ErrAttached = engine.ErrAttached
	// ErrRunning is returned by a second, concurrent Run.
	ErrRunning = engine.ErrRunning
	// ErrAlreadyRun is returned by a Run after one that has returned: a
	// runlet runs once (build a new one to run the graph again; chips may be
	// shared, each Attach binds them afresh). [Runlet.Err] keeps the first
	// Run's result.
	ErrAlreadyRun = engine.ErrAlreadyRun
	// ErrStalled is matched (errors.Is) by the error Run returns when the
	// flow can no longer move: see [StallError].
	ErrStalled = engine.ErrStalled
)

// StallError is the error Run returns when no chip can run, no async work or
// timer is pending, nothing outside can feed or drain the graph (no passive
// handle), the runlet is not paused, and the flow has not ended: waiting
// longer could not change anything. It holds the Describe text of that
// moment, which shows who waits for what. errors.Is(err, ErrStalled) holds.
//
// It is immutable once made and safe to read from any goroutine; the zero
// value holds no state text.
type StallError = engine.StallError

// ChipError is the error a chip returned or panicked with, named by the
// chip's key: its fields are Chip (the key) and Err (the error). Run returns
// it for the first error; errors.Is and errors.As
// reach the original (and a [chip.PanicError] for a panic).
//
// It is immutable once made and safe to read from any goroutine; the zero
// value names no chip and wraps nil.
type ChipError = engine.ChipError

// ErrCycle is matched (errors.Is) by the error Attach returns for a graph in
// which packs can come back to a chip that made them; a [CycleError] says
// where.
var ErrCycle = engine.ErrCycle

// CycleError is the error Attach returns for a graph with a cycle.
// errors.Is(err, ErrCycle) holds. Chips are the chips of the cycle, from the
// first in chip order, and Pends the keys of the pends between them:
// Chips[i] pushes into Pends[i], which Chips[i+1] (the first, for the last)
// reads. It is plain data, safe to read from any goroutine.
//
// The zero value names no cycle.
type CycleError = engine.CycleError

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
	// [Snapshot]: each of these takes effect within about two bursts.
	// Default 1024. It changes when the scheduler notices outside events,
	// never the order in which chips run.
	Budget int
	// Stats turns on per-chip statistics (see [ChipStats] and [FlowStats]):
	// counts, busy and waiting times, sampled latency, rates, pend depths,
	// the bottleneck and progress, in Snapshot's Chips[i].Stats and Flow.
	// Off by default, when the runlet keeps only the counters of [Stats].
	Stats bool
	// Total, if positive, is how many packs the flow's input chips will
	// produce, for [FlowStats].Progress; it needs Stats.
	Total int64
	// Name names the runlet in its log records (the attribute "runlet").
	Name string
	// Logger, if set, receives the runlet's lifecycle events as structured
	// records, each with the attribute "runlet" (Name) and, where one chip
	// is concerned, "chip": "runlet start" (chips), "runlet end" (state,
	// hits, duration, err; with Stats, output_packs, the packs the output
	// chips took, END included, and bottleneck),
	// "chip failed" (the first error), "later error" (each error after the
	// first; Config.OnError then defaults to doing nothing more), "runlet
	// stalled" (the chips that wait) and "runlet drain". Nothing is logged
	// per pack. Records are made on the scheduler's goroutine: a handler
	// should not block. The supervisor's events (restarts, give-ups,
	// escalations; see [Supervisor]) go to it, or to slog.Default() when it
	// is nil.
	Logger *slog.Logger
	// Supervisor is how chips that can be restarted (chip.Config's
	// Supervise.Restart other than temporary) are restarted; ignored when
	// no chip can be. The zero value is one_for_one, at most 1 restart in
	// 5 s, no delay.
	Supervisor Supervisor
}

// Stats are the scheduler's counters, always on: plain integers kept by the
// scheduler, so they cost nothing measurable. Hits (JSON hits) counts
// process calls (packs handed to workers, for async chips); StatMiss
// (stat_miss) the times a chip could not run because it was paused, ended or
// busy; PushMiss (push_miss) because its next pend was limited; PullMiss
// (pull_miss) because its prev pend was empty. HitRate returns hits over all
// attempts, and String prints them as Describe's stat line does. Read them through
// [Runlet.Snapshot], which never waits for the scheduler.
//
// A Stats is a plain value, safe to copy and read from any goroutine; the
// zero value is a runlet that has not run a chip yet.
type Stats = engine.Stats

// Runlet is a graph of chips and pools plus the scheduler that drives it.
//
// Create one with [New], wire it with [Runlet.Attach] (Run does it if
// needed) and drive it with [Runlet.Run], or by hand with [Runlet.Trigger]
// and the passive handles [PendInput] and [PendOutput]. The zero value is not
// usable: make one with [New]. A Runlet must not be copied. Its methods are
// safe for concurrent use.
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
//
// Runlet is defined on the engine's runlet (the module's internal/engine
// package, which owns the scheduler); its methods here are the front.
type Runlet engine.Runlet

// New returns a runlet over chips. Its pools are the pools of the pends the
// chips name (a logical pool brings its inner pool; a passive handle adds
// the pool of its pend), plus the IO pool when a chip is an input or an
// output chip. New names the chips' unnamed pends (see pool.Pend): after
// the first chip that pushes into one, "<chip>.out", else after the first
// that pulls from it, "<chip>.in".
//
// chips' order matters: Trigger queues them in this order, the first error
// is told to them in this order, and Describe prints them in this order.
// Nothing is checked until Attach.
func New(chips []chip.Chip, cfg Config) *Runlet {
	return (*Runlet)(engine.New(nil, chips, engine.Config(cfg)))
}

// Run builds a runlet over chips with the default Config and runs it: New
// and [Runlet.Run] in one call, for the flows that need no handle on the
// runlet while it runs.
func Run(ctx context.Context, chips ...chip.Chip) error {
	return New(chips, Config{}).Run(ctx)
}

func (r *Runlet) e() *engine.Runlet { return (*engine.Runlet)(r) }

// Attach checks the runlet and wires its chips to their pends. It returns one
// error listing every problem, each naming its chip, pool or pend: a nil
// chip, two pools with one key, a pend declaration without a pool (a zero
// pool.Pend), a pend with no producer or no
// consumer (except pends a passive handle feeds or drains), negative or
// conflicting sizes, private sizes of one pool that add up past half the int
// range, a nil process, a pend used with two element types, an
// END regulator count below 1, an async chip's concurrency outside 1 to
// 65536, and misuse of the IO pool. A chip without a key is named by its
// index ("#2") throughout. A pend with no producer or no consumer adds the
// name it is a likely typo of (`did you mean
// "words"`) when one is clearly nearest. After an error the
// runlet (and pends its pools created while checking) should be dropped and
// the graph built anew; after success a second call returns [ErrAttached].
//
// Attach is a compiler from pools and chips to a plan (the engine's plan.go), in phases
// that each add their problems to one list: check (pools, chips, and every
// setting of a chip's Spec), resolve views (each reference to the storage
// pends it stands for, with their producers and consumers), size pends
// (reconcile and configure sizes), wire ENDs (refuse a cycle, count each
// pend's producers: the engine's fanin.go), index wakes (the scheduler's slots, pend
// and pool records and their indexes) and bind (each chip to its typed
// pends). Every phase runs even after problems, so that one error lists them
// all; the plan is installed only when there are none.
func (r *Runlet) Attach() error { return r.e().Attach() }

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
func (r *Runlet) Run(ctx context.Context) error { return r.e().Run(ctx) }

// Done returns a channel that is closed once the runlet has stopped, no
// process call is in flight and every chip has been told and closed;
// [Runlet.Err] then tells why. Worker goroutines may still be exiting: Run,
// which also waits for them, is the call after which none is left.
func (r *Runlet) Done() <-chan struct{} { return r.e().Done() }

// Err returns why the runlet stopped: nil while it runs and after a clean
// end, else the error Run returns. It never waits: the scheduler publishes
// the error the moment it starts stopping.
func (r *Runlet) Err() error { return r.e().Err() }

// Trigger queues every chip, in order, to try to run: it kick-starts the
// flow, and restarts it after Pause and Resume. Extra triggers are harmless.
// After Detach or once the runlet has stopped, Trigger does nothing.
func (r *Runlet) Trigger() { r.e().Trigger() }

// Pause stops the flow: no chip starts new work until Resume. Work in flight
// finishes and its results are pushed, but wake nobody. A sync chip in the
// middle of a burst stops within Config.Budget packs.
func (r *Runlet) Pause() { r.e().Pause() }

// Resume undoes Pause and triggers every chip.
func (r *Runlet) Resume() { r.e().Resume() }

// Abort stops the runlet with an error that matches [ErrAborted] and wraps
// cause. It takes the first-error path: chips are told, and Run returns the
// error. It does nothing if the runlet has already stopped.
func (r *Runlet) Abort(cause error) { r.e().Abort(cause) }

// Detach cuts the flow off for good and returns the state for post-mortem.
// Nothing is pushed once the scheduler has read the request (between two
// bursts of a sync chip, so within about Config.Budget packs), Trigger does
// nothing, chips are not told, and Run returns [ErrDetached] if the flow had
// not stopped already. Detach does not wait for the scheduler: the snapshot
// it returns is as fresh as [Runlet.Snapshot]'s, and its State is
// "detached".
func (r *Runlet) Detach() Snapshot { return Snapshot(r.e().Detach()) }
