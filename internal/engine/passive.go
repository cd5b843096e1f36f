package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/runlet/runlet/hints"
)

// Input feeds a pend from outside the runlet: a passive runlet's source.
// Create it with [PendInput]. Its methods are safe for concurrent use, but
// not from inside a sync chip's process: they wait for the scheduler, whose
// goroutine that is.
//
// The zero value is not usable. An Input must not be copied after first use.
type Input[T any] struct {
	r    *Runlet
	pend *Pend[T]
	key  PendName
}

// Output drains a pend from outside the runlet: a passive runlet's sink.
// Create it with [PendOutput]. Its methods are safe for concurrent use, but
// not from inside a sync chip's process: they wait for the scheduler, whose
// goroutine that is.
//
// The zero value is not usable. An Output must not be copied after first use.
type Output[T any] struct {
	r    *Runlet
	pend *Pend[T]
	key  PendName
}

// PendInput returns a handle that pushes packs of T into pend pendKey of pool
// poolKey. Create it before Attach when no chip produces into that pend, so
// that Attach knows the pend is fed from outside.
func PendInput[T any](r *Runlet, poolKey, pendKey string) (*Input[T], error) {
	p, err := r.handlePend(poolKey, pendKey, true)
	if err != nil {
		return nil, err
	}
	pd, err := Get[T](p, pendKey)
	if err != nil {
		return nil, fmt.Errorf("runlet: PendInput: pend %q of pool %q: %w", pendKey, poolKey, err)
	}
	return &Input[T]{r: r, pend: pd, key: PendName{Pool: poolKey, Pend: pendKey}}, nil
}

// PendOutput returns a handle that pulls packs of T from pend pendKey of pool
// poolKey. Create it before Attach when no chip consumes that pend.
func PendOutput[T any](r *Runlet, poolKey, pendKey string) (*Output[T], error) {
	p, err := r.handlePend(poolKey, pendKey, false)
	if err != nil {
		return nil, err
	}
	pd, err := Get[T](p, pendKey)
	if err != nil {
		return nil, fmt.Errorf("runlet: PendOutput: pend %q of pool %q: %w", pendKey, poolKey, err)
	}
	return &Output[T]{r: r, pend: pd, key: PendName{Pool: poolKey, Pend: pendKey}}, nil
}

// handlePend finds the pool of a handle and records the external use.
func (r *Runlet) handlePend(poolKey, pendKey string, in bool) (*Pool, error) {
	r.g.mu.Lock()
	defer r.release()
	what := "PendOutput"
	if in {
		what = "PendInput"
	}
	if poolKey == IOKey {
		return nil, fmt.Errorf("runlet: %s: pend %q: the IO pool cannot be fed or drained by hand", what, pendKey)
	}
	var p *Pool
	var keys []string // the candidates for a typo
	for _, q := range r.pools {
		if q != nil && q.Key() == poolKey {
			p = q
		}
		if q != nil {
			keys = append(keys, q.Key())
		}
	}
	if p == nil {
		return nil, fmt.Errorf("runlet: %s: pend %q: unknown pool %q%s", what, pendKey, poolKey, didYouMean(poolKey, keys))
	}
	k := PendName{Pool: poolKey, Pend: pendKey}
	if r.attached {
		if _, ok := r.pendIdx[k]; !ok {
			return nil, fmt.Errorf("runlet: %s: pool %q: pend %q is used by no chip (create the handle before Attach)", what, poolKey, pendKey)
		}
		if err := r.lateInput(k, in); err != nil {
			return nil, err
		}
	}
	e := r.ext[k]
	if in {
		e.in = true
	} else {
		e.out = true
	}
	r.ext[k] = e
	return p, nil
}

// lateInput refuses a new PendInput made after Attach on pend k when a chip
// also feeds k: Attach counted k's producers without it, so the chips' END
// would end k's readers before the input's.
func (r *Runlet) lateInput(k PendName, in bool) error {
	if !in || r.ext[k].in {
		return nil // an output, or one more handle of an input counted at Attach
	}
	stores := r.storesOf(k.Pool, k.Pend)
	for i := range r.slots {
		next := r.slots[i].spec.Next
		for _, st := range r.storesOf(next.Pool, next.Pend) {
			if slices.Contains(stores, st) {
				return fmt.Errorf("runlet: PendInput: pool %q: pend %q is fed by chip %q too: create the handle before Attach, so that the pend waits for its END as well as the chip's", k.Pool, k.Pend, r.slots[i].key)
			}
		}
	}
	return nil
}

// stopErr is what a handle returns once the runlet has stopped.
func (r *Runlet) stopErr() error {
	if r.err != nil {
		return r.err
	}
	return ErrEnded
}

// idx returns the scheduler's index of a handle's pend, or false before
// Attach.
func (r *Runlet) idx(k PendName) (int32, bool) {
	if !r.attached {
		return 0, false
	}
	i, ok := r.pendIdx[k]
	return i, ok
}

// CanPush reports whether Push would succeed now.
func (in *Input[T]) CanPush() bool {
	r := in.r
	r.g.mu.Lock()
	defer r.release()
	return !r.stopping && !in.pend.Limited()
}

// Push pushes pk (a data or END pack) and runs the chips it wakes. It returns
// an error wrapping [ErrLimited] when the pend is limited (use PushWait to
// wait for room), the runlet's error or [ErrEnded] once it has stopped, and an
// error for Skip and Redo packs.
func (in *Input[T]) Push(pk hints.Pack[T]) error {
	r := in.r
	r.g.mu.Lock()
	defer r.release()
	err, _ := in.tryPush(pk)
	return err
}

// tryPush pushes if it can; wait is the channel to wait on when the pend is
// limited. Only the holder of mu calls it.
func (in *Input[T]) tryPush(pk hints.Pack[T]) (err error, wait chan struct{}) {
	r := in.r
	if r.stopping {
		return r.stopErr(), nil
	}
	if in.pend.Limited() {
		err = fmt.Errorf("pool %q: pend %q: %w", in.key.Pool, in.key.Pend, ErrLimited)
		i, ok := r.idx(in.key)
		if !ok {
			return err, r.attachCh // before Attach: wait for it, then look again
		}
		ps := &r.pslots[r.pends[i].pool]
		if ps.room == nil {
			ps.room = make(chan struct{})
		}
		r.join() // another member's pull may make the room
		return err, ps.room
	}
	if err := in.pend.Push(pk); err != nil {
		return err, nil
	}
	if i, ok := r.idx(in.key); ok && !r.paused.Load() {
		r.wakePend(i)
	}
	return nil, nil
}

// PushWait pushes pk, waiting while the pend is limited (and, before Attach,
// for Attach). If ctx ends first it returns ctx's error and nothing was
// pushed.
func (in *Input[T]) PushWait(ctx context.Context, pk hints.Pack[T]) error {
	r := in.r
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.g.mu.Lock()
		err, wait := in.tryPush(pk)
		r.release()
		if wait == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wait:
		}
	}
}

// CanPull reports whether the pend holds a pack.
func (out *Output[T]) CanPull() bool {
	r := out.r
	r.g.mu.Lock()
	defer r.release()
	return out.pend.Len() > 0
}

// Pull takes the oldest pack, if any, and runs the chips waiting for room.
// Packs left in the pend can be pulled after the runlet has stopped.
func (out *Output[T]) Pull() (hints.Pack[T], bool) {
	r := out.r
	r.g.mu.Lock()
	defer r.release()
	pk, ok, _ := out.tryPull(false)
	return pk, ok
}

// tryPull takes the oldest pack, if any. Otherwise, if wait, it returns the
// channel closed when data may have come (Attach, a push), and joins the
// group so a push by another member reaches it; a Pull that will not wait
// makes no channel.
func (out *Output[T]) tryPull(wait bool) (pk hints.Pack[T], ok bool, ch chan struct{}) {
	r := out.r
	pk, ok = out.pend.Pull()
	i, attached := r.idx(out.key)
	if ok {
		if attached && !r.paused.Load() {
			r.wakePool(r.pends[i].pool)
		}
		return pk, true, nil
	}
	if !wait {
		return pk, false, nil
	}
	if !attached {
		return pk, false, r.attachCh
	}
	if r.stopping {
		return pk, false, nil
	}
	ps := &r.pends[i]
	if ps.data == nil {
		ps.data = make(chan struct{})
	}
	r.join() // another member's push may bring the data
	return pk, false, ps.data
}

// PullWait takes the oldest pack, waiting for one (and, before Attach, for
// Attach). If ctx ends first it
// returns ctx's error and nothing was taken; once the runlet has stopped and
// the pend is empty it returns the runlet's error or [ErrEnded].
func (out *Output[T]) PullWait(ctx context.Context) (hints.Pack[T], error) {
	r := out.r
	for {
		if err := ctx.Err(); err != nil {
			return hints.Pack[T]{}, err
		}
		r.g.mu.Lock()
		pk, ok, wait := out.tryPull(true)
		var err error
		if !ok && wait == nil {
			err = r.stopErr()
		}
		r.release()
		if ok || err != nil {
			return pk, err
		}
		select {
		case <-ctx.Done():
			return hints.Pack[T]{}, ctx.Err()
		case <-wait:
		}
	}
}

// Owner returns the runlet the handle belongs to.
func (in *Input[T]) Owner() *Runlet { return in.r }

// Owner returns the runlet the handle belongs to.
func (out *Output[T]) Owner() *Runlet { return out.r }
