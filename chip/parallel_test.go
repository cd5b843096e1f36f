package chip_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// numbers is a sync input chip of 1..n.
func numbers(key string, next *pool.Pend[int], n int) chip.Chip {
	return chip.NewInput(key, next, nil, func(_ context.Context, i *int) (hints.Pack[int], error) {
		if *i == n {
			return hints.EndOf[int](1), nil
		}
		*i++
		return hints.Data(*i), nil
	})
}

// gather is a sync output chip appending to *dst.
func gather[T any](key string, prev *pool.Pend[T], dst *[]T) chip.Chip {
	return chip.NewOutput(key, prev, nil, func(_ context.Context, in hints.Pack[T], _ *struct{}) error {
		if in.Hint != hints.End {
			*dst = append(*dst, in.Value)
		}
		return nil
	})
}

// parPends declares int pends a and b in a new pool "default" of limit.
func parPends(limit int) (a, b *pool.Pend[int]) {
	p := pool.New("default", limit)
	return pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
}

var errParallel = errors.New("parallel failure")

func TestParallelMaps(t *testing.T) {
	for _, ordered := range []bool{false, true} {
		for _, n := range []int{1, 4, 16} {
			name := fmt.Sprintf("ordered=%v/n=%d", ordered, n)
			mk := chip.ParallelMap[int, int]
			if ordered {
				mk = chip.OrderedMap[int, int]
			}
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(n), 7))
					delay := make([]time.Duration, 301)
					for i := range delay {
						delay[i] = time.Duration(rng.IntN(500)) * time.Microsecond
					}
					var running, peak atomic.Int32
					var got []int
					a, b := parPends(64)
					err := runlet.Run(context.Background(), numbers("in", a, 300),
						mk("sq", a, b, n, func(ctx context.Context, v int) (int, error) {
							c := running.Add(1)
							defer running.Add(-1)
							for q := peak.Load(); c > q && !peak.CompareAndSwap(q, c); q = peak.Load() {
							}
							time.Sleep(delay[v])
							return v * v, nil
						}),
						gather("out", b, &got))
					if err != nil {
						t.Fatal(err)
					}
					want := make([]int, 300)
					for i := range want {
						want[i] = (i + 1) * (i + 1)
					}
					if !ordered {
						slices.Sort(got)
					}
					if !slices.Equal(got, want) {
						t.Errorf("got %v...\nwant %v...", got[:min(10, len(got))], want[:10])
					}
					if peak.Load() != int32(n) {
						t.Errorf("peak concurrency %d, want %d", peak.Load(), n)
					}
				})
			})
			t.Run(name+"/empty", func(t *testing.T) {
				var got []int
				a, b := parPends(4)
				err := runlet.Run(context.Background(), numbers("in", a, 0), mk("sq", a, b, n, func(context.Context, int) (int, error) {
					t.Error("f called on empty input")
					return 0, nil
				}), gather("out", b, &got))
				if err != nil || len(got) != 0 {
					t.Errorf("Run = %v, got %v; want nil and nothing", err, got)
				}
			})
			t.Run(name+"/error", func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					var got []int
					a, b := parPends(4)
					err := runlet.Run(context.Background(), numbers("in", a, 100), mk("sq", a, b, n, func(_ context.Context, v int) (int, error) {
						if v == 50 {
							return 0, errParallel
						}
						return v, nil
					}), gather("out", b, &got))
					if !errors.Is(err, errParallel) || !strings.Contains(err.Error(), `chip "sq"`) {
						t.Errorf("Run = %v, want errParallel naming chip \"sq\"", err)
					}
				})
			})
			t.Run(name+"/panic", func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					var got []int
					a, b := parPends(4)
					err := runlet.Run(context.Background(), numbers("in", a, 100), mk("sq", a, b, n, func(_ context.Context, v int) (int, error) {
						if v == 7 {
							panic("bad item")
						}
						return v, nil
					}), gather("out", b, &got))
					var pe *chip.PanicError
					if !errors.As(err, &pe) || pe.Value != "bad item" {
						t.Errorf("Run = %v, want a PanicError", err)
					}
				})
			})
		}
	}
}

// The user function's ctx is cancelled when the runlet stops.
func TestParallelMapCtxCancelledOnStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := parPends(8)
		var cancelled atomic.Int32
		var got []int
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r := runlet.New([]chip.Chip{
			numbers("in", a, 100),
			chip.OrderedMap("wait", a, b, 4, func(ctx context.Context, v int) (int, error) {
				<-ctx.Done()
				cancelled.Add(1)
				return v, ctx.Err()
			}),
			gather("out", b, &got),
		}, runlet.Config{})
		if err := r.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Run = %v, want DeadlineExceeded", err)
		}
		if cancelled.Load() != 4 {
			t.Errorf("%d calls saw their ctx cancelled, want the 4 in flight", cancelled.Load())
		}
	})
}

func TestParallelMapNeedsAWorker(t *testing.T) {
	a, b := parPends(4)
	var got []int
	err := runlet.Run(context.Background(), numbers("in", a, 1), chip.ParallelMap("pm", a, b, 0, func(_ context.Context, v int) (int, error) { return v, nil }), gather("out", b, &got))
	if err == nil || !strings.Contains(err.Error(), `chip "pm": parallel map needs at least 1 worker, got 0`) {
		t.Errorf("Run = %v", err)
	}
}
