package runlet

import (
	"context"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
)

// Input feeds a pend from outside the runlet: a passive runlet's source.
// Create it with [PendInput]. Its methods are safe for concurrent use, but
// not from inside a sync chip's process: they wait for the scheduler, whose
// goroutine that is.
//
// The zero value is not usable. An Input must not be copied after first use.
type Input[T any] engine.Input[T]

// Output drains a pend from outside the runlet: a passive runlet's sink.
// Create it with [PendOutput]. Its methods are safe for concurrent use, but
// not from inside a sync chip's process: they wait for the scheduler, whose
// goroutine that is.
//
// The zero value is not usable. An Output must not be copied after first use.
type Output[T any] engine.Output[T]

// PendInput returns a handle that pushes packs of T into pend pendKey of pool
// poolKey. Create it before Attach when no chip produces into that pend, so
// that Attach knows the pend is fed from outside.
func PendInput[T any](r *Runlet, poolKey, pendKey string) (*Input[T], error) {
	in, err := engine.PendInput[T](r.e(), poolKey, pendKey)
	return (*Input[T])(in), err
}

// PendOutput returns a handle that pulls packs of T from pend pendKey of pool
// poolKey. Create it before Attach when no chip consumes that pend.
func PendOutput[T any](r *Runlet, poolKey, pendKey string) (*Output[T], error) {
	out, err := engine.PendOutput[T](r.e(), poolKey, pendKey)
	return (*Output[T])(out), err
}

// CanPush reports whether Push would succeed now.
func (in *Input[T]) CanPush() bool { return (*engine.Input[T])(in).CanPush() }

// Push pushes pk (a data or END pack) and runs the chips it wakes. It returns
// an error wrapping [ErrLimited] when the pend is limited (use PushWait to
// wait for room), the runlet's error or [ErrEnded] once it has stopped, and an
// error for Skip and Redo packs.
func (in *Input[T]) Push(pk hints.Pack[T]) error { return (*engine.Input[T])(in).Push(pk) }

// PushWait pushes pk, waiting while the pend is limited (and, before Attach,
// for Attach). If ctx ends first it returns ctx's error and nothing was
// pushed.
func (in *Input[T]) PushWait(ctx context.Context, pk hints.Pack[T]) error {
	return (*engine.Input[T])(in).PushWait(ctx, pk)
}

// CanPull reports whether the pend holds a pack.
func (out *Output[T]) CanPull() bool { return (*engine.Output[T])(out).CanPull() }

// Pull takes the oldest pack, if any, and runs the chips waiting for room.
// Packs left in the pend can be pulled after the runlet has stopped.
func (out *Output[T]) Pull() (hints.Pack[T], bool) { return (*engine.Output[T])(out).Pull() }

// PullWait takes the oldest pack, waiting for one (and, before Attach, for
// Attach). If ctx ends first it
// returns ctx's error and nothing was taken; once the runlet has stopped and
// the pend is empty it returns the runlet's error or [ErrEnded].
func (out *Output[T]) PullWait(ctx context.Context) (hints.Pack[T], error) {
	return (*engine.Output[T])(out).PullWait(ctx)
}
