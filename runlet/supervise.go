package runlet

import "github.com/runlet/runlet/internal/engine"

// Supervision restarts a chip inside its runlet, as an OTP supervisor
// restarts a child: see "Supervision" in the package doc for the table of
// cause × restart type. A chip's restart type and its at-most-once choice
// are set on its config (chip.Config.Supervise); the strategy, intensity
// and delay on [Config.Supervisor].

// Supervisor is a runlet's supervision settings: the strategy
// ([OneForOne], [RestForOne], [OneForAll]), the intensity (MaxRestarts
// restarts within Period, defaults 1 and 5 s; one more gives up and the
// error, a [*GiveUpError], is Run's), the restart delay with its jitter
// (seeded by Seed, on a timer: never blocking the scheduler) and OnEvent,
// a hook for every [Event] (called on the scheduler's goroutine, after the
// event is logged to Config.Logger; it must not block). The period's clock
// stops during restart delays. A plain value, copied by New; the zero value
// is one_for_one, 1 restart in 5 s, no delay.
type Supervisor = engine.Supervisor

// Strategy says which chips are restarted with a failed one.
type Strategy = engine.Strategy

// The strategies.
const (
	// OneForOne restarts the failed chip alone.
	OneForOne = engine.OneForOne
	// RestForOne restarts the failed chip and every chip downstream of it
	// (fed, directly or not, by its next or dead-letter pend).
	RestForOne = engine.RestForOne
	// OneForAll restarts every chip of the runlet that has not ended.
	OneForAll = engine.OneForAll
)

// Event is a supervision event: its Kind, the chip, the cause, the chip
// whose failure caused it (By), the chip's restarts so far and the delay.
// A plain value, safe to copy.
type Event = engine.Event

// EventKind is the kind of an [Event].
type EventKind = engine.EventKind

// The event kinds.
const (
	EventRestart   = engine.EventRestart   // a chip is bound again
	EventGiveUp    = engine.EventGiveUp    // the intensity was exceeded
	EventEscalate  = engine.EventEscalate  // the error goes to Run (and a parent runlet)
	EventShutdown  = engine.EventShutdown  // an async chip outlived its shutdown budget
	EventStateLost = engine.EventStateLost // a restarted chip's state went to no hook
)

// GiveUpError is Run's error when the supervisor gave up; errors.Is(err,
// [ErrGaveUp]) holds and errors.Is/As reach the chip's error.
type GiveUpError = engine.GiveUpError

// SupervisorSnapshot is the supervisor's part of a [Snapshot]: its
// strategy, its restarts in all and its latest 16 events.
type SupervisorSnapshot = engine.SupervisorSnapshot

// EventNote is an [Event] as a snapshot shows it.
type EventNote = engine.EventNote

var (
	// ErrGaveUp is matched by a [GiveUpError].
	ErrGaveUp = engine.ErrGaveUp
	// ErrEarlyEnd is the cause of a permanent chip's restart after it
	// returned END before its input's END.
	ErrEarlyEnd = engine.ErrEarlyEnd
)
