package bench

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/runlet/runlet/chip"
	runletpool "github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
	"github.com/sourcegraph/conc/pool"
	kitsune "github.com/zenbaku/go-kitsune"
	"golang.org/x/sync/errgroup"
)

// cpuBlock is the shared, read-only 1 KiB block every item hashes.
var cpuBlock = func() (b [1024]byte) {
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}()

// hashItem is the per-item work of the CPU-bound map: SHA-256 of cpuBlock
// with its first 8 bytes xored with i, so the work depends on the item and
// nothing can be hoisted. The block is copied to the stack (1 KiB, no
// allocation), the same way in every system. It returns the digest's first
// 8 bytes.
func hashItem(i int) uint64 {
	buf := cpuBlock
	binary.LittleEndian.PutUint64(buf[:8], binary.LittleEndian.Uint64(buf[:8])^uint64(i))
	d := sha256.Sum256(buf[:])
	return binary.LittleEndian.Uint64(d[:8])
}

func hashSerial(n int) uint64 {
	var s uint64
	for i := range n {
		s += hashItem(i)
	}
	return s
}

// cpuMapPend is the private size of each pend of the runlet's CPU map: room
// for many full batches, so the async chip's batches are never cut short by
// room in its next pend.
const cpuMapPend = 4096

// cpuMap hashes 0..n-1 (SHA-256 of 1 KiB, about a microsecond each) with
// GOMAXPROCS workers and sums the digests: the CPU-bound map that parallel
// chips exist for, and the scaling benchmark (run it with -cpu 1,2,4,...).
//
// Serial is one goroutine. Fused splits the items into GOMAXPROCS
// contiguous ranges with no hand-off: the limit. FusedCalls is Fused calling
// the ParallelMap's function through a function value (at about a
// microsecond an item, the call costs nothing measurable: it is there for
// the table's symmetry). Channels is a worker pool
// fed one item at a time; Chunked a worker pool fed slices of 64 items (what
// a careful hand-written pipeline does); Runlet is chip.ParallelMap
// (GOMAXPROCS workers); Kitsune kitsune.Map with Concurrency(GOMAXPROCS);
// Errgroup and Conc a goroutine per item under a limit of GOMAXPROCS. Ro has
// no bounded parallel map and is left out.
var cpuMap = workload{
	name: "CPUMap",
	want: hashSerial,
	systems: []system{
		{"Serial", func(n int) (uint64, error) { return hashSerial(n), nil }},
		{"Fused", func(n int) (uint64, error) {
			p := runtime.GOMAXPROCS(0)
			sums := make([]struct {
				v uint64
				_ [56]byte // one cache line each
			}, p)
			var wg sync.WaitGroup
			for w := range p {
				lo, hi := n*w/p, n*(w+1)/p
				wg.Go(func() {
					var s uint64
					for i := lo; i < hi; i++ {
						s += hashItem(i)
					}
					sums[w].v = s
				})
			}
			wg.Wait()
			var s uint64
			for _, v := range sums {
				s += v.v
			}
			return s, nil
		}},
		{"FusedCalls", cpuMapFusedCalls},
		{"Channels", func(n int) (uint64, error) {
			in, out := chanCount(n), make(chan uint64, 1024)
			var wg sync.WaitGroup
			for range runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					for i := range in {
						out <- hashItem(i)
					}
				})
			}
			go func() {
				wg.Wait()
				close(out)
			}()
			var s uint64
			for v := range out {
				s += v
			}
			return s, nil
		}},
		{"Chunked", func(n int) (uint64, error) {
			const chunk = 64
			in, out := make(chan [2]int, 64), make(chan uint64, 64)
			go func() {
				for lo := 0; lo < n; lo += chunk {
					in <- [2]int{lo, min(lo+chunk, n)}
				}
				close(in)
			}()
			var wg sync.WaitGroup
			for range runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					for r := range in {
						var s uint64
						for i := r[0]; i < r[1]; i++ {
							s += hashItem(i)
						}
						out <- s
					}
				})
			}
			go func() {
				wg.Wait()
				close(out)
			}()
			var s uint64
			for v := range out {
				s += v
			}
			return s, nil
		}},
		{"Runlet", func(n int) (uint64, error) {
			var s uint64
			p := runletpool.New("default", 2*cpuMapPend)
			items := runletpool.NewPend[int](p, "items").Size(cpuMapPend, 0)
			digests := runletpool.NewPend[uint64](p, "digests").Size(cpuMapPend, 0)
			r := runlet.New([]chip.Chip{
				count("in", items, n),
				chip.ParallelMap("sha256", items, digests, runtime.GOMAXPROCS(0),
					func(_ context.Context, i int) (uint64, error) { return hashItem(i), nil }),
				chip.ForEach("sum", digests, func(v uint64) error { s += v; return nil }),
			}, runlet.Config{})
			err := r.Run(context.Background())
			return s, err
		}},
		{"Kitsune", func(n int) (uint64, error) {
			p := kitsune.Map(kitsuneCount(n), func(_ context.Context, i int) (uint64, error) { return hashItem(i), nil },
				kitsune.Concurrency(runtime.GOMAXPROCS(0)))
			var s uint64
			_, err := p.ForEach(func(_ context.Context, v uint64) error { s += v; return nil }).Run(context.Background())
			return s, err
		}},
		{"Errgroup", func(n int) (uint64, error) {
			var g errgroup.Group
			g.SetLimit(runtime.GOMAXPROCS(0))
			var s atomic.Uint64
			for i := range n {
				g.Go(func() error { s.Add(hashItem(i)); return nil })
			}
			err := g.Wait()
			return s.Load(), err
		}},
		{"Conc", func(n int) (uint64, error) {
			p := pool.New().WithMaxGoroutines(runtime.GOMAXPROCS(0))
			var s atomic.Uint64
			for i := range n {
				p.Go(func() { s.Add(hashItem(i)) })
			}
			p.Wait()
			return s.Load(), nil
		}},
	},
}

// cpuMapFusedCalls is cpuMap's FusedCalls system.
func cpuMapFusedCalls(n int) (uint64, error) {
	f := opaque(func(_ context.Context, i int) (uint64, error) { return hashItem(i), nil })
	p := runtime.GOMAXPROCS(0)
	sums := make([]struct {
		v uint64
		_ [56]byte // one cache line each
	}, p)
	var wg sync.WaitGroup
	for w := range p {
		lo, hi := n*w/p, n*(w+1)/p
		wg.Go(func() {
			ctx := context.Background()
			var s uint64
			for i := lo; i < hi; i++ {
				v, _ := f(ctx, i)
				s += v
			}
			sums[w].v = s
		})
	}
	wg.Wait()
	var s uint64
	for _, v := range sums {
		s += v.v
	}
	return s, nil
}

func BenchmarkCPUMap(b *testing.B) { benchWorkload(b, cpuMap) }
