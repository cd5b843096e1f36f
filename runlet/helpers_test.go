package runlet_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

const pk = "default" // the pool most tests use

// ip declares int pend key in p: most tests move ints.
func ip(p *pool.Pool, key string) *pool.Pend[int] { return pool.NewPend[int](p, key) }

// sp declares string pend key in p.
func sp(p *pool.Pool, key string) *pool.Pend[string] { return pool.NewPend[string](p, key) }

// source is a sync input chip producing values, then END.
func source[T any](key string, next *pool.Pend[T], values []T) chip.Chip {
	return chip.NewInput(key, next, nil, func(_ context.Context, i *int) (hints.Pack[T], error) {
		if *i == len(values) {
			return hints.EndOf[T](1), nil
		}
		*i++
		return hints.Data(values[*i-1]), nil
	})
}

// sink collects what reaches an output chip; Ends counts END packs seen.
type sink[T any] struct {
	mu   sync.Mutex
	Got  []T
	Ends int
	Errs []error
}

func (s *sink[T]) values() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.Got)
}

// output is a sync output chip feeding s; it records the error it is told.
func (s *sink[T]) output(key string, prev *pool.Pend[T]) chip.Chip {
	return chip.New(chip.Config[T, struct{}, struct{}]{
		Key: key, Prev: prev,
		Process: func(_ context.Context, in hints.Pack[T], _ *struct{}) (hints.Pack[struct{}], error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if in.Hint == hints.End {
				s.Ends++
				return hints.EndOf[struct{}](1), nil
			}
			s.Got = append(s.Got, in.Value)
			return hints.SkipOf[struct{}](), nil
		},
		OnError: func(err error, _ *hints.Pack[T], _ *struct{}) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.Errs = append(s.Errs, err)
		},
	})
}

// mapper is a 1:1 chip applying f to data and passing END through.
func mapper[In, Out any](key string, prev *pool.Pend[In], next *pool.Pend[Out], async bool, n int, f func(In) Out) chip.Chip {
	return chip.New(chip.Config[In, Out, struct{}]{
		Key: key, Prev: prev, Next: next, Async: async, Concurrency: n,
		Process: func(_ context.Context, in hints.Pack[In], _ *struct{}) (hints.Pack[Out], error) {
			if in.Hint == hints.End {
				return hints.EndOf[Out](1), nil
			}
			return hints.Data(f(in.Value)), nil
		},
	})
}

func ints(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func newRunlet(chips ...chip.Chip) *runlet.Runlet {
	return runlet.New(chips, runlet.Config{})
}

func mustRun(t *testing.T, r *runlet.Runlet) {
	t.Helper()
	if err := r.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v\n%s", err, r.Describe())
	}
}

func equal[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// innerOf returns a logical pool's inner pool, as the engine resolves it.
func innerOf(p *pool.Pool) *pool.Pool { return (*pool.Pool)((*engine.Pool)(p).Inner()) }
