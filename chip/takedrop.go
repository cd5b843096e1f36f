package chip

import (
	"context"
	"fmt"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
)

// The take and drop operators pass a prefix or a suffix of their input:
// [Skip], [TakeWhile], [DropWhile], [TakeUntil], [First] and [Last]. They
// share the operators' contract (see the comment at the top of ops.go).
// Those that end before their input does (TakeWhile, TakeUntil, First) end
// as [Take] does: they push their END at once, without waiting for more
// input, and the runlet then ends the chips upstream whose output nobody
// else reads. A predicate sees data values only; its error fails the
// runlet, wrapped with the chip key, and its panic becomes a [PanicError].
// None of them allocates.

// skipState is the state of a Skip chip: data values dropped so far.
type skipState struct{ skipped int }

// Skip returns a sync chip that drops the first n data values and passes the
// rest (N:1, through SKIP, then 1:1). END passes through; with n or fewer
// values just the END is pushed. n must not be negative (Attach reports
// otherwise); n == 0 passes everything. Memory is one count.
func Skip[T any](key string, prev, next *pool.Pend[T], n int) *Func[T, T, skipState] {
	f := New(Config[T, T, skipState]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *skipState) (hints.Pack[T], error) {
			if in.Hint == hints.End {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			if s.skipped < n {
				s.skipped++
				return hints.Pack[T]{Hint: hints.Skip}, nil
			}
			return hints.Pack[T]{Value: in.Value}, nil
		},
		Describe: func(s *skipState) string {
			return fmt.Sprintf("[skipped %d of %d]", s.skipped, n)
		},
	})
	f.run = func(_ context.Context, in, out []hints.Pack[T], p *engine.RunPos, s *skipState) (hints.Pack[T], bool, error) {
		in = skips(in, out, p)
		drop := min(n-s.skipped, len(in))
		if drop > 0 {
			s.skipped += drop
			in = in[drop:]
			p.N, p.Calls = p.N+drop, p.Calls+drop
		}
		in = in[:min(len(in), len(out)-p.M)]
		p.M += copy(out[p.M:], in)
		p.N, p.Calls = p.N+len(in), p.Calls+len(in)
		return hints.Pack[T]{}, false, nil
	}
	f.check = func() error {
		if n < 0 {
			return fmt.Errorf("skip count %d is negative", n)
		}
		return nil
	}
	return f
}

// TakeWhile returns a sync chip that passes data values while pred reports
// true for them and ends on the first for which it reports false, which it
// drops: its END is pushed at once, as [Take]'s. An END that comes sooner
// passes through; with no data just the END is pushed. pred is not called
// after it reported false. An error from pred fails the runlet. pred runs on
// the scheduler's goroutine, one call at a time, and must not block.
func TakeWhile[T any](key string, prev, next *pool.Pend[T], pred func(T) (bool, error)) *Func[T, T, struct{}] {
	c := Config[T, T, struct{}]{Key: key, Prev: prev, Next: next}
	if pred != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], _ *struct{}) (hints.Pack[T], error) {
			if in.Hint == hints.End {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			ok, err := pred(in.Value)
			if err != nil {
				return hints.Pack[T]{}, err
			}
			if !ok {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			return hints.Pack[T]{Value: in.Value}, nil
		}
	}
	f := New(c)
	if pred != nil {
		f.run = func(_ context.Context, in, out []hints.Pack[T], p *engine.RunPos, _ *struct{}) (hints.Pack[T], bool, error) {
			in, out = oneToOne(in, out, p)
			k := 0
			defer func() { p.N, p.M, p.Calls = p.N+k, p.M+k, p.Calls+k }() // exact on a panic too
			for ; k < len(in); k++ {
				ok, err := pred(in[k].Value)
				if err != nil {
					return hints.Pack[T]{}, true, err
				}
				if !ok {
					return hints.Pack[T]{Hint: hints.End}, true, nil // for span to apply
				}
				out[k] = hints.Pack[T]{Value: in[k].Value}
			}
			return hints.Pack[T]{}, false, nil
		}
	}
	return f
}

// dropState is the state of a DropWhile chip.
type dropState struct{ passing bool } // pred has reported false once

// DropWhile returns a sync chip that drops data values while pred reports
// true for them (N:1, through SKIP) and passes the first for which it
// reports false and every value after it (1:1); pred is not called again
// once it reported false. END passes through. An error from pred fails the
// runlet. pred runs on the scheduler's goroutine, one call at a time, and
// must not block.
func DropWhile[T any](key string, prev, next *pool.Pend[T], pred func(T) (bool, error)) *Func[T, T, dropState] {
	c := Config[T, T, dropState]{Key: key, Prev: prev, Next: next}
	if pred != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], s *dropState) (hints.Pack[T], error) {
			if in.Hint == hints.End {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			if !s.passing {
				drop, err := pred(in.Value)
				if err != nil {
					return hints.Pack[T]{}, err
				}
				if drop {
					return hints.Pack[T]{Hint: hints.Skip}, nil
				}
				s.passing = true
			}
			return hints.Pack[T]{Value: in.Value}, nil
		}
		c.Describe = func(s *dropState) string {
			if s.passing {
				return "[passing]"
			}
			return "[dropping]"
		}
	}
	f := New(c)
	if pred != nil {
		f.run = func(_ context.Context, in, out []hints.Pack[T], p *engine.RunPos, s *dropState) (hints.Pack[T], bool, error) {
			in = skips(in, out, p)
			for len(in) > 0 && !s.passing {
				drop, err := pred(in[0].Value)
				if err != nil {
					return hints.Pack[T]{}, true, err
				}
				if !drop {
					s.passing = true
					break
				}
				in = in[1:]
				p.N, p.Calls = p.N+1, p.Calls+1
			}
			in = in[:min(len(in), len(out)-p.M)]
			p.M += copy(out[p.M:], in)
			p.N, p.Calls = p.N+len(in), p.Calls+len(in)
			return hints.Pack[T]{}, false, nil
		}
	}
	return f
}

// untilState is the state of a TakeUntil chip.
type untilState struct{ hit bool } // pred has reported true: the next call ends

// TakeUntil returns a sync chip that passes data values up to and including
// the first for which pred reports true, and ends with it: it pushes that
// value and its END together (a REDO), as [Take] pushes its nth value. It
// differs from TakeWhile with the opposite predicate in keeping the value
// that stops it. An END that comes sooner passes through; with no data just
// the END is pushed. pred is not called after it reported true. An error
// from pred fails the runlet. pred runs on the scheduler's goroutine, one
// call at a time, and must not block.
func TakeUntil[T any](key string, prev, next *pool.Pend[T], pred func(T) (bool, error)) *Func[T, T, untilState] {
	c := Config[T, T, untilState]{Key: key, Prev: prev, Next: next}
	if pred != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], s *untilState) (hints.Pack[T], error) {
			if in.Hint == hints.End || s.hit {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			stop, err := pred(in.Value)
			if err != nil {
				return hints.Pack[T]{}, err
			}
			if stop {
				s.hit = true
				return hints.Pack[T]{Value: in.Value, Hint: hints.Redo}, nil // then END
			}
			return hints.Pack[T]{Value: in.Value}, nil
		}
	}
	f := New(c)
	if pred != nil {
		f.run = func(_ context.Context, in, out []hints.Pack[T], p *engine.RunPos, s *untilState) (hints.Pack[T], bool, error) {
			if s.hit {
				return hints.Pack[T]{}, false, nil // the END is Process's
			}
			in, out = oneToOne(in, out, p)
			k := 0
			defer func() { p.N, p.M, p.Calls = p.N+k, p.M+k, p.Calls+k }() // exact on a panic too
			for ; k < len(in); k++ {
				stop, err := pred(in[k].Value)
				if err != nil {
					return hints.Pack[T]{}, true, err
				}
				if stop {
					s.hit = true
					return hints.Pack[T]{Value: in[k].Value, Hint: hints.Redo}, true, nil // for span to apply
				}
				out[k] = hints.Pack[T]{Value: in[k].Value}
			}
			return hints.Pack[T]{}, false, nil
		}
	}
	return f
}

// First returns a sync chip that passes the first data value and ends with
// it, as Take(key, prev, next, 1) does: with no data just the END is pushed.
func First[T any](key string, prev, next *pool.Pend[T]) *Func[T, T, takeState] {
	return Take(key, prev, next, 1)
}

// lastState is the state of a Last chip: the last value seen.
type lastState[T any] struct {
	last T
	has  bool // last holds a value
}

// Last returns a sync chip that keeps the latest data value (N:1, through
// SKIP) and on END pushes it and then the END (a REDO on the END pack): with
// no data just the END is pushed. Memory is one value.
func Last[T any](key string, prev, next *pool.Pend[T]) *Func[T, T, lastState[T]] {
	f := New(Config[T, T, lastState[T]]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *lastState[T]) (hints.Pack[T], error) {
			if in.Hint != hints.End {
				s.last, s.has = in.Value, true
				return hints.Pack[T]{Hint: hints.Skip}, nil
			}
			if !s.has {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			out := hints.Pack[T]{Value: s.last, Hint: hints.Redo}
			*s = lastState[T]{} // then called again with the END
			return out, nil
		},
	})
	f.run = func(_ context.Context, in, out []hints.Pack[T], p *engine.RunPos, s *lastState[T]) (hints.Pack[T], bool, error) {
		in = skips(in, out, p)
		if len(in) > 0 {
			s.last, s.has = in[len(in)-1].Value, true
			p.N, p.Calls = p.N+len(in), p.Calls+len(in)
		}
		return hints.Pack[T]{}, false, nil
	}
	return f
}
