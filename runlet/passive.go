package runlet

import (
	"context"
	"fmt"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
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

// PendInput returns a handle that pushes packs of T into pend d. Create it
// before Attach when no chip produces into that pend, so that Attach knows
// the pend is fed from outside. d's pool joins r's pools if no chip of r
// names it. An unnamed d must have been named by a chip of r (see New).
func PendInput[T any](r *Runlet, d *pool.Pend[T]) (*Input[T], error) {
	p, k, err := handlePend(r, d, "PendInput")
	if err != nil {
		return nil, err
	}
	in, err := engine.PendInput[T](r.e(), p, k)
	return (*Input[T])(in), err
}

// PendOutput returns a handle that pulls packs of T from pend d. Create it
// before Attach when no chip consumes that pend. d's pool joins r's pools if
// no chip of r names it. An unnamed d must have been named by a chip of r
// (see New): a pend a chip pushes into is, so
//
//	out := pool.NewPend[int](p, "")
//	r := runlet.New([]chip.Chip{chip.Map("square", nums, out, sq)}, runlet.Config{})
//	o, err := runlet.PendOutput(r, out) // drains "square.out"
func PendOutput[T any](r *Runlet, d *pool.Pend[T]) (*Output[T], error) {
	p, k, err := handlePend(r, d, "PendOutput")
	if err != nil {
		return nil, err
	}
	out, err := engine.PendOutput[T](r.e(), p, k)
	return (*Output[T])(out), err
}

// handlePend returns the pool and pend keys of a passive handle's pend,
// adding its pool to r's pools if no chip of r names it.
func handlePend[T any](r *Runlet, d *pool.Pend[T], what string) (poolKey, pendKey string, err error) {
	switch {
	case d == nil:
		return "", "", fmt.Errorf("runlet: %s: nil pend", what)
	case d.Pool() == nil:
		return "", "", fmt.Errorf("runlet: %s: pend %q has no pool: declare it with pool.NewPend", what, d.Key())
	case d.Key() == "":
		return "", "", fmt.Errorf("runlet: %s: pend in pool %q has no key, and no chip of the runlet names it: give it a key in pool.NewPend", what, d.Pool().Key())
	}
	if err := r.e().UsePool((*engine.Pool)(d.Pool())); err != nil {
		return "", "", fmt.Errorf("runlet: %s: pend %q: %w", what, d.Key(), err)
	}
	return d.Pool().Key(), d.Key(), nil
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
