package chip

import (
	"context"
	"fmt"

	"github.com/runlet/runlet/pool"

	"github.com/google/btree"

	"github.com/runlet/runlet/hints"
)

// ranked is a value kept by a TopK chip with its arrival number, which
// orders values that less finds equal.
type ranked[T any] struct {
	v   T
	seq uint64
}

// topState is the state of a TopK chip.
type topState[T any] struct {
	tree *btree.BTreeG[ranked[T]] // the k largest so far; nil until the first value
	low  ranked[T]                // the smallest in tree while it is full: the one a larger value evicts
	seq  uint64                   // values seen
}

// topDegree is the B-tree degree of a TopK chip: nodes of up to 31 values,
// so a top 10 is one node and a top 1000 three levels.
const topDegree = 16

// TopK returns a sync chip that keeps the k largest data values by less (N:1,
// through SKIP) and on END pushes them, largest first, and then the END
// (REDO runs on the END pack): at most k values, fewer if fewer came, and
// with no data just the END. Values that less finds equal rank by arrival,
// the earlier one higher, so among ties the first k are kept; a less that is
// a total order makes the result independent of arrival order (which a merge
// of partitions does not keep). k must not be negative (Attach reports
// otherwise); k == 0 keeps nothing. less runs on the scheduler's goroutine,
// one call at a time, and must not block; a panic in it fails the runlet.
//
// Memory is k values, whatever the input's length: the chip keeps them in a
// B-tree (github.com/google/btree), which gives the smallest in O(log k) to
// evict and the rest in order at END without a sort. A value that does not
// beat the current k-th costs one call of less and nothing else; one that
// does costs O(log k) and, once the tree has grown, no allocation (deleted
// nodes are reused). A binary heap would do as well per value, but would
// need a sort at END and a hand-written generic heap (container/heap boxes
// every value in an interface).
func TopK[T any](key string, prev, next *pool.Pend[T], k int, less func(a, b T) bool) *Func[T, T, topState[T]] {
	c := Config[T, T, topState[T]]{Key: key, Prev: prev, Next: next}
	if less != nil {
		// The tree's order: by less, and among equals the later arrival
		// lower, so that it is evicted first and pushed last.
		rank := func(a, b ranked[T]) bool {
			if less(a.v, b.v) {
				return true
			}
			return !less(b.v, a.v) && a.seq > b.seq
		}
		c.Process = func(_ context.Context, in hints.Pack[T], s *topState[T]) (hints.Pack[T], error) {
			if in.Hint == hints.End {
				return s.pop(), nil
			}
			s.add(in.Value, k, less, rank)
			return hints.Pack[T]{Hint: hints.Skip}, nil
		}
		c.Describe = func(s *topState[T]) string {
			if s.tree == nil {
				return fmt.Sprintf("[top 0 of %d]", k)
			}
			return fmt.Sprintf("[top %d of %d]", s.tree.Len(), k)
		}
	}
	f := New(c)
	f.check = func() error {
		if k < 0 {
			return fmt.Errorf("top k %d is negative", k)
		}
		return nil
	}
	return f
}

// add keeps v if it is among the k largest so far.
func (s *topState[T]) add(v T, k int, less func(a, b T) bool, rank btree.LessFunc[ranked[T]]) {
	if k == 0 {
		return
	}
	s.seq++
	if s.tree == nil {
		s.tree = btree.NewG(topDegree, rank)
	}
	if s.tree.Len() == k {
		// v arrived last, so it beats the k-th only if strictly larger.
		if !less(s.low.v, v) {
			return
		}
		s.tree.DeleteMin()
	}
	s.tree.ReplaceOrInsert(ranked[T]{v: v, seq: s.seq})
	if s.tree.Len() == k {
		s.low, _ = s.tree.Min()
	}
}

// pop returns the next pack to push for the END: the largest value left with
// REDO (called again with the END), or the END once none is left.
func (s *topState[T]) pop() hints.Pack[T] {
	if s.tree != nil {
		if r, ok := s.tree.DeleteMax(); ok {
			return hints.Pack[T]{Value: r.v, Hint: hints.Redo}
		}
	}
	*s = topState[T]{}
	return hints.Pack[T]{Hint: hints.End}
}
