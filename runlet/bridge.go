package runlet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
)

var (
	// ErrBridgeUpstream is matched (errors.Is) by the error a [Bridge]'s In
	// chip fails the downstream runlet with when the upstream runlet failed
	// or stopped before passing END on. The error also wraps the upstream
	// runlet's own error.
	ErrBridgeUpstream = errors.New("runlet: bridge: the upstream runlet failed")
	// ErrBridgeDownstream is matched (errors.Is) by the error a [Bridge]'s
	// Out chip fails the upstream runlet with when the downstream runlet
	// failed or stopped before taking END. The error also wraps the
	// downstream runlet's error when it failed.
	ErrBridgeDownstream = errors.New("runlet: bridge: the downstream runlet stopped")
)

// Bridge carries packs of T from one runlet (upstream) to another
// (downstream), with backpressure and with errors travelling both ways.
//
// The upstream runlet gets the output chip [Bridge.Out] and the downstream
// runlet the input chip [Bridge.In]; each side runs its own Run, usually on
// its own goroutine:
//
//	b := runlet.NewBridge[int](64)
//	up := runlet.New([]chip.Chip{src, b.Out("to-b", x)}, runlet.Config{})   // x: src's next pend
//	down := runlet.New([]chip.Chip{b.In("from-a", y), sink}, runlet.Config{}) // y: sink's prev pend
//	go func() { errUp = up.Run(ctx) }()
//	errDown = down.Run(ctx)
//
// # Flow and backpressure
//
// Data packs and the one END cross through a buffer of capacity packs, in
// order: Out sends every pack it pulls, END included, and ends after the
// END; In pushes what it receives, as data, and ends at the END. When the
// buffer is full, Out waits, its prev pend fills to its pool's limit and
// the upstream runlet's producers wait in turn: a slow downstream holds the
// upstream back. What the bridge holds is capacity packs plus what the two
// chips hold (Out, an async chip, holds the batch it is sending, at most
// what its prev pend held; In holds one pack).
//
// The buffer is a buffered channel, so crossing costs one channel operation
// (and possibly a goroutine wake-up) per pack. That is fine at a runlet
// boundary, where a flow changes hands between two schedulers, but it is
// more than a pack costs inside a runlet: keep fine-grained work within one
// runlet, or bridge batches ([chip.Batch]) rather than single small values.
// Both chips are async with Concurrency 1.
//
// # Errors
//
// A failure on either side stops the other runlet, and nothing waits
// forever. Each chip learns its runlet when it is bound, so a failure on
// one side stops the other runlet at once, as [Runlet.Abort] would but with
// the bridge chip's error, even while that side's bridge chip is idle (In
// waiting for room downstream, Out waiting for packs upstream); and every
// blocking wait of both chips also watches its process ctx, which is
// cancelled when its own runlet stops.
//
//   - Upstream failure. When the upstream runlet fails (a chip error, Abort,
//     the end of its Run's ctx, a stall), its Out chip is told the error
//     through its OnError hook, unless it had already passed END on. The
//     downstream runlet then stops with an error that matches
//     [ErrBridgeUpstream] and wraps the upstream's error: its Run returns a
//     [*ChipError] naming the In chip, and errors.Is reaches both the
//     sentinel and the upstream's error (a *ChipError naming the upstream
//     chip that failed, an abort error, ctx's error). After
//     [Runlet.Detach], which tells no chip, the upstream's error is
//     [ErrDetached].
//   - Downstream failure or stop. When the downstream runlet stops before
//     its In chip has received END (a chip error, Abort, Detach, the end of
//     its ctx, or a clean end of its flow that left In unfinished, as after
//     a Take), the upstream runlet stops with an error that matches
//     [ErrBridgeDownstream] and wraps the downstream's error when it failed
//     (after Detach or a clean end, the sentinel alone): its Run returns a
//     [*ChipError] naming the Out chip. An Out chip waiting for room in the
//     buffer gives up at once.
//
// Packs in the buffer when one side fails are dropped: once the upstream
// has failed, In delivers nothing more, even if packs are buffered (those it
// had already pushed downstream are processed only as far as the
// downstream's stop allows), and once the downstream has stopped, Out sends
// nothing more. Once Out has passed END on, the stream is complete: a later
// failure of the upstream runlet no longer reaches the downstream one.
//
// Failures are told through the chips' OnError and Close hooks, which the
// runlet calls once it has stopped and its async work has drained. A side
// that never runs (a runlet attached but never Run) tells nothing, and the
// other side then waits until its own ctx ends or it is aborted. A side
// bound to a runlet that is not this package's learns of a failure only
// when its chip next waits, and then fails with the error itself.
//
// A Bridge is used once, by exactly one runlet on each side: Out and In may
// each be bound once (a second Bind, by the same or another runlet, fails
// its Attach). A Bridge's methods are safe for concurrent use.
//
// The zero value is not usable: make one with [NewBridge]. A Bridge must not
// be copied after first use.
type Bridge[T any] struct {
	ch chan hints.Pack[T] // the buffer: data packs and the one END

	upDone   chan struct{} // closed when the upstream failed; upErr is then set
	downDone chan struct{} // closed when the downstream stopped; downErr is then set

	sent     atomic.Bool // Out has sent END
	received atomic.Bool // In has received END

	mu          sync.Mutex
	up, down    bridgeSide // the runlets bound on each side
	upErr       error      // set once, before upDone is closed
	downErr     error      // set once, before downDone is closed
	upStopped   bool       // the downstream runlet was told to stop for upErr
	downStopped bool       // the upstream runlet was told to stop for downErr
}

// bridgeSide is one side's binding: the chip's key and its runlet, nil when
// not bound yet or bound by a host other than this package's.
type bridgeSide struct {
	bound bool
	key   string
	stop  func(error) // stops the runlet the chip is bound to; nil until bound
}

// NewBridge returns a bridge whose buffer holds capacity packs. A capacity
// of 0 hands each pack over directly, when both sides meet. It panics if
// capacity is negative.
func NewBridge[T any](capacity int) *Bridge[T] {
	if capacity < 0 {
		panic(fmt.Sprintf("runlet: NewBridge: negative capacity %d", capacity))
	}
	return &Bridge[T]{
		ch:     make(chan hints.Pack[T], capacity),
		upDone: make(chan struct{}), downDone: make(chan struct{}),
	}
}

// failUp records the upstream's failure (only the first counts) and stops
// the downstream runlet unless In has received END.
func (b *Bridge[T]) failUp(cause error) {
	b.mu.Lock()
	if b.upErr != nil {
		b.mu.Unlock()
		return
	}
	b.upErr = fmt.Errorf("%w: %w", ErrBridgeUpstream, cause)
	target := b.down
	stop := target.stop != nil && !b.received.Load()
	b.upStopped = stop
	close(b.upDone)
	err := b.upErr
	b.mu.Unlock()
	if stop {
		// As if In had failed; Abort's way, which may be used from anywhere.
		target.stop(&ChipError{Chip: target.key, Err: err})
	}
}

// failDown records the downstream's stop (only the first counts; cause is
// nil when the downstream did not fail) and stops the upstream runlet unless
// Out has sent END.
func (b *Bridge[T]) failDown(cause error) {
	b.mu.Lock()
	if b.downErr != nil {
		b.mu.Unlock()
		return
	}
	if cause == nil {
		b.downErr = fmt.Errorf("%w before taking END", ErrBridgeDownstream)
	} else {
		b.downErr = fmt.Errorf("%w: %w", ErrBridgeDownstream, cause)
	}
	target := b.up
	stop := target.stop != nil && !b.sent.Load()
	b.downStopped = stop
	close(b.downDone)
	err := b.downErr
	b.mu.Unlock()
	if stop {
		target.stop(&ChipError{Chip: target.key, Err: err})
	}
}

// seen is what a chip returns once it has seen the other side's failure:
// if its own runlet was told to stop, ctx's error once that has happened
// (the runlet's error is already set, so this one is not reported);
// otherwise the failure itself.
func (b *Bridge[T]) seen(ctx context.Context, up bool) error {
	b.mu.Lock()
	stopped, err := b.downStopped, b.downErr
	if up {
		stopped, err = b.upStopped, b.upErr
	}
	b.mu.Unlock()
	if stopped {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

// Out returns the bridge's output chip for the upstream runlet: an async
// output chip (Concurrency 1) that pulls packs of T from prev and sends them
// across, and ends after sending END. See [Bridge] for its errors.
func (b *Bridge[T]) Out(key string, prev *pool.Pend[T]) chip.Chip {
	c := chip.New(chip.Config[T, struct{}, struct{}]{
		Key: key, Prev: prev, Async: true, Concurrency: 1,
		Process: func(ctx context.Context, in hints.Pack[T], _ *struct{}) (hints.Pack[struct{}], error) {
			select { // a stop already seen wins over room in the buffer
			case <-b.downDone:
				return hints.Pack[struct{}]{}, b.seen(ctx, false)
			default:
			}
			select {
			case b.ch <- in:
			case <-b.downDone:
				return hints.Pack[struct{}]{}, b.seen(ctx, false)
			case <-ctx.Done():
				return hints.Pack[struct{}]{}, ctx.Err()
			}
			if in.Hint == hints.End {
				b.sent.Store(true)
				return hints.EndOf[struct{}](1), nil
			}
			return hints.SkipOf[struct{}](), nil
		},
		OnError: func(err error, _ *hints.Pack[T], _ *struct{}) {
			if !b.sent.Load() {
				b.failUp(err)
			}
		},
		Close: func(*struct{}) {
			// Reached without OnError only after Detach, which tells no
			// chip (every other stop does, before Close).
			if !b.sent.Load() {
				b.failUp(ErrDetached)
			}
		},
	})
	return &bridgeChip{Chip: c, side: &b.up, mu: &b.mu, what: "Out"}
}

// In returns the bridge's input chip for the downstream runlet: an async
// input chip (Concurrency 1) that pushes the packs of T sent across to next,
// in order, and ends at END. See [Bridge] for its errors.
func (b *Bridge[T]) In(key string, next *pool.Pend[T]) chip.Chip {
	c := chip.New(chip.Config[struct{}, T, struct{}]{
		Key: key, Next: next, Async: true, Concurrency: 1,
		Process: func(ctx context.Context, _ hints.Pack[struct{}], _ *struct{}) (hints.Pack[T], error) {
			select { // a failure already seen wins over buffered packs
			case <-b.upDone:
				return hints.Pack[T]{}, b.seen(ctx, true)
			default:
			}
			select {
			case pk := <-b.ch:
				if pk.Hint == hints.End {
					b.received.Store(true)
					return hints.EndOf[T](1), nil
				}
				return hints.Data(pk.Value), nil
			case <-b.upDone:
				return hints.Pack[T]{}, b.seen(ctx, true)
			case <-ctx.Done():
				return hints.Pack[T]{}, ctx.Err()
			}
		},
		OnError: func(err error, _ *hints.Pack[struct{}], _ *struct{}) {
			if !b.received.Load() {
				b.failDown(err)
			}
		},
		Close: func(*struct{}) {
			// A clean end that left In unfinished, or Detach.
			if !b.received.Load() {
				b.failDown(nil)
			}
		},
	})
	return &bridgeChip{Chip: c, side: &b.down, mu: &b.mu, what: "In"}
}

// bridgeChip is one of a Bridge's chips: it may be bound once, and it
// records the runlet it is bound to.
type bridgeChip struct {
	chip.Chip
	side *bridgeSide // protected by mu
	mu   *sync.Mutex
	what string
}

// Bind implements [chip.Chip]: the first call binds, later ones fail.
func (c *bridgeChip) Bind(b engine.Binding) (engine.Runner, error) {
	c.mu.Lock()
	again := c.side.bound
	c.side.bound = true
	c.mu.Unlock()
	if again {
		return nil, fmt.Errorf("runlet: bridge: the %s chip is already bound; a Bridge serves one runlet on each side, once", c.what)
	}
	run, err := c.Chip.Bind(b)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.side.key = c.Spec().Key
	if b.Host != nil {
		c.side.stop = b.Host.Stop
	}
	c.mu.Unlock()
	return run, nil
}
