package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// work is 50 microseconds of simulated (I/O-like) work.
func work(v int) int {
	time.Sleep(50 * time.Microsecond)
	return v * 2
}

// BenchmarkOrderedMapAsync maps b.N ints through 50 µs of simulated work
// with n workers, keeping input order, and sums them in order (a checksum
// weighted by position, so order matters). Serial is one goroutine;
// Channels is the usual Go pattern for an ordered parallel map: a future
// channel per item, resolved by n workers and read in order; Runlet is
// chip.OrderedMap. The limit is about 50 µs / n per item (a 50 µs sleep takes
// longer than 50 µs; Serial shows how much).
func BenchmarkOrderedMapAsync(b *testing.B) {
	weighted := func(sum, i, v int) int { return sum + (i%7+1)*v }
	want := func(n int) int {
		s := 0
		for i := range n {
			s = weighted(s, i, i*2)
		}
		return s
	}
	b.Run("Serial", func(b *testing.B) {
		sum := 0
		perItem(b, func() {
			for i := range b.N {
				sum = weighted(sum, i, work(i))
			}
		})
		if sum != want(b.N) {
			b.Fatalf("sum %d, want %d", sum, want(b.N))
		}
	})
	for _, n := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("Channels/n=%d", n), func(b *testing.B) {
			sum := 0
			perItem(b, func() {
				type job struct {
					v   int
					out chan int
				}
				jobs, futures := make(chan job, 1024), make(chan chan int, 1024)
				go func() {
					for i := range b.N {
						j := job{v: i, out: make(chan int, 1)}
						futures <- j.out
						jobs <- j
					}
					close(jobs)
					close(futures)
				}()
				for range n {
					go func() {
						for j := range jobs {
							j.out <- work(j.v)
						}
					}()
				}
				i := 0
				for f := range futures {
					sum = weighted(sum, i, <-f)
					i++
				}
			})
			if sum != want(b.N) {
				b.Fatalf("sum %d, want %d", sum, want(b.N))
			}
		})
		b.Run(fmt.Sprintf("Runlet/n=%d", n), func(b *testing.B) {
			sum, i := 0, 0
			p := pool.New("default", 8*n)
			items, results := pool.NewPend[int](p, "a").Size(4*n, 0), pool.NewPend[int](p, "b").Size(4*n, 0)
			r := runlet.New([]chip.Chip{
				chip.NewInput("in", items, nil, func(_ context.Context, k *int) (hints.Pack[int], error) {
					if *k == b.N {
						return hints.EndOf[int](1), nil
					}
					*k++
					return hints.Data(*k - 1), nil
				}),
				chip.OrderedMap("work", items, results, n, func(_ context.Context, v int) (int, error) { return work(v), nil }),
				chip.NewOutput("sum", results, nil, func(_ context.Context, in hints.Pack[int], _ *struct{}) error {
					if in.Hint != hints.End {
						sum = weighted(sum, i, in.Value)
						i++
					}
					return nil
				}),
			}, runlet.Config{})
			perItem(b, func() {
				if err := r.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
			})
			if sum != want(b.N) {
				b.Fatalf("sum %d, want %d", sum, want(b.N))
			}
		})
	}
}
