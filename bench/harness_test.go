package bench

import (
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
	kitsune "github.com/zenbaku/go-kitsune"
	"golang.org/x/sync/errgroup"
)

// system is one way of running a workload: run moves n items through the
// system's pipeline and returns a checksum of what came out, which must
// equal the workload's want(n), so a broken pipeline fails the benchmark and
// TestWorkloads.
type system struct {
	name string
	run  func(n int) (uint64, error)
}

// workload is one job, done the same way by every system in it. A system
// missing from a workload has no natural way to do it (see the workload's
// doc comment).
type workload struct {
	name    string
	bytes   int64 // bytes per item, for MB/s; 0 for none
	want    func(n int) uint64
	systems []system
	// report, if set, adds metrics to each system's benchmark from its
	// ns/item.
	report func(b *testing.B, nsPerItem float64)
}

// perItem reports ns/item, allocs/item and B/item for a benchmark that moves
// b.N items: b.N is the number of items, so ns/op is ns/item too, and the
// allocation figures come from the runtime's counters over the whole run,
// setup included (amortized over b.N).
func perItem(b *testing.B, run func()) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	run()
	b.StopTimer()
	runtime.ReadMemStats(&after)
	n := float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/item")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/item")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/item")
}

// benchWorkload runs every system of w as a sub-benchmark named after it,
// checking its output.
func benchWorkload(b *testing.B, w workload) {
	for _, s := range w.systems {
		b.Run(s.name, func(b *testing.B) {
			var got uint64
			var err error
			b.SetBytes(w.bytes)
			perItem(b, func() { got, err = s.run(b.N) })
			if err != nil {
				b.Fatal(err)
			}
			if want := w.want(b.N); got != want {
				b.Fatalf("%s/%s: checksum %d, want %d", w.name, s.name, got, want)
			}
			if w.report != nil {
				w.report(b, float64(b.Elapsed().Nanoseconds())/float64(b.N))
			}
		})
	}
}

// checkWorkload runs every system of w on a few small counts (the edge
// cases of batching and splitting among them) and checks their output.
func checkWorkload(t *testing.T, w workload, counts ...int) {
	t.Helper()
	for _, s := range w.systems {
		for _, n := range counts {
			got, err := s.run(n)
			if err != nil {
				t.Errorf("%s/%s n=%d: %v", w.name, s.name, n, err)
				continue
			}
			if want := w.want(n); got != want {
				t.Errorf("%s/%s n=%d: checksum %d, want %d", w.name, s.name, n, got, want)
			}
		}
	}
}

// sumTo is 0+1+...+(n-1), the checksum of most workloads.
func sumTo(n int) uint64 { return uint64(n) * uint64(max(n-1, 0)) / 2 }

// newPool returns a fresh pool "default" (limit 1024), the pool of the
// runlet benchmarks: each run declares its pends in a pool of its own.
func newPool() *pool.Pool { return pool.New("default", 1024) }

// at declares pend key of element type T in p, with room for long bursts.
func at[T any](p *pool.Pool, key string) *pool.Pend[T] {
	return pool.NewPend[T](p, key).Size(256, 0)
}

// ats declares a pend of element type T in p for each key, as at does.
func ats[T any](p *pool.Pool, keys ...string) []*pool.Pend[T] {
	ds := make([]*pool.Pend[T], len(keys))
	for i, k := range keys {
		ds[i] = at[T](p, k)
	}
	return ds
}

// count is the runlet input chip of every integer workload: it pushes
// 0, 1, ..., n-1, then END, from a counter (no slice of inputs).
func count(key string, next *pool.Pend[int], n int) chip.Chip {
	return chip.NewInput(key, next, nil, countFn(n))
}

// countFn is count's produce function, which the FusedCalls systems call
// through a function value in place of the input chip.
func countFn(n int) func(context.Context, *int) (hints.Pack[int], error) {
	return func(_ context.Context, i *int) (hints.Pack[int], error) {
		if *i == n {
			return hints.EndOf[int](1), nil
		}
		*i++
		return hints.Data(*i - 1), nil
	}
}

// runRunlet runs chips in one runlet (over the pools of their pends, most
// often one from newPool) with the default Config, but for Stats, which
// RUNLET_BENCH_STATS=1 turns on: the same binary measures statistics off
// and on.
func runRunlet(chips ...chip.Chip) error {
	return runlet.New(chips, runlet.Config{Stats: benchStats}).Run(context.Background())
}

var benchStats = os.Getenv("RUNLET_BENCH_STATS") == "1"

// kitsuneCount is the go-kitsune source of the integer workloads: a
// Generate over a counter (genInts), the same input as count.
func kitsuneCount(n int) *kitsune.Pipeline[int] { return kitsune.Generate(genInts(n)) }

// egCount starts the errgroup source of the integer workloads: a goroutine
// of g that sends 0..n-1 and closes the channel it returns, giving up when
// ctx is done (the pipeline pattern of errgroup's documentation).
func egCount(ctx context.Context, g *errgroup.Group, n int) <-chan int {
	out := make(chan int, 1024)
	g.Go(func() error {
		defer close(out)
		for i := range n {
			select {
			case out <- i:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	return out
}

// egStage starts a goroutine of g that sends f(v) for each v of in.
func egStage[In, Out any](ctx context.Context, g *errgroup.Group, in <-chan In, f func(In) Out) <-chan Out {
	out := make(chan Out, 1024)
	g.Go(func() error {
		defer close(out)
		for v := range in {
			select {
			case out <- f(v):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	return out
}

// chanCount starts the hand-written source: a goroutine sending 0..n-1 on a
// channel buffered 1024, closed at the end.
func chanCount(n int) <-chan int {
	out := make(chan int, 1024)
	go func() {
		for i := range n {
			out <- i
		}
		close(out)
	}()
	return out
}

// opaque returns f through a call the compiler cannot see into, so a
// FusedCalls system calls f as a function value (an indirect call, as a
// runtime calling user code does) and the compiler neither inlines the
// closure nor specializes the loop around it.
//
//go:noinline
func opaque[F any](f F) F { return f }
