package chip

import (
	"fmt"
	"time"

	"github.com/runlet/runlet/internal/engine"
)

// Restart is a chip's restart type ([Supervise.Restart]): which of its
// stops the runlet's supervisor restarts, as in Erlang/OTP. The table of
// cause × type is in package runlet's doc ("Supervision"); in short, an
// error restarts permanent and transient chips, an early END (before the
// input's END) only permanent ones, a normal END none, and a chip stopped
// by a sibling's one_for_all or rest_for_one restart is restarted unless
// temporary. A plain value; the zero value is [Temporary], never restarted
// (the first error fails the runlet, as without supervision).
type Restart = engine.RestartType

// The restart types.
const (
	Temporary = engine.RestartTemporary // never restarted
	Transient = engine.RestartTransient // restarted after an error
	Permanent = engine.RestartPermanent // restarted after an error or an early END
)

// Supervise is a chip's supervision settings ([Config.Supervise], or
// [Func.Supervised] on a constructor's chip). A restart binds the chip
// again: fresh state from its state factory, on the same pends, whose packs
// stay. A plain value; the zero value is a temporary chip.
//
// With the chip's [Policy]: Retry, Timeout, Breaker and Rate act first, per
// call, as without supervision; on a chip that can be restarted, Policy.Dead
// is the supervisor's dead-letter pend: a pack the policy gives up on fails
// the chip (which restarts it) instead of going there, and at the restart
// it goes there if AtMostOnce, with the inputs salvaged from the chip's
// state.
type Supervise struct {
	// Restart is the chip's restart type; see [Restart].
	Restart Restart
	// AtMostOnce sends the pack whose call failed to the dead-letter pend
	// ([Policy.Dead], which it needs) at a restart, with the error, instead
	// of re-offering it first to the restarted chip (at-least-once, the
	// default: a pack that always fails then fails every restart, until the
	// supervisor gives up). An early END's pack counts as the failed one.
	AtMostOnce bool
	// Shutdown is how long an async chip's calls in flight get to return at
	// a restart before their ctx is cancelled (and the chip is reported as
	// a runlet.EventShutdown). Default 5 s. A sync chip has no call in
	// flight when it is restarted.
	Shutdown time.Duration
	// OnRestart, if set, is given the old state before a restart, and the
	// cause (for a chip stopped by a sibling's restart, one matching
	// runlet.ErrRestarted). The state is the chip's state value, or for a
	// constructor that says so its meaningful part (a Fold's accumulator,
	// a Batch's partial batch []T). It runs on the scheduler's goroutine
	// and must not block; a panic there is reported to Config.OnError.
	// Without it, the inputs a chip can name in its state ([Config.Salvage]:
	// a Batch's partial batch) go to its dead-letter pend, which it then
	// needs; a state that cannot name its inputs (a Fold's accumulator) is
	// dropped and reported as a runlet.EventStateLost event, logged with
	// its Describe text.
	OnRestart func(state any, cause error)
}

// Supervised returns a copy of f with its supervision settings set to s:
// the way to supervise a chip made by a constructor.
func (f *Func[In, Out, S]) Supervised(s Supervise) *Func[In, Out, S] {
	g := *f
	g.cfg.Supervise = s
	return &g
}

// applySupervise copies the chip's supervision settings into its step,
// after its policy: on a restartable chip the policy's Dead stage is the
// supervisor's (a pack the policy gives up on fails the chip).
func applySupervise[In, Out, S any](f *Func[In, Out, S], step *engine.Func[In, Out, S]) {
	c := &f.cfg
	if c.Supervise.Restart != Temporary && c.Policy.Dead != nil {
		step.Fail = nil
		if c.Policy.Retry != nil || c.Policy.Breaker != nil {
			step.Fail = failFunc(c.Policy.Retry, false)
		}
	}
	step.Restart, step.AtMostOnce, step.Shutdown = c.Supervise.Restart, c.Supervise.AtMostOnce, c.Supervise.Shutdown
	step.Salvage = c.Salvage
	if f.salvage != nil {
		step.Salvage = f.salvage
	}
	if h := c.Supervise.OnRestart; h != nil {
		view := f.stateView
		step.OnRestart = func(s *S, cause error) {
			if view != nil {
				h(view(s), cause)
				return
			}
			h(*s, cause)
		}
	}
}

// Supervised returns c with its supervision settings set to s: for a chip
// known only as a [Chip] (a runlet.SubRunlet, say). Every chip of this
// package can be supervised; for another, the returned chip's Bind fails,
// naming why.
func Supervised(c Chip, s Supervise) Chip {
	if sc, ok := c.(interface{ supervised(Supervise) Chip }); ok {
		return sc.supervised(s)
	}
	return unsupervisable{c}
}

func (f *Func[In, Out, S]) supervised(s Supervise) Chip { return f.Supervised(s) }

// unsupervisable is a chip that Supervised could not supervise.
type unsupervisable struct{ Chip }

func (u unsupervisable) Bind(engine.Binding) (engine.Runner, error) {
	return nil, fmt.Errorf("chip.Supervised: %T is not a chip of package chip and cannot be supervised", u.Chip)
}
