package runlet_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// An Ordered async chip keeps input order under random per-item delays.
func TestOrderedAsyncKeepsOrder(t *testing.T) {
	for _, n := range []int{1, 4, 16} {
		t.Run(fmt.Sprint("concurrency=", n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(pk, 32)
				a, b := ip(p, "a"), ip(p, "b")
				rng := rand.New(rand.NewPCG(1, uint64(n)))
				delays := make([]time.Duration, 501)
				for i := range delays {
					delays[i] = time.Duration(rng.IntN(1000)) * time.Microsecond
				}
				slow := chip.New(chip.Config[int, int, struct{}]{
					Key: "slow", Prev: a, Next: b, Async: true, Concurrency: n, Ordered: true,
					Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
						if in.Hint == hints.End {
							return in, nil
						}
						time.Sleep(delays[in.Value])
						in.Value *= 10
						return in, nil
					},
				})
				var s sink[int]
				mustRun(t, newRunlet(source("in", a, ints(500)), slow, s.output("out", b)))
				want := make([]int, 500)
				for i := range want {
					want[i] = (i + 1) * 10
				}
				equal(t, "ordered output", s.values(), want)
			})
		})
	}
}

// Outputs waiting behind a slow head item count against the pool, so
// upstream waits instead of memory growing: the outputs made but not yet
// delivered stay within the pool limit plus the batches in flight, though
// every 100th item takes 1000x longer than the rest.
func TestOrderedAsyncSlowHeadAppliesBackpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 40)
		a, b := ip(p, "a"), ip(p, "b")
		var made, delivered, peakWaiting atomic.Int32
		slowHead := chip.New(chip.Config[int, int, struct{}]{
			Key: "work", Prev: a, Next: b, Async: true, Concurrency: 8, Ordered: true,
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				if in.Value%100 == 1 {
					time.Sleep(time.Second)
				} else {
					time.Sleep(time.Millisecond)
				}
				w := made.Add(1) - delivered.Load()
				for p := peakWaiting.Load(); w > p && !peakWaiting.CompareAndSwap(p, w); p = peakWaiting.Load() {
				}
				return in, nil
			},
		})
		var got []int
		out := chip.NewOutput("out", b, nil, func(_ context.Context, in hints.Pack[int], _ *struct{}) error {
			if in.Hint != hints.End {
				delivered.Add(1)
				got = append(got, in.Value)
			}
			return nil
		})
		r := runlet.New([]chip.Chip{source("in", a, ints(400)), slowHead, out}, runlet.Config{})
		mustRun(t, r)
		equal(t, "ordered output", got, ints(400))
		// Without the reorder buffer counting against the pool, the seven
		// fast workers run ahead by about 100 items behind each slow one.
		if w := peakWaiting.Load(); w > 40+8 {
			t.Errorf("up to %d outputs made but not delivered, want at most %d", w, 48)
		}
	})
}
