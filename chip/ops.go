package chip

import (
	"context"
	"fmt"
	"time"

	"github.com/runlet/runlet/pool"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
)

// The operators below are typed sync chips built with [New]. They share one
// contract, which each doc comment repeats in short:
//
//   - Each is a sync chip: its user function runs on the scheduler's
//     goroutine, one call at a time (the runlet serialises them, so the
//     function needs no locking for data only it touches), and must not
//     block; for blocking work use [ParallelMap] or an async chip from [New].
//   - An error returned by the user function fails the runlet: Run returns it
//     wrapped with the chip key (errors.Is reaches it). A panic is recovered
//     into a [PanicError] by the runtime.
//   - The user function sees data values only, never END. Each operator
//     pushes END downstream exactly once, after every value it pushes.
//   - State is made fresh by each Bind, so a chip value may be reused.
//   - A nil user function (as "nil process") and a bad count are reported by
//     Attach.

// Map returns a sync chip that pushes f(v) for each data value v (1:1) and
// passes END through. An error from f fails the runlet. f runs on the
// scheduler's goroutine, one call at a time, and must not block.
func Map[In, Out any](key string, prev *pool.Pend[In], next *pool.Pend[Out], f func(In) (Out, error)) *Func[In, Out, struct{}] {
	c := Config[In, Out, struct{}]{Key: key, Prev: prev, Next: next}
	if f != nil {
		c.Process = func(_ context.Context, in hints.Pack[In], _ *struct{}) (hints.Pack[Out], error) {
			if in.Hint == hints.End {
				return hints.Pack[Out]{Hint: hints.End}, nil
			}
			v, err := f(in.Value)
			if err != nil {
				return hints.Pack[Out]{}, err
			}
			return hints.Pack[Out]{Value: v}, nil
		}
	}
	ch := New(c)
	if f != nil {
		ch.run = func(_ context.Context, in []hints.Pack[In], out []hints.Pack[Out], p *engine.RunPos, _ *struct{}) (hints.Pack[Out], bool, error) {
			k := min(len(in)-p.N, len(out)-p.M, p.Max-p.Calls)
			in, out = in[p.N:p.N+k], out[p.M:p.M+k]
			k = 0
			defer func() { p.N, p.M, p.Calls = p.N+k, p.M+k, p.Calls+k }() // exact on a panic too
			for ; k < len(in) && k < len(out) && in[k].Hint == hints.None; k++ {
				v, err := f(in[k].Value)
				if err != nil {
					return hints.Pack[Out]{}, true, err
				}
				out[k] = hints.Pack[Out]{Value: v}
			}
			return hints.Pack[Out]{}, false, nil
		}
	}
	return ch
}

// Filter returns a sync chip that pushes the data values for which keep
// reports true and drops the others (N:1, through SKIP), and passes END
// through. An error from keep fails the runlet. keep runs on the scheduler's
// goroutine, one call at a time, and must not block.
func Filter[T any](key string, prev, next *pool.Pend[T], keep func(T) (bool, error)) *Func[T, T, struct{}] {
	c := Config[T, T, struct{}]{Key: key, Prev: prev, Next: next}
	if keep != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], _ *struct{}) (hints.Pack[T], error) {
			if in.Hint == hints.End {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			ok, err := keep(in.Value)
			if err != nil {
				return hints.Pack[T]{}, err
			}
			if !ok {
				return hints.Pack[T]{Hint: hints.Skip}, nil
			}
			return hints.Pack[T]{Value: in.Value}, nil
		}
	}
	ch := New(c)
	if keep != nil {
		ch.run = func(_ context.Context, in, out []hints.Pack[T], p *engine.RunPos, _ *struct{}) (hints.Pack[T], bool, error) {
			i, j := p.N, p.M
			in = in[:i+min(len(in)-i, p.Max-p.Calls)]
			defer func() { p.Calls += i - p.N; p.N, p.M = i, j }() // exact on a panic too
			for ; i < len(in) && j < len(out) && in[i].Hint == hints.None; i++ {
				ok, err := keep(in[i].Value)
				if err != nil {
					return hints.Pack[T]{}, true, err
				}
				if ok {
					out[j] = hints.Pack[T]{Value: in[i].Value}
					j++
				}
			}
			return hints.Pack[T]{}, false, nil
		}
	}
	return ch
}

// flatState is the state of a FlatMap chip: the outputs of the current input
// not pushed yet.
type flatState[Out any] struct {
	pending []Out // f's result for the current input; nil between inputs
	i       int   // the next one to push
}

// FlatMap returns a sync chip that pushes every element of f(v), in order,
// for each data value v (1:N, through REDO); an empty result pushes nothing
// (SKIP). END passes through. An error from f fails the runlet. f runs on the
// scheduler's goroutine, one call at a time, and must not block.
//
// f is called once per input. FlatMap keeps f's slice, not a copy, and is done
// with it before it calls f again, so f may return the same buffer every time.
// Apart from what f allocates, FlatMap allocates nothing per value.
func FlatMap[In, Out any](key string, prev *pool.Pend[In], next *pool.Pend[Out], f func(In) ([]Out, error)) *Func[In, Out, flatState[Out]] {
	c := Config[In, Out, flatState[Out]]{Key: key, Prev: prev, Next: next}
	if f != nil {
		c.Process = func(_ context.Context, in hints.Pack[In], s *flatState[Out]) (hints.Pack[Out], error) {
			if in.Hint == hints.End {
				return hints.Pack[Out]{Hint: hints.End}, nil
			}
			if len(s.pending) == 0 { // a new input (a REDO run has pending left)
				out, err := f(in.Value)
				if err != nil {
					return hints.Pack[Out]{}, err
				}
				if len(out) == 0 {
					return hints.Pack[Out]{Hint: hints.Skip}, nil
				}
				s.pending, s.i = out, 0
			}
			return s.next(), nil
		}
		c.Describe = func(s *flatState[Out]) string {
			if len(s.pending) == 0 {
				return ""
			}
			return fmt.Sprintf("[%d of %d pushed]", s.i, len(s.pending))
		}
	}
	ch := New(c)
	if f != nil {
		ch.run = func(_ context.Context, in []hints.Pack[In], out []hints.Pack[Out], p *engine.RunPos, s *flatState[Out]) (hints.Pack[Out], bool, error) {
			return flatRun(f, in, out, p, s)
		}
	}
	return ch
}

// flatRun is FlatMap's process over a run of packs (engine.RunFunc): the
// same calls of f and the same outputs, REDO after REDO, with the state
// left as Process leaves it after each call.
func flatRun[In, Out any](f func(In) ([]Out, error), in []hints.Pack[In], out []hints.Pack[Out], p *engine.RunPos, s *flatState[Out]) (hints.Pack[Out], bool, error) {
	for p.Calls < p.Max && p.N < len(in) && p.M < len(out) && in[p.N].Hint == hints.None {
		if len(s.pending) == 0 { // a new input
			vs, err := f(in[p.N].Value)
			if err != nil {
				return hints.Pack[Out]{}, true, err
			}
			if len(vs) == 0 {
				p.N, p.Calls = p.N+1, p.Calls+1
				continue
			}
			s.pending, s.i = vs, 0
		}
		if s.i+1 < len(s.pending) && (p.M+1 == len(out) || p.Calls+1 == p.Max) {
			return s.next(), true, nil // a REDO at the last slot or call: span holds the input
		}
		for p.Calls < p.Max && p.M < len(out) {
			pk := s.next()
			out[p.M] = hints.Pack[Out]{Value: pk.Value}
			p.M, p.Calls = p.M+1, p.Calls+1
			if pk.Hint != hints.Redo {
				p.N++
				break
			}
			if p.M+1 == len(out) || p.Calls+1 == p.Max {
				break // the next call's REDO, if any, is for span to apply
			}
		}
	}
	return hints.Pack[Out]{}, false, nil
}

// next returns the next pending output: REDO while more follow, then DATA,
// which lets the input go.
func (s *flatState[Out]) next() hints.Pack[Out] {
	v := s.pending[s.i]
	s.i++
	if s.i < len(s.pending) {
		return hints.Pack[Out]{Value: v, Hint: hints.Redo}
	}
	s.pending, s.i = nil, 0
	return hints.Pack[Out]{Value: v}
}

// batchState is the state of a Batch chip.
type batchState[T any] struct {
	buf   []T       // the batch being filled; nil when empty
	first time.Time // when its first value arrived
}

// Batch returns a sync chip that gathers data values into slices of size
// (N:1, through SKIP). A batch is pushed:
//
//   - when it holds size values;
//   - on END, if not empty (a REDO on the END pack), before the END;
//   - when maxWait has passed since its first value: through [Config.Timer]
//     when no input arrives meanwhile, else with the first value that
//     arrives after that time (which it includes).
//
// END is pushed once, after the last batch. maxWait <= 0 means no timed
// flush. size must be at least 1 (Attach reports otherwise). Every batch is a
// new slice, owned by the downstream. Time comes from the time package (fake
// under testing/synctest).
func Batch[T any](key string, prev *pool.Pend[T], next *pool.Pend[[]T], size int, maxWait time.Duration) *Func[T, []T, batchState[T]] {
	flush := func(s *batchState[T], h hints.Hint) hints.Pack[[]T] {
		out := hints.Pack[[]T]{Value: s.buf, Hint: h}
		s.buf = nil
		return out
	}
	c := Config[T, []T, batchState[T]]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *batchState[T]) (hints.Pack[[]T], error) {
			switch in.Hint {
			case hints.Skip: // the Timer's "time is up"
				// Only ever sent when the Timer said so; checked anyway so
				// that a spurious Skip cannot flush early.
				if len(s.buf) == 0 || time.Since(s.first) < maxWait {
					return hints.Pack[[]T]{Hint: hints.Skip}, nil
				}
				return flush(s, hints.None), nil
			case hints.End:
				if len(s.buf) > 0 {
					return flush(s, hints.Redo), nil // then called again with the END
				}
				return hints.Pack[[]T]{Hint: hints.End}, nil
			}
			if len(s.buf) == 0 {
				s.buf = make([]T, 0, min(size, 256))
				if maxWait > 0 {
					s.first = time.Now()
				}
			}
			s.buf = append(s.buf, in.Value)
			if len(s.buf) >= size || (maxWait > 0 && time.Since(s.first) >= maxWait) {
				return flush(s, hints.None), nil
			}
			return hints.Pack[[]T]{Hint: hints.Skip}, nil
		},
		Describe: func(s *batchState[T]) string {
			return fmt.Sprintf("[batch %d of %d]", len(s.buf), size)
		},
	}
	if maxWait > 0 {
		c.Timer = func(s *batchState[T]) (time.Duration, bool) {
			if len(s.buf) == 0 {
				return 0, false // nothing to flush: just wait for input
			}
			return maxWait - time.Since(s.first), true // <= 0: overdue, flush now
		}
	}
	f := New(c)
	f.salvage = func(s *batchState[T]) []T { return s.buf }
	f.stateView = func(s *batchState[T]) any { return s.buf }
	f.check = func() error {
		if size < 1 {
			return fmt.Errorf("batch size %d is below 1", size)
		}
		return nil
	}
	return f
}

// Unbatch returns a sync chip that pushes every element of each data slice,
// in order (1:N, through REDO); an empty slice pushes nothing (SKIP). END
// passes through. It allocates nothing.
func Unbatch[T any](key string, prev *pool.Pend[[]T], next *pool.Pend[T]) *Func[[]T, T, int] {
	return New(Config[[]T, T, int]{
		Key: key, Prev: prev, Next: next,
		// The state is the index of the next element of the input in hand:
		// a REDO calls again with the same input.
		Process: func(_ context.Context, in hints.Pack[[]T], i *int) (hints.Pack[T], error) {
			if in.Hint == hints.End {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			if len(in.Value) == 0 {
				return hints.Pack[T]{Hint: hints.Skip}, nil
			}
			v := in.Value[*i]
			*i++
			if *i < len(in.Value) {
				return hints.Pack[T]{Value: v, Hint: hints.Redo}, nil
			}
			*i = 0
			return hints.Pack[T]{Value: v}, nil
		},
	})
}

// reduceState is the state of a Reduce chip.
type reduceState[T any] struct {
	acc T
	has bool // acc holds at least one value
}

// Reduce returns a sync chip that folds the data values with f, the first
// value being the initial accumulator, and on END pushes the result and then
// the END (a REDO on the END pack). It pushes nothing else: with no data,
// just the END. f is not called for the first value. An error from f fails
// the runlet. f runs on the scheduler's goroutine, one call at a time, and
// must not block.
func Reduce[T any](key string, prev, next *pool.Pend[T], f func(acc, v T) (T, error)) *Func[T, T, reduceState[T]] {
	c := Config[T, T, reduceState[T]]{Key: key, Prev: prev, Next: next}
	if f != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], s *reduceState[T]) (hints.Pack[T], error) {
			if in.Hint == hints.End {
				if !s.has {
					return hints.Pack[T]{Hint: hints.End}, nil
				}
				out := hints.Pack[T]{Value: s.acc, Hint: hints.Redo}
				*s = reduceState[T]{} // then called again with the END
				return out, nil
			}
			if !s.has {
				s.acc, s.has = in.Value, true
				return hints.Pack[T]{Hint: hints.Skip}, nil
			}
			acc, err := f(s.acc, in.Value)
			if err != nil {
				return hints.Pack[T]{}, err
			}
			s.acc = acc
			return hints.Pack[T]{Hint: hints.Skip}, nil
		}
	}
	return New(c)
}

// foldState is the state of a Fold chip.
type foldState[A any] struct {
	acc  A
	sent bool // acc was pushed: the next call with the END ends
}

// Fold returns a sync chip that folds the data values into an accumulator
// that starts as init, and on END pushes the accumulator and then the END (a
// REDO on the END pack): with no data, init and the END. An error from f
// fails the runlet. f runs on the scheduler's goroutine, one call at a time,
// and must not block.
//
// Each Bind starts from a copy of init. If A is a pointer, slice or map, the
// copies share what it points to; f should then return new values rather
// than change init's in place, for a chip value to be reused.
func Fold[T, A any](key string, prev *pool.Pend[T], next *pool.Pend[A], init A, f func(acc A, v T) (A, error)) *Func[T, A, foldState[A]] {
	c := Config[T, A, foldState[A]]{
		Key: key, Prev: prev, Next: next,
		State: func() foldState[A] { return foldState[A]{acc: init} },
	}
	if f != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], s *foldState[A]) (hints.Pack[A], error) {
			if in.Hint == hints.End {
				if s.sent {
					return hints.Pack[A]{Hint: hints.End}, nil
				}
				out := hints.Pack[A]{Value: s.acc, Hint: hints.Redo}
				var zero A
				s.acc, s.sent = zero, true // then called again with the END
				return out, nil
			}
			acc, err := f(s.acc, in.Value)
			if err != nil {
				return hints.Pack[A]{}, err
			}
			s.acc = acc
			return hints.Pack[A]{Hint: hints.Skip}, nil
		}
	}
	fc := New(c)
	fc.stateView = func(s *foldState[A]) any { return s.acc }
	return fc
}

// Tap returns a sync pass-through chip that calls f on each data value
// before pushing it on unchanged; END passes through. An error from f fails
// the runlet (the value is not pushed). f runs on the scheduler's goroutine,
// one call at a time, and must not block.
func Tap[T any](key string, prev, next *pool.Pend[T], f func(T) error) *Func[T, T, struct{}] {
	c := Config[T, T, struct{}]{Key: key, Prev: prev, Next: next}
	if f != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], _ *struct{}) (hints.Pack[T], error) {
			if in.Hint == hints.End {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			if err := f(in.Value); err != nil {
				return hints.Pack[T]{}, err
			}
			return hints.Pack[T]{Value: in.Value}, nil
		}
	}
	return New(c)
}

// takeState is the state of a Take chip: data values passed so far.
type takeState struct{ passed int }

// Take returns a sync chip that passes the first n data values and then ends:
// it pushes the nth value and its END together (a REDO), without waiting for
// more input, and with n == 0 it ends on its first input. An END that comes
// sooner passes through. n must not be negative (Attach reports otherwise).
//
// When Take ends, the chips upstream are told to stop as soon as nothing
// else reads what they make: the scheduler ends every producer of a pend
// whose readers have all ended (and no PendOutput drains it), and so on
// upstream; they get no new work and work in flight is discarded. Their ctx
// is cancelled and their Close hooks run when the runlet stops.
func Take[T any](key string, prev, next *pool.Pend[T], n int) *Func[T, T, takeState] {
	f := New(Config[T, T, takeState]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *takeState) (hints.Pack[T], error) {
			if in.Hint == hints.End || s.passed >= n {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			s.passed++
			if s.passed == n {
				return hints.Pack[T]{Value: in.Value, Hint: hints.Redo}, nil // then END
			}
			return hints.Pack[T]{Value: in.Value}, nil
		},
		Describe: func(s *takeState) string {
			return fmt.Sprintf("[taken %d of %d]", s.passed, n)
		},
	})
	f.check = func() error {
		if n < 0 {
			return fmt.Errorf("take count %d is negative", n)
		}
		return nil
	}
	return f
}
