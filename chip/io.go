package chip

import (
	"context"
	"fmt"

	"github.com/runlet/runlet/pool"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
)

// NewInput returns a sync input chip: it has no prev pend and pushes what
// produce returns to next. produce is called whenever next has room; it
// returns a data pack, or an END pack when the input is exhausted (returning
// SKIP from a sync input chip would spin). For input that waits on I/O, build
// an async chip with [New] and a nil Prev. Once the runlet drains
// (runlet's Drain) produce is no longer called and the chip sends END.
func NewInput[Out, S any](key string, next *pool.Pend[Out], state func() S, produce func(ctx context.Context, state *S) (hints.Pack[Out], error)) *Func[struct{}, Out, S] {
	c := Config[struct{}, Out, S]{Key: key, Next: next, State: state}
	if produce != nil {
		c.Process = func(ctx context.Context, in hints.Pack[struct{}], s *S) (hints.Pack[Out], error) {
			if in.Hint == hints.End { // the runlet drains
				return hints.EndOf[Out](1), nil
			}
			return produce(ctx, s)
		}
	}
	f := New(c)
	if produce != nil {
		f.run = func(ctx context.Context, in []hints.Pack[struct{}], out []hints.Pack[Out], p *engine.RunPos, s *S) (hints.Pack[Out], bool, error) {
			out = out[p.M : p.M+min(len(in)-p.N, len(out)-p.M, p.Max-p.Calls)]
			k := 0
			defer func() { p.N, p.M, p.Calls = p.N+k, p.M+k, p.Calls+k }() // exact on a panic too
			for ; k < len(out); k++ {
				if in[p.N+k].Hint == hints.End {
					return hints.Pack[Out]{}, false, nil // the drain's END: Process ends the chip
				}
				pk, err := produce(ctx, s)
				if err != nil || pk.Hint != hints.None {
					return pk, true, err // span applies it
				}
				out[k] = pk
			}
			return hints.Pack[Out]{}, false, nil
		}
	}
	return f
}

// NewOutput returns a sync output chip: it pulls from prev and calls consume
// for every data pack and once for the END pack, then ends. The runlet's Run
// returns once every output chip has ended.
func NewOutput[In, S any](key string, prev *pool.Pend[In], state func() S, consume func(ctx context.Context, in hints.Pack[In], state *S) error) *Func[In, struct{}, S] {
	c := Config[In, struct{}, S]{Key: key, Prev: prev, State: state}
	if consume != nil {
		c.Process = func(ctx context.Context, in hints.Pack[In], s *S) (hints.Pack[struct{}], error) {
			if err := consume(ctx, in, s); err != nil {
				return hints.Pack[struct{}]{}, err
			}
			if in.Hint == hints.End {
				return hints.Pack[struct{}]{Hint: hints.End}, nil
			}
			return hints.Pack[struct{}]{Hint: hints.Skip}, nil
		}
	}
	return New(c)
}

// regulator is the state of an END regulator: ENDs still to swallow.
type regulator struct{ inputs, outputs int }

// ENDRegulator returns a pass-through chip that fixes the END count across a
// merge or a split. After a pend fed by inputs producers it swallows all but
// the last END; before a pend drained by outputs consumers it turns that END
// into outputs END packs, one per consumer. Both counts must be at least 1.
// Logical pools (package logicalpool) make it unnecessary for their views.
func ENDRegulator[T any](key string, prev, next *pool.Pend[T], inputs, outputs int) *Func[T, T, regulator] {
	f := New(Config[T, T, regulator]{
		Key: key, Prev: prev, Next: next,
		State: func() regulator { return regulator{inputs: inputs, outputs: outputs} },
		Process: func(_ context.Context, in hints.Pack[T], s *regulator) (hints.Pack[T], error) {
			if in.Hint != hints.End {
				return in, nil
			}
			s.inputs--
			if s.inputs > 0 {
				return hints.Pack[T]{Hint: hints.Skip}, nil
			}
			return hints.EndOf[T](s.outputs), nil
		},
		Describe: func(s *regulator) string {
			return fmt.Sprintf("[ENDs to swallow %d, to send %d]", max(s.inputs-1, 0), s.outputs)
		},
	})
	f.check = func() error {
		if inputs < 1 || outputs < 1 {
			return fmt.Errorf("END regulator counts must be at least 1 (inputs %d, outputs %d)", inputs, outputs)
		}
		return nil
	}
	return f
}
