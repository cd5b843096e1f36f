package chip

import (
	"context"
	"fmt"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
)

// The running-state operators push one value per input (or per input after
// the first), computed from what came before: [Scan], [Pairwise] and
// [RunningCountBy]. They share the operators' contract (see the comment at
// the top of ops.go): sync chips whose user functions run on the
// scheduler's goroutine, one call at a time, see data values only and must
// not block; an error fails the runlet, wrapped with the chip key, and a
// panic becomes a [PanicError]; END passes through once, after every value;
// state is fresh at each Bind; a nil user function is Attach's error.

// Pair is two values taken together: [Pairwise] pushes each value (B) with
// the one before it (A). It is a plain value, safe to copy; the zero value
// holds two zero values. String returns "(a, b)".
type Pair[A, B any] struct {
	A A
	B B
}

// String returns "(a, b)".
func (p Pair[A, B]) String() string { return fmt.Sprintf("(%v, %v)", p.A, p.B) }

// KV is a key and a value for it: [RunningCountBy] pushes each value's key
// with its running count. It is a plain value, safe to copy; the zero value
// holds a zero key and a zero value. String returns "key=value".
type KV[K comparable, V any] struct {
	Key   K
	Value V
}

// String returns "key=value".
func (kv KV[K, V]) String() string { return fmt.Sprintf("%v=%v", kv.Key, kv.Value) }

// scanState is the state of a Scan chip: the accumulator.
type scanState[A any] struct{ acc A }

// Scan returns a sync chip that folds the data values into an accumulator
// that starts as init and pushes the accumulator after each value (1:1): for
// inputs v1, v2, ... it pushes f(init, v1), f(f(init, v1), v2), and so on.
// END passes through; with no data just the END is pushed (init is not). An
// error from f fails the runlet. f runs on the scheduler's goroutine, one
// call at a time, and must not block.
//
// Memory is one accumulator. Each Bind starts from a copy of init; if A is a
// pointer, slice or map, the copies share what it points to, and since each
// step is pushed downstream, f should return a new value rather than change
// the accumulator in place. Scan allocates nothing per value beyond what f
// does.
func Scan[T, A any](key string, prev *pool.Pend[T], next *pool.Pend[A], init A, f func(acc A, v T) (A, error)) *Func[T, A, scanState[A]] {
	c := Config[T, A, scanState[A]]{
		Key: key, Prev: prev, Next: next,
		State: func() scanState[A] { return scanState[A]{acc: init} },
	}
	if f != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], s *scanState[A]) (hints.Pack[A], error) {
			if in.Hint == hints.End {
				return hints.Pack[A]{Hint: hints.End}, nil
			}
			acc, err := f(s.acc, in.Value)
			if err != nil {
				return hints.Pack[A]{}, err
			}
			s.acc = acc
			return hints.Pack[A]{Value: acc}, nil
		}
	}
	ch := New(c)
	if f != nil {
		ch.run = func(_ context.Context, in []hints.Pack[T], out []hints.Pack[A], p *engine.RunPos, s *scanState[A]) (hints.Pack[A], bool, error) {
			in, out = oneToOne(in, out, p)
			k := 0
			defer func() { p.N, p.M, p.Calls = p.N+k, p.M+k, p.Calls+k }() // exact on a panic too
			for ; k < len(in); k++ {
				acc, err := f(s.acc, in[k].Value)
				if err != nil {
					return hints.Pack[A]{}, true, err
				}
				s.acc = acc
				out[k] = hints.Pack[A]{Value: acc}
			}
			return hints.Pack[A]{}, false, nil
		}
	}
	return ch
}

// oneToOne cuts a span for a 1:1 RunFunc: in[p.N:] and out[p.M:] to the
// same length, the most p allows, ending before the first input that is not
// data (which the RunFunc leaves to Process).
func oneToOne[In, Out any](in []hints.Pack[In], out []hints.Pack[Out], p *engine.RunPos) ([]hints.Pack[In], []hints.Pack[Out]) {
	in = dataRun(in, p, len(out)-p.M)
	return in, out[p.M : p.M+len(in)]
}

// dataRun returns the data packs at the head of in[p.N:], at most room of
// them and at most the calls p has left: the inputs a RunFunc may take
// before it must stop or leave the next to Process.
func dataRun[T any](in []hints.Pack[T], p *engine.RunPos, room int) []hints.Pack[T] {
	in = in[p.N : p.N+min(len(in)-p.N, p.Max-p.Calls, room)]
	for i := range in {
		if in[i].Hint != hints.None {
			return in[:i]
		}
	}
	return in
}

// skips returns the data packs at the head of in[p.N:] that a RunFunc
// whose calls are SKIPs may take: all it has calls for, as long as out has
// a slot (it writes none, but a RunFunc stops when out is full).
func skips[In, Out any](in []hints.Pack[In], out []hints.Pack[Out], p *engine.RunPos) []hints.Pack[In] {
	if p.M >= len(out) {
		return nil
	}
	return dataRun(in, p, len(in))
}

// pairState is the state of a Pairwise chip: the last value seen.
type pairState[T any] struct {
	last T
	has  bool // last holds a value
}

// Pairwise returns a sync chip that pushes each data value after the first
// together with the one before it, as Pair{A: previous, B: value}: n values
// make n-1 pairs (1:1 after the first, which is consumed with no output).
// END passes through; with fewer than two values just the END is pushed.
// Memory is one value; it allocates nothing.
func Pairwise[T any](key string, prev *pool.Pend[T], next *pool.Pend[Pair[T, T]]) *Func[T, Pair[T, T], pairState[T]] {
	ch := New(Config[T, Pair[T, T], pairState[T]]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *pairState[T]) (hints.Pack[Pair[T, T]], error) {
			if in.Hint == hints.End {
				return hints.Pack[Pair[T, T]]{Hint: hints.End}, nil
			}
			if !s.has {
				s.last, s.has = in.Value, true
				return hints.Pack[Pair[T, T]]{Hint: hints.Skip}, nil
			}
			out := hints.Pack[Pair[T, T]]{Value: Pair[T, T]{A: s.last, B: in.Value}}
			s.last = in.Value
			return out, nil
		},
	})
	ch.run = func(_ context.Context, in []hints.Pack[T], out []hints.Pack[Pair[T, T]], p *engine.RunPos, s *pairState[T]) (hints.Pack[Pair[T, T]], bool, error) {
		in = dataRun(in, p, len(out)-p.M)
		if len(in) == 0 {
			return hints.Pack[Pair[T, T]]{}, false, nil
		}
		if !s.has { // the first value: a SKIP
			s.last, s.has = in[0].Value, true
			in = in[1:]
			p.N, p.Calls = p.N+1, p.Calls+1
		}
		out = out[p.M : p.M+len(in)]
		for k := range in {
			out[k] = hints.Pack[Pair[T, T]]{Value: Pair[T, T]{A: s.last, B: in[k].Value}}
			s.last = in[k].Value
		}
		p.N, p.M, p.Calls = p.N+len(in), p.M+len(in), p.Calls+len(in)
		return hints.Pack[Pair[T, T]]{}, false, nil
	}
	return ch
}

// countByState is the state of a RunningCountBy chip: the count of each key
// seen; nil until the first value.
type countByState[K comparable] struct{ counts map[K]int }

// RunningCountBy returns a sync chip that pushes, for each data value, its
// key (by keyOf) with the number of values of that key seen so far, this one
// included, as KV{Key: key, Value: count} (1:1): the first value of a key
// pushes count 1. END passes through. An error from keyOf fails the runlet.
// keyOf runs on the scheduler's goroutine, one call at a time, and must not
// block.
//
// Memory is one map entry per distinct key seen, for as long as the chip
// runs: it is bounded by the number of distinct keys, not by the input's
// length, so the keys should come from a bounded set (a user id over a long
// stream of many users grows without bound; count per window or per
// partition instead). A value of a key already seen allocates nothing; a new
// key may grow the map. Describe shows the number of keys.
func RunningCountBy[T any, K comparable](key string, prev *pool.Pend[T], next *pool.Pend[KV[K, int]], keyOf func(T) (K, error)) *Func[T, KV[K, int], countByState[K]] {
	c := Config[T, KV[K, int], countByState[K]]{Key: key, Prev: prev, Next: next}
	if keyOf != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], s *countByState[K]) (hints.Pack[KV[K, int]], error) {
			if in.Hint == hints.End {
				return hints.Pack[KV[K, int]]{Hint: hints.End}, nil
			}
			k, err := keyOf(in.Value)
			if err != nil {
				return hints.Pack[KV[K, int]]{}, err
			}
			return hints.Pack[KV[K, int]]{Value: s.add(k)}, nil
		}
		c.Describe = func(s *countByState[K]) string {
			return fmt.Sprintf("[%d keys]", len(s.counts))
		}
	}
	ch := New(c)
	if keyOf != nil {
		ch.run = func(_ context.Context, in []hints.Pack[T], out []hints.Pack[KV[K, int]], p *engine.RunPos, s *countByState[K]) (hints.Pack[KV[K, int]], bool, error) {
			in, out = oneToOne(in, out, p)
			k := 0
			defer func() { p.N, p.M, p.Calls = p.N+k, p.M+k, p.Calls+k }() // exact on a panic too
			for ; k < len(in); k++ {
				key, err := keyOf(in[k].Value)
				if err != nil {
					return hints.Pack[KV[K, int]]{}, true, err
				}
				out[k] = hints.Pack[KV[K, int]]{Value: s.add(key)}
			}
			return hints.Pack[KV[K, int]]{}, false, nil
		}
	}
	return ch
}

// add counts one more value of key k and returns k with its count.
func (s *countByState[K]) add(k K) KV[K, int] {
	if s.counts == nil {
		s.counts = make(map[K]int)
	}
	n := s.counts[k] + 1
	s.counts[k] = n
	return KV[K, int]{Key: k, Value: n}
}
