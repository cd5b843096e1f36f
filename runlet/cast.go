package runlet

import (
	"context"
	"errors"
	"reflect"

	"github.com/runlet/runlet/internal/engine"
)

var (
	// ErrRestarted is matched (errors.Is) by the error of a [Call] that was
	// pending when its chip was restarted by its supervisor: the function
	// never ran, on the old state nor on the new one. A [Cast] pending then
	// is dropped and counted in the chip's snapshot
	// ([ChipSnapshot].CastsDropped). It is also matched by the cause given
	// to the state hook of a chip stopped for a sibling's restart, and by
	// the error of a dead letter salvaged from a restarted chip's state.
	ErrRestarted = engine.ErrRestarted
	// ErrChipEnded is matched by the error of a Call to a chip that has
	// ended (it returned END, or was ended because nobody reads its
	// output): its state is gone, and the function never ran.
	ErrChipEnded = engine.ErrChipEnded
	// ErrStopped is matched by the error of a Cast or Call to a runlet that
	// has stopped, and of a Call still pending when it stopped.
	ErrStopped = engine.ErrStopped
)

// CastError is the error of a [Cast] or [Call] that did not run its
// function: Op is "cast" or "call", Chip the chip's key, and Err why: an
// error matching [ErrRestarted], [ErrChipEnded] or [ErrStopped], the Call's
// ctx's cause, or what is wrong with the request (no chip of that key, with
// the nearest key; a state of another type, naming both). errors.Is and
// errors.As reach Err.
//
// It is immutable once made and safe to read from any goroutine; the zero
// value names no chip and wraps nil.
type CastError = engine.CastError

// Cast queues f to run on the state of the running chip chip (the *S its
// state factory made) between two of its process calls, and returns at once:
// a user changes a running chip's settings (a factor, a threshold, a filter)
// without a lock, since f never runs while a process call of that chip does.
//
// Where f runs: on the scheduler's goroutine (which may be the caller's, as
// for [Runlet.Trigger], when the scheduler was idle), before the next burst
// of a sync chip; for an async chip once none of its batches is out, and the
// chip hands out no new batch until f has run. Casts to one chip run in the
// order they were made. f must not block: the scheduler waits for it.
//
// Cast returns an error (a [*CastError]) and queues nothing when no chip of
// r has that key (it names the nearest), when the chip's state is not an S,
// when the chip has no state to cast to (not made by package chip), when f
// is nil, or when r has stopped. A cast that finds its chip ended or
// restarted, or is still queued when r stops, is dropped and counted in the
// chip's snapshot (CastsDropped). A panic in f is the chip's error, as one
// in its process would be. Cast may be made before Run (the casts wait for
// it), from any goroutine, including from a chip's process or another
// cast's f.
func Cast[S any](r *Runlet, chip string, f func(state *S)) error {
	if f == nil {
		return &CastError{Op: "cast", Chip: chip, Err: errors.New("nil function")}
	}
	return r.e().Cast(chip, reflect.TypeFor[S](), func(st any) { f(st.(*S)) })
}

// Call queues f like [Cast] and waits for its result: what f returns, or
// the error of a call that did not run f (a [*CastError]): the errors Cast
// returns; ctx's cause if ctx ended before f started (f then never runs;
// once it has started, Call waits for it); [ErrChipEnded] if the chip ends
// (or has ended) before f could run; [ErrRestarted] if its supervisor
// restarts it meanwhile; [ErrStopped] if r stops. A panic in f is the
// chip's error and Call's.
//
// Call must not be made on the scheduler's goroutine (from a sync chip's
// process or from a cast's f): it would wait for itself. It starts no
// goroutine.
func Call[S, R any](ctx context.Context, r *Runlet, chip string, f func(state *S) (R, error)) (R, error) {
	var zero R
	if f == nil {
		return zero, &CastError{Op: "call", Chip: chip, Err: errors.New("nil function")}
	}
	v, err := r.e().Call(ctx, chip, reflect.TypeFor[S](), func(st any) (any, error) { return f(st.(*S)) })
	res, _ := v.(R) // nil (the zero R) for a call that did not run f
	return res, err
}
