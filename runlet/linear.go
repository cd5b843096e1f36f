package runlet

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
)

// Stage makes one chip of a linear runlet from the pends it is given: it
// pulls from prev and pushes to next. The first stage of [Linear] gets
// [chip.Input] as prev (it is the input chip) and the last gets
// [chip.Output] as next (it is the output chip). A Stage is usually a
// closure over a chip constructor:
//
//	func(prev, next chip.PendRef) chip.Chip { return chip.Transform("gzip", prev, next, bufs, newGzip) }
//
// [Linear] calls each Stage once, in order, on the caller's goroutine; a nil
// Stage is reported by Linear as an error naming its position.
type Stage func(prev, next chip.PendRef) chip.Chip

// LinearPool is the key of the count pool [NewLinear] makes when given none,
// and LinearLimit its limit.
const (
	LinearPool  = "runlet:linear"
	LinearLimit = 16
)

// NewLinear builds a linear runlet, input -> stages... -> output, without
// running it: stage i pushes into the pend named strconv.Itoa(i) of pool p,
// which stage i+1 pulls from. p holds every pend between stages, so its limit
// bounds what the whole flow buffers; nil means a count pool of key
// [LinearPool] and limit [LinearLimit]. The pends are not sized; a stage may
// size its refs (both sides of a pend must then agree).
//
// It needs at least two stages (an input and an output chip) and fails for a
// nil stage or a stage that makes a nil chip. Everything else (duplicate chip
// keys, element types that do not match across a pend, ...) is reported by
// Attach, which Run calls.
func NewLinear(p *pool.Pool, cfg Config, stages ...Stage) (*Runlet, error) {
	if len(stages) < 2 {
		return nil, fmt.Errorf("runlet: linear: %d stages; need at least an input and an output", len(stages))
	}
	if p == nil {
		p = pool.New(LinearPool, LinearLimit)
	}
	var errs []error
	chips := make([]chip.Chip, len(stages))
	for i, stage := range stages {
		if stage == nil {
			errs = append(errs, fmt.Errorf("runlet: linear: stage #%d is nil", i))
			continue
		}
		prev, next := chip.Input, chip.Output
		if i > 0 {
			prev = chip.At(p.Key(), strconv.Itoa(i-1))
		}
		if i < len(stages)-1 {
			next = chip.At(p.Key(), strconv.Itoa(i))
		}
		if chips[i] = stage(prev, next); chips[i] == nil {
			errs = append(errs, fmt.Errorf("runlet: linear: stage #%d made a nil chip", i))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return New([]*pool.Pool{p}, chips, cfg), nil
}

// Linear builds a linear runlet with [NewLinear] and the default [Config],
// runs it and returns Run's error: nil once the output stage has ended, the
// first chip error wrapped in a [*ChipError] naming the chip, or ctx's error.
// When it returns, every goroutine the runlet started has ended. It is the
// quick way to push a stream through a few chips:
//
//	bufs := pool.NewBuffers(64 << 10)
//	err := runlet.Linear(ctx, pool.NewBytes("gzip", 4<<20),
//		func(_, next chip.PendRef) chip.Chip { return chip.FromFile("read", next, "in", bufs) },
//		func(prev, next chip.PendRef) chip.Chip { return chip.Transform("gzip", prev, next, bufs, newGzip) },
//		func(prev, _ chip.PendRef) chip.Chip { return chip.ToFile("write", prev, "in.gz", bufs) },
//	)
func Linear(ctx context.Context, p *pool.Pool, stages ...Stage) error {
	r, err := NewLinear(p, Config{}, stages...)
	if err != nil {
		return err
	}
	return r.Run(ctx)
}
