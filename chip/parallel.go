package chip

import (
	"context"
	"fmt"

	"github.com/runlet/runlet/pool"

	"github.com/runlet/runlet/hints"
)

// ParallelMap returns an async chip that applies f to each data value on n
// worker goroutines, pushing results in the order they finish. f gets a ctx
// that is cancelled when the runlet stops; an error from f fails the runlet.
// n must be at least 1 (Attach reports otherwise). Work is handed out in
// batches (see the package doc), so f may be as small as a microsecond.
func ParallelMap[In, Out any](key string, prev *pool.Pend[In], next *pool.Pend[Out], n int, f func(ctx context.Context, v In) (Out, error)) *Func[In, Out, struct{}] {
	return parallelMap(key, prev, next, n, false, f)
}

// OrderedMap is [ParallelMap] that keeps input order: results that finish
// early wait in a reorder buffer until the ones before them are pushed. The
// buffer holds at most the batches in flight, and what it holds counts
// against the next pend's limits, so a slow item applies backpressure
// upstream instead of growing memory.
func OrderedMap[In, Out any](key string, prev *pool.Pend[In], next *pool.Pend[Out], n int, f func(ctx context.Context, v In) (Out, error)) *Func[In, Out, struct{}] {
	return parallelMap(key, prev, next, n, true, f)
}

func parallelMap[In, Out any](key string, prev *pool.Pend[In], next *pool.Pend[Out], n int, ordered bool, f func(context.Context, In) (Out, error)) *Func[In, Out, struct{}] {
	c := Config[In, Out, struct{}]{
		Key: key, Prev: prev, Next: next,
		Async: true, Concurrency: max(n, 1), Ordered: ordered,
	}
	if f != nil {
		c.Process = func(ctx context.Context, in hints.Pack[In], _ *struct{}) (hints.Pack[Out], error) {
			if in.Hint == hints.End {
				return hints.Pack[Out]{Hint: hints.End}, nil
			}
			v, err := f(ctx, in.Value)
			return hints.Pack[Out]{Value: v}, err
		}
	}
	fn := New(c)
	fn.check = func() error {
		if n < 1 {
			return fmt.Errorf("parallel map needs at least 1 worker, got %d", n)
		}
		return nil
	}
	return fn
}
