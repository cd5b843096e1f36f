package chip

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// ErrSortFull is the error of a [Sort] or [SortBy] chip that is given more
// data values than its max; the runlet's error wraps it with the chip key
// and the max (errors.Is reaches it).
var ErrSortFull = errors.New("chip: sort: more values than its max")

// sortState is the state of a Sort chip.
type sortState[T any] struct {
	buf    []T  // the values so far; sorted once END came
	sorted bool // END came: buf is sorted and being pushed
	i      int  // the next value of buf to push
}

// Sort returns a sync chip that gathers the data values (N:1, through SKIP)
// and on END pushes them in ascending order by cmp.Compare (NaNs first),
// then the END (1:N, through REDO on the END pack); with no data, just the
// END. It is [SortBy] with cmp.Less.
func Sort[T cmp.Ordered](key string, prev, next *pool.Pend[T], maxValues int) *Func[T, T, sortState[T]] {
	return sortChip(key, prev, next, maxValues, cmp.Compare[T])
}

// SortBy returns a sync chip that gathers the data values (N:1, through
// SKIP) and on END pushes them sorted by less, ascending, then the END (1:N,
// through REDO on the END pack); with no data, just the END. The sort is
// stable: values less finds equal keep their arrival order.
//
// Memory is bounded by maxValues, which must be at least 1 (Attach reports
// otherwise): the chip holds every value until END in a slice that doubles
// as it fills, up to a capacity of maxValues, and a data value past
// maxValues fails the runlet with [ErrSortFull], naming the chip, rather
// than being dropped. The slice is let go once the END is pushed. less runs
// on the scheduler's goroutine, all of the sort at once on the END pack, and
// must not block; a panic in it fails the runlet, naming the chip. A nil
// less is reported by Attach.
func SortBy[T any](key string, prev, next *pool.Pend[T], maxValues int, less func(a, b T) bool) *Func[T, T, sortState[T]] {
	var compare func(a, b T) int
	if less != nil {
		compare = func(a, b T) int {
			switch {
			case less(a, b):
				return -1
			case less(b, a):
				return 1
			}
			return 0
		}
	}
	return sortChip(key, prev, next, maxValues, compare)
}

// sortChip is Sort and SortBy by compare.
func sortChip[T any](key string, prev, next *pool.Pend[T], maxValues int, compare func(a, b T) int) *Func[T, T, sortState[T]] {
	c := Config[T, T, sortState[T]]{
		Key: key, Prev: prev, Next: next,
		Describe: func(s *sortState[T]) string {
			if s.sorted {
				return fmt.Sprintf("[sorted %d, %d pushed]", len(s.buf), s.i)
			}
			return fmt.Sprintf("[sort %d of max %d]", len(s.buf), maxValues)
		},
	}
	if compare != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], s *sortState[T]) (hints.Pack[T], error) {
			if in.Hint != hints.End {
				if len(s.buf) >= maxValues {
					return hints.Pack[T]{}, fmt.Errorf("%w (%d)", ErrSortFull, maxValues)
				}
				s.buf = appendBounded(s.buf, in.Value, maxValues)
				return hints.Pack[T]{Hint: hints.Skip}, nil
			}
			if !s.sorted {
				slices.SortStableFunc(s.buf, compare)
				s.sorted = true
			}
			if s.i < len(s.buf) {
				s.i++
				return hints.Pack[T]{Value: s.buf[s.i-1], Hint: hints.Redo}, nil
			}
			*s = sortState[T]{}
			return hints.Pack[T]{Hint: hints.End}, nil
		}
	}
	f := New(c)
	f.check = func() error {
		if maxValues < 1 {
			return fmt.Errorf("sort max %d is below 1", maxValues)
		}
		return nil
	}
	return f
}

// appendBounded appends v to s, which holds fewer than bound values,
// doubling its capacity when full but never past bound.
func appendBounded[T any](s []T, v T, bound int) []T {
	if len(s) == cap(s) {
		grown := make([]T, len(s), min(max(2*cap(s), 16), bound))
		copy(grown, s)
		s = grown
	}
	return append(s, v)
}
