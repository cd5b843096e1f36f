package chip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
)

// MaxBatch is the most packs an async chip hands a worker at once (see
// "Sync and async chips" in the package doc).
const MaxBatch = engine.MaxBatch

// Process turns one input pack into one output pack; the output's hint steers
// the flow (see the hints package). state is the chip's own state, made by
// [Config.State]. ctx is cancelled when the runlet stops.
//
// A Process of a sync chip runs on the scheduler's goroutine and must not
// block. A Process of an async chip runs on a worker goroutine; with
// Concurrency > 1 several calls run at once and share state, so state must
// then be safe for concurrent use.
//
// A nil Process is an error of Attach, naming the chip.
type Process[In, Out, S any] func(ctx context.Context, in hints.Pack[In], state *S) (hints.Pack[Out], error)

// Config declares a chip. Key, Prev, Next and Process are required; the zero
// value of every other field is a documented default.
//
// A Config is a plain value, copied into the chip by [New]; changing it
// afterwards does not change the chip.
type Config[In, Out, S any] struct {
	// Key names the chip; it must be unique within a runlet.
	Key string
	// Prev is where the chip pulls from, nil for an input chip (it is
	// called with a Skip pack whenever it may produce); Next is where it
	// pushes to, nil for an output chip (it returns SKIP for data and END at
	// the end). A chip with a key names an unnamed Next "<key>.out" (see
	// pool.Pend).
	Prev *pool.Pend[In]
	Next *pool.Pend[Out]
	// State makes the chip's state, once per Bind. Nil means S's zero value.
	// State is made by a factory, never shared, so a rebound chip starts
	// fresh.
	State func() S
	// Async runs Process off the scheduler's goroutine, on worker goroutines
	// fed batches of packs. Sync chips (the default) run on the scheduler's
	// goroutine, which is much cheaper per pack.
	Async bool
	// Concurrency is how many Process calls of an async chip may run at once
	// (default 1; ignored for sync chips). Order is kept with 1, or with
	// Ordered.
	Concurrency int
	// Ordered makes an async chip with Concurrency > 1 push its outputs in
	// the order of its inputs. Outputs that finished early wait in a reorder
	// buffer bounded by the batches in flight, and count against the next
	// pend's limits meanwhile, so a slow head item applies backpressure
	// instead of growing memory. A REDO run is then never split across
	// batches.
	Ordered bool
	// Process is the chip's work.
	Process Process[In, Out, S]
	// OnError, if set, is told the runlet's first error once, after every
	// worker of this chip has stopped. held is the pack the chip was holding
	// (nil for the chip that failed, for an async chip, or when it held
	// none). Chips that ended before the error are not told.
	OnError func(err error, held *hints.Pack[In], state *S)
	// Timer, if set, makes the chip time-aware (sync chips only). Whenever
	// the chip runs out of input, the scheduler asks Timer how long the chip
	// will wait for more: ok false means "no wait, just input"; a wait <= 0
	// means "time is up now". When time is up with still no input, Process
	// is called with a Skip pack as the input, meaning "time is up", and
	// returns data (say, a partial batch), Skip or END as usual. Timer is
	// asked again at every such moment, so it should compute the wait from
	// the state (for example, maxWait minus the age of the oldest item).
	// Time comes from the time package, so it is fake under testing/synctest.
	Timer func(state *S) (wait time.Duration, ok bool)
	// Close, if set, is called once when the runlet has stopped, after
	// OnError and after every worker of this chip has stopped, however the
	// runlet stopped: the place to release files, iterators and the like held
	// in state.
	Close func(state *S)
	// Describe, if set, adds a note to the chip's line in Describe. For an
	// async chip it is called only while no work is in flight. It is called
	// once more as the runlet settles, just before Close, and never after
	// Close. A panic in it shows in the note and fails the runlet with a
	// [PanicError].
	Describe func(state *S) string
	// Ready, if set, lets an async input chip (nil Prev) hand over its
	// values in batches: it reports how many next Process calls would
	// produce without waiting on the world (values the chip already has in
	// hand: a buffered line, a received message), 0 when the next call
	// would wait. It must not block. It is called on the worker after each
	// call while the batch has room, and on the scheduler's goroutine
	// before a batch goes out while none is out, never at the same time as
	// Process. The batch is handed over as soon as it reports 0, so a
	// value never waits for a later one: a sparse source pushes each value
	// at once, a fast one moves in batches. Without Ready each call of an
	// async input chip is its own batch, since the engine cannot tell
	// whether the next call would wait. Attach refuses Ready on any other
	// chip. The adapters of this package (Lines, FromChan, Generate,
	// FromReader) set their own.
	Ready func(state *S) int
	// Policy is the chip's error policy: retry, timeout, dead-letter pend,
	// circuit breaker and rate limit, each optional (see [Policy]). The
	// zero value has none: the first process error fails the runlet.
	Policy Policy[In]
	// Supervise is the chip's restart type and restart settings (see
	// [Supervise]); the zero value is never restarted.
	Supervise Supervise
	// Salvage, if set, names the inputs the chip holds in its state (an N:1
	// chip's partial group): at a restart without a Supervise.OnRestart hook
	// they go to the dead-letter pend, so that none vanishes. A chip with a
	// State factory whose state holds no input returns nil, which also
	// tells the supervisor that nothing is lost with the state (else a
	// restart reports its state as dropped: runlet.EventStateLost).
	Salvage func(state *S) []In
}

// Func is a chip made of a process function: the chip every constructor in
// this package returns. It is immutable after [New] and safe to share; each
// Bind makes a fresh runner with fresh state.
//
// The zero value is not usable: make one with [New] or a constructor of
// this package.
type Func[In, Out, S any] struct {
	cfg   Config[In, Out, S]
	check func() error // extra validation by a constructor, run at Bind
	// ready, set by the input adapters, says how many next Process calls
	// would produce without waiting (engine.Func.Ready).
	ready func(state *S) int
	// run, set by the constructors that can, is Process over a run of packs
	// for the sync hot path (engine.RunFunc).
	run engine.RunFunc[In, Out, S]
	// progress, set by the sources that know the size of their work,
	// reports done and total in progressUnit (engine.Func.Progress).
	progress     func(state *S) (done, total int64)
	progressUnit string
	// salvage and stateView, set by the constructors that hold inputs or a
	// result across packs, are their Config.Salvage and the part of their
	// state a Supervise.OnRestart hook gets.
	salvage   func(state *S) []In
	stateView func(state *S) any
}

// New returns the chip described by c. Mistakes in c are reported by the
// runlet's Attach, which lists every problem with the chip key.
func New[In, Out, S any](c Config[In, Out, S]) *Func[In, Out, S] {
	return &Func[In, Out, S]{cfg: c}
}

// Spec implements [Chip].
func (f *Func[In, Out, S]) Spec() Spec {
	n := 0
	if f.cfg.Async {
		n = max(f.cfg.Concurrency, 1)
		if f.cfg.Concurrency < 0 {
			n = f.cfg.Concurrency
		}
	}
	sp := Spec{Key: f.cfg.Key, Prev: f.prevRef(), Next: f.nextRef(), Async: f.cfg.Async, Concurrency: n, Restart: f.cfg.Supervise.Restart}
	if d := f.cfg.Policy.Dead; d != nil {
		sp.Dead = engine.DeclOf((*engine.PendDecl[DeadLetter[In]])(d)).Ref("")
	}
	return sp
}

// prevRef and nextRef read the chip's pend declarations as the engine's
// references: nil stands for the IO pool's input or output pend.
func (f *Func[In, Out, S]) prevRef() PendRef {
	return engine.DeclOf((*engine.PendDecl[In])(f.cfg.Prev)).Ref(pool.InputKey)
}

func (f *Func[In, Out, S]) nextRef() PendRef {
	return engine.DeclOf((*engine.PendDecl[Out])(f.cfg.Next)).Ref(pool.OutputKey)
}

// Bind implements [Chip]: it hands the engine a step built from the
// chip's Config, which resolves the typed pends and makes the state. It
// reports only what the chip alone knows (a nil process, a Timer on an async
// chip, a constructor's own settings, an element type that does not match
// the pend's); what Spec tells (key, pends, sizes, concurrency) is checked
// by the runlet's Attach before it binds. Bind is for the engine only: its
// argument and result are types of the module's internal engine.
func (f *Func[In, Out, S]) Bind(b engine.Binding) (engine.Runner, error) {
	c := &f.cfg
	step := &engine.Func[In, Out, S]{
		PrevPend: f.prevRef().Pend, NextPend: f.nextRef().Pend,
		State: c.State, Async: c.Async, Concurrency: c.Concurrency, Ordered: c.Ordered,
		Process: c.Process, OnError: c.OnError, Timer: c.Timer, Close: c.Close, Describe: c.Describe,
		Check: f.check, Ready: f.ready, Run: f.run,
		Progress: f.progress, ProgressUnit: f.progressUnit,
	}
	if c.Ready != nil {
		step.Ready = c.Ready
	}
	step.Key = c.Key
	if err := c.Policy.check(); err != nil {
		prev := step.Check
		step.Check = func() error {
			if prev != nil {
				return errors.Join(prev(), err)
			}
			return err
		}
	} else {
		applyPolicy(c.Key, &c.Policy, step)
	}
	applySupervise(f, step)
	return step.Bind(b)
}

// refuse makes Attach report the constructor arguments that are missing
// (nil): names holds the names of the nil ones, or "" for the others.
func refuse[In, Out, S any](f *Func[In, Out, S], names ...string) *Func[In, Out, S] {
	var missing []string
	for _, n := range names {
		if n != "" {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return f
	}
	prev := f.check
	f.check = func() error {
		err := fmt.Errorf("nil %s", strings.Join(missing, ", "))
		if prev != nil {
			return errors.Join(err, prev())
		}
		return err
	}
	return f
}

// nilArg returns name if isNil, for refuse.
func nilArg(name string, isNil bool) string {
	if isNil {
		return name
	}
	return ""
}
