package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/sourcegraph/conc/pool"
	kitsune "github.com/zenbaku/go-kitsune"
	"golang.org/x/sync/errgroup"
)

// ioInFlight is how many calls of ioWork an I/O-bound map has in flight.
const ioInFlight = 64

// ioWork is the I/O-bound work of one item: a 1 ms sleep standing in for a
// call that waits on the world.
func ioWork(v int) int {
	time.Sleep(time.Millisecond)
	return 2 * v
}

// sleepNs is how long time.Sleep(time.Millisecond) really takes here, the
// mean of 200 sleeps measured once per process: the timer's granularity
// makes it longer than 1 ms (about 1.1 ms on Linux), and it sets the limit
// of an I/O-bound map, ioInFlight/sleepNs items per ns.
var sleepNs = sync.OnceValue(func() float64 {
	const k = 200
	start := time.Now()
	for range k {
		time.Sleep(time.Millisecond)
	}
	return float64(time.Since(start).Nanoseconds()) / k
})

// ioMap maps 0..n-1 through ioWork with ioInFlight calls in flight, in any
// order, and sums. Fused splits the items into ioInFlight contiguous ranges,
// one goroutine each, with no hand-off: the real limit, measured. Channels
// is ioInFlight workers on one channel; Runlet is chip.ParallelMap(64);
// Kitsune kitsune.Map with Concurrency(64); Errgroup and Conc a goroutine
// per item under a limit of 64 (errgroup's SetLimit, conc's
// WithMaxGoroutines). Ro has no map with a bound on what is in flight
// (MergeMap subscribes to every inner Observable at once) and is left out.
//
// There is no FusedCalls system: the work is a blocking call, and the limit
// is how many are in flight, not the cost of calling it (Fused already
// calls ioWork once per item).
//
// Besides ns/item each reports sleep-ns (the measured sleep) and %limit:
// its items/s as a percentage of ioInFlight/sleep-ns.
var ioMap = workload{
	name: "IOMap",
	want: func(n int) uint64 { return 2 * sumTo(n) },
	report: func(b *testing.B, nsPerItem float64) {
		b.ReportMetric(sleepNs(), "sleep-ns")
		b.ReportMetric(100*sleepNs()/(ioInFlight*nsPerItem), "%limit")
	},
	systems: []system{
		{"Fused", func(n int) (uint64, error) {
			var sums [ioInFlight]struct {
				v uint64
				_ [56]byte
			}
			var wg sync.WaitGroup
			for w := range ioInFlight {
				lo, hi := n*w/ioInFlight, n*(w+1)/ioInFlight
				wg.Go(func() {
					for i := lo; i < hi; i++ {
						sums[w].v += uint64(ioWork(i))
					}
				})
			}
			wg.Wait()
			var s uint64
			for _, v := range sums {
				s += v.v
			}
			return s, nil
		}},
		{"Channels", func(n int) (uint64, error) {
			in, out := chanCount(n), make(chan int, 1024)
			var wg sync.WaitGroup
			for range ioInFlight {
				wg.Go(func() {
					for v := range in {
						out <- ioWork(v)
					}
				})
			}
			go func() {
				wg.Wait()
				close(out)
			}()
			s := 0
			for v := range out {
				s += v
			}
			return uint64(s), nil
		}},
		{"Runlet", func(n int) (uint64, error) {
			s := 0
			p := newPool()
			a, b := at[int](p, "a"), at[int](p, "b")
			err := runRunlet(
				count("in", a, n),
				chip.ParallelMap("io", a, b, ioInFlight, func(_ context.Context, v int) (int, error) { return ioWork(v), nil }),
				chip.ForEach("sum", b, func(v int) error { s += v; return nil }),
			)
			return uint64(s), err
		}},
		{"Kitsune", func(n int) (uint64, error) {
			p := kitsune.Map(kitsuneCount(n), func(_ context.Context, v int) (int, error) { return ioWork(v), nil }, kitsune.Concurrency(ioInFlight))
			s := 0
			_, err := p.ForEach(func(_ context.Context, v int) error { s += v; return nil }).Run(context.Background())
			return uint64(s), err
		}},
		{"Errgroup", func(n int) (uint64, error) {
			var g errgroup.Group
			g.SetLimit(ioInFlight)
			var s atomic.Uint64
			for i := range n {
				g.Go(func() error { s.Add(uint64(ioWork(i))); return nil })
			}
			err := g.Wait()
			return s.Load(), err
		}},
		{"Conc", func(n int) (uint64, error) {
			p := pool.New().WithMaxGoroutines(ioInFlight)
			var s atomic.Uint64
			for i := range n {
				p.Go(func() { s.Add(uint64(ioWork(i))) })
			}
			p.Wait()
			return s.Load(), nil
		}},
	},
}

func BenchmarkIOMap(b *testing.B) { benchWorkload(b, ioMap) }
