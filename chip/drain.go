package chip

import (
	"context"

	"github.com/runlet/runlet/internal/engine"
)

// Drained returns a channel that is closed once the runlet running the chip
// drains (runlet's Drain or DrainOnSignal), or nil (never ready) when ctx
// is not a process ctx of a runlet, nor derived from one.
//
// Once the runlet drains, an input chip (nil Prev) is called with an END
// pack instead of a Skip pack: it returns what it already holds (data
// packs, it is called again with END) and then END, and must stop
// producing. A sync chip needs nothing more. A call of an async input
// chip that waits on the world (a channel, a queue, a generator) selects
// on Drained(ctx) next to ctx.Done(), so that the drain does not wait for
// the world: on it, return what was received, or END. The adapters of this
// package (NewInput, FromSeq, FromChan, Generate, Lines, FromReader) do it
// for their sources. ctx itself is not cancelled by a drain: work in
// flight finishes.
//
// It is safe to call from any goroutine; it allocates nothing.
func Drained(ctx context.Context) <-chan struct{} { return engine.DrainSignal(ctx) }
