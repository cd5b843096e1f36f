package chip

import (
	"cmp"
	"context"
	"fmt"

	"golang.org/x/exp/constraints"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
)

// The terminal aggregates fold their whole input into at most one value:
// [Count], [Sum], [Min], [Max], [MinMaxBy], [Any], [All] and [Find]. They
// share the operators' contract (see the comment at the top of ops.go), and
// each is N:1: it pushes nothing before its one value, then the END (a REDO,
// so the two go together). What each pushes for an empty input is part of
// its contract, in one of two forms:
//
//   - Count, Sum, Any and All always push one value: for an empty input, the
//     value of no values (0, 0, false, true).
//   - Min, Max, MinMaxBy and Find push a value only when there is one: for
//     an empty input (or, for Find, no match) just the END. A reader tells
//     the two apart by whether a value came before the END.
//
// Any, All and Find end as soon as they know their answer, as [Take] does:
// they push it and their END at once, and the runlet then ends the chips
// upstream whose output nobody else reads. The others wait for the END.
// Memory is one value (two for MinMaxBy); none allocates.

// Number is what [Sum] adds up: any integer or floating-point type.
type Number interface {
	constraints.Integer | constraints.Float
}

// MinMax is what [MinMaxBy] pushes: the smallest and the largest value. It
// is a plain value, safe to copy; the zero value holds two zero values.
type MinMax[T any] struct {
	Min, Max T
}

// foldDone is the state of an aggregate that always pushes one value: the
// value so far, and whether it was pushed.
type foldDone[A any] struct {
	acc  A
	sent bool // acc was pushed: the next call with the END ends
}

// end returns the pack to push for an END input: the value with REDO the
// first time, then the END.
func (s *foldDone[A]) end() hints.Pack[A] {
	if s.sent {
		return hints.Pack[A]{Hint: hints.End}
	}
	s.sent = true
	return hints.Pack[A]{Value: s.acc, Hint: hints.Redo}
}

// Count returns a sync chip that counts the data values and on END pushes
// the count and then the END: 0 for an empty input. Memory is one count.
func Count[T any](key string, prev *pool.Pend[T], next *pool.Pend[int]) *Func[T, int, foldDone[int]] {
	f := New(Config[T, int, foldDone[int]]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *foldDone[int]) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				return s.end(), nil
			}
			s.acc++
			return hints.Pack[int]{Hint: hints.Skip}, nil
		},
		Describe: func(s *foldDone[int]) string { return fmt.Sprintf("[count %d]", s.acc) },
	})
	f.run = func(_ context.Context, in []hints.Pack[T], out []hints.Pack[int], p *engine.RunPos, s *foldDone[int]) (hints.Pack[int], bool, error) {
		k := len(skips(in, out, p))
		s.acc += k
		p.N, p.Calls = p.N+k, p.Calls+k
		return hints.Pack[int]{}, false, nil
	}
	return f
}

// Sum returns a sync chip that adds up the data values and on END pushes the
// sum and then the END: 0 for an empty input. Integers wrap around on
// overflow, as Go's + does; floats add in input order. Memory is one sum.
func Sum[N Number](key string, prev, next *pool.Pend[N]) *Func[N, N, foldDone[N]] {
	f := New(Config[N, N, foldDone[N]]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[N], s *foldDone[N]) (hints.Pack[N], error) {
			if in.Hint == hints.End {
				return s.end(), nil
			}
			s.acc += in.Value
			return hints.Pack[N]{Hint: hints.Skip}, nil
		},
	})
	f.run = func(_ context.Context, in, out []hints.Pack[N], p *engine.RunPos, s *foldDone[N]) (hints.Pack[N], bool, error) {
		in = skips(in, out, p)
		for k := range in {
			s.acc += in[k].Value
		}
		p.N, p.Calls = p.N+len(in), p.Calls+len(in)
		return hints.Pack[N]{}, false, nil
	}
	return f
}

// bestState is the state of a Min or Max chip: the best value so far.
type bestState[T any] struct {
	best T
	has  bool // best holds a value
}

// Min returns a sync chip that keeps the smallest data value and on END
// pushes it and then the END: for an empty input just the END. Values are
// ordered as [cmp.Compare] orders them (a NaN is smaller than any other
// float, so one NaN makes the minimum NaN); among equal values the first is
// kept. Memory is one value.
func Min[T constraints.Ordered](key string, prev, next *pool.Pend[T]) *Func[T, T, bestState[T]] {
	return best(key, prev, next, func(v, best T) bool { return cmp.Less(v, best) })
}

// Max returns a sync chip that keeps the largest data value and on END
// pushes it and then the END: for an empty input just the END. Values are
// ordered as [cmp.Compare] orders them (a NaN is smaller than any other
// float, so NaNs are ignored unless every value is one); among equal values
// the first is kept. Memory is one value.
func Max[T constraints.Ordered](key string, prev, next *pool.Pend[T]) *Func[T, T, bestState[T]] {
	return best(key, prev, next, func(v, best T) bool { return cmp.Less(best, v) })
}

// best is Min and Max: a chip that keeps the first value and replaces it
// with each value that beats it.
func best[T any](key string, prev, next *pool.Pend[T], beats func(v, best T) bool) *Func[T, T, bestState[T]] {
	keep := func(s *bestState[T], v T) {
		if !s.has || beats(v, s.best) {
			s.best, s.has = v, true
		}
	}
	f := New(Config[T, T, bestState[T]]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *bestState[T]) (hints.Pack[T], error) {
			if in.Hint != hints.End {
				keep(s, in.Value)
				return hints.Pack[T]{Hint: hints.Skip}, nil
			}
			if !s.has {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			out := hints.Pack[T]{Value: s.best, Hint: hints.Redo}
			*s = bestState[T]{} // then called again with the END
			return out, nil
		},
	})
	f.run = func(_ context.Context, in, out []hints.Pack[T], p *engine.RunPos, s *bestState[T]) (hints.Pack[T], bool, error) {
		in = skips(in, out, p)
		for k := range in {
			keep(s, in[k].Value)
		}
		p.N, p.Calls = p.N+len(in), p.Calls+len(in)
		return hints.Pack[T]{}, false, nil
	}
	return f
}

// minMaxState is the state of a MinMaxBy chip.
type minMaxState[T any] struct {
	mm  MinMax[T]
	has bool // mm holds the first value at least
}

// MinMaxBy returns a sync chip that keeps the smallest and the largest data
// value by less and on END pushes them as one [MinMax] and then the END: for
// an empty input just the END (one value is both Min and Max). Among values
// that less finds equal the first is kept, for Min and for Max. less runs
// on the scheduler's goroutine, one call at a time, and must not block; a
// panic in it fails the runlet. Memory is two values.
func MinMaxBy[T any](key string, prev *pool.Pend[T], next *pool.Pend[MinMax[T]], less func(a, b T) bool) *Func[T, MinMax[T], minMaxState[T]] {
	c := Config[T, MinMax[T], minMaxState[T]]{Key: key, Prev: prev, Next: next}
	if less != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], s *minMaxState[T]) (hints.Pack[MinMax[T]], error) {
			if in.Hint != hints.End {
				s.add(in.Value, less)
				return hints.Pack[MinMax[T]]{Hint: hints.Skip}, nil
			}
			if !s.has {
				return hints.Pack[MinMax[T]]{Hint: hints.End}, nil
			}
			out := hints.Pack[MinMax[T]]{Value: s.mm, Hint: hints.Redo}
			*s = minMaxState[T]{} // then called again with the END
			return out, nil
		}
	}
	f := New(c)
	if less != nil {
		f.run = func(_ context.Context, in []hints.Pack[T], out []hints.Pack[MinMax[T]], p *engine.RunPos, s *minMaxState[T]) (hints.Pack[MinMax[T]], bool, error) {
			in = skips(in, out, p)
			for k := range in {
				s.add(in[k].Value, less) // a panic leaves p at the calls before it
				p.N, p.Calls = p.N+1, p.Calls+1
			}
			return hints.Pack[MinMax[T]]{}, false, nil
		}
	}
	return f
}

// add takes v into the minimum and maximum.
func (s *minMaxState[T]) add(v T, less func(a, b T) bool) {
	switch {
	case !s.has:
		s.mm, s.has = MinMax[T]{Min: v, Max: v}, true
	case less(v, s.mm.Min):
		s.mm.Min = v
	case less(s.mm.Max, v):
		s.mm.Max = v
	}
}

// Any returns a sync chip that pushes true and ends on the first data value
// for which pred reports true, or pushes false on END if none did (false for
// an empty input), and then the END. pred is not called after it reported
// true. An error from pred fails the runlet. pred runs on the scheduler's
// goroutine, one call at a time, and must not block.
func Any[T any](key string, prev *pool.Pend[T], next *pool.Pend[bool], pred func(T) (bool, error)) *Func[T, bool, searchState] {
	return search(key, prev, next, pred, func(T) bool { return true }, false, true)
}

// All returns a sync chip that pushes false and ends on the first data value
// for which pred reports false, or pushes true on END if none did (true for
// an empty input), and then the END. pred is not called after it reported
// false. An error from pred fails the runlet. pred runs on the scheduler's
// goroutine, one call at a time, and must not block.
func All[T any](key string, prev *pool.Pend[T], next *pool.Pend[bool], pred func(T) (bool, error)) *Func[T, bool, searchState] {
	not := func(v T) (bool, error) {
		ok, err := pred(v)
		return !ok, err
	}
	if pred == nil {
		not = nil
	}
	return search(key, prev, next, not, func(T) bool { return false }, true, true)
}

// Find returns a sync chip that pushes the first data value for which pred
// reports true and ends with it, or, if none does (or the input is empty),
// pushes just the END. pred is not called after it reported true. An error
// from pred fails the runlet. pred runs on the scheduler's goroutine, one
// call at a time, and must not block.
func Find[T any](key string, prev, next *pool.Pend[T], pred func(T) (bool, error)) *Func[T, T, searchState] {
	var zero T
	return search(key, prev, next, pred, func(v T) T { return v }, zero, false)
}

// searchState is the state of an Any, All or Find chip.
type searchState struct{ sent bool } // the answer was pushed: the next call ends

// search is Any, All and Find: a chip that drops values until hit reports
// true for one, then pushes answer(v) and ends; on END it pushes none if
// pushNone, and then the END.
func search[T, Out any](key string, prev *pool.Pend[T], next *pool.Pend[Out], hit func(T) (bool, error), answer func(T) Out, none Out, pushNone bool) *Func[T, Out, searchState] {
	c := Config[T, Out, searchState]{Key: key, Prev: prev, Next: next}
	if hit != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], s *searchState) (hints.Pack[Out], error) {
			if s.sent {
				return hints.Pack[Out]{Hint: hints.End}, nil
			}
			if in.Hint == hints.End {
				if !pushNone {
					return hints.Pack[Out]{Hint: hints.End}, nil
				}
				s.sent = true
				return hints.Pack[Out]{Value: none, Hint: hints.Redo}, nil // then END
			}
			ok, err := hit(in.Value)
			if err != nil {
				return hints.Pack[Out]{}, err
			}
			if !ok {
				return hints.Pack[Out]{Hint: hints.Skip}, nil
			}
			s.sent = true
			return hints.Pack[Out]{Value: answer(in.Value), Hint: hints.Redo}, nil // then END
		}
	}
	f := New(c)
	if hit != nil {
		f.run = func(_ context.Context, in []hints.Pack[T], out []hints.Pack[Out], p *engine.RunPos, s *searchState) (hints.Pack[Out], bool, error) {
			if s.sent {
				return hints.Pack[Out]{}, false, nil // the END is Process's
			}
			for _, pk := range skips(in, out, p) {
				ok, err := hit(pk.Value)
				if err != nil {
					return hints.Pack[Out]{}, true, err
				}
				if ok {
					s.sent = true
					return hints.Pack[Out]{Value: answer(pk.Value), Hint: hints.Redo}, true, nil // for span to apply
				}
				p.N, p.Calls = p.N+1, p.Calls+1
			}
			return hints.Pack[Out]{}, false, nil
		}
	}
	return f
}
