package bench

import (
	"context"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// at names a pend of the benchmarks' pool, with room for long bursts.
func at(pend string) chip.PendRef { return chip.At("default", pend).Sized(256, 0) }

// upTo returns 0, 1, ..., n-1: the input of the benchmarks.
func upTo(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func benchRunlet(chips ...chip.Chip) *runlet.Runlet {
	return runlet.New([]*pool.Pool{pool.New("default", 1024)}, chips, runlet.Config{})
}

// BenchmarkFlatMap5 turns each of b.N ints into 5 (v, v+1, ... v+4) and sums
// them: the 1:N ratio through REDO. Items are the b.N inputs.
func BenchmarkFlatMap5(b *testing.B) {
	want := func(n int) int { return 5*n*(n-1)/2 + 10*n }
	b.Run("Fused", func(b *testing.B) {
		sum := 0
		perItem(b, func() {
			var buf [5]int
			for i := range b.N {
				for k := range buf {
					buf[k] = i + k
				}
				for _, v := range buf {
					sum += v
				}
			}
		})
		if sum != want(b.N) {
			b.Fatalf("sum %d, want %d", sum, want(b.N))
		}
	})
	b.Run("Channels", func(b *testing.B) {
		sum := 0
		perItem(b, func() {
			in, out := make(chan int, 1024), make(chan int, 1024)
			go func() {
				for i := range b.N {
					in <- i
				}
				close(in)
			}()
			go func() {
				for v := range in {
					for k := range 5 {
						out <- v + k
					}
				}
				close(out)
			}()
			for v := range out {
				sum += v
			}
		})
		if sum != want(b.N) {
			b.Fatalf("sum %d, want %d", sum, want(b.N))
		}
	})
	b.Run("Runlet", func(b *testing.B) {
		sum := 0
		ints := upTo(b.N)
		var buf [5]int // FlatMap may be handed the same buffer each time
		r := benchRunlet(
			chip.FromSlice("in", at("a"), ints),
			chip.FlatMap("x5", at("a"), at("b"), func(v int) ([]int, error) {
				for k := range buf {
					buf[k] = v + k
				}
				return buf[:], nil
			}),
			chip.ForEach("sum", at("b"), func(v int) error { sum += v; return nil }),
		)
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

// BenchmarkBatch100 gathers b.N ints into batches of 100 (N:1 through SKIP),
// unbatches them (1:N through REDO) and sums: a slice is made per batch,
// the rest allocates nothing.
func BenchmarkBatch100(b *testing.B) {
	want := func(n int) int { return n * (n - 1) / 2 }
	b.Run("Fused", func(b *testing.B) {
		sum := 0
		perItem(b, func() {
			batch := make([]int, 0, 100)
			flush := func() {
				for _, v := range batch {
					sum += v
				}
				batch = batch[:0]
			}
			for i := range b.N {
				if batch = append(batch, i); len(batch) == 100 {
					flush()
				}
			}
			flush()
		})
		if sum != want(b.N) {
			b.Fatalf("sum %d, want %d", sum, want(b.N))
		}
	})
	b.Run("Channels", func(b *testing.B) {
		sum := 0
		perItem(b, func() {
			in, batches, out := make(chan int, 1024), make(chan []int, 16), make(chan int, 1024)
			go func() {
				for i := range b.N {
					in <- i
				}
				close(in)
			}()
			go func() {
				batch := make([]int, 0, 100)
				for v := range in {
					if batch = append(batch, v); len(batch) == 100 {
						batches <- batch
						batch = make([]int, 0, 100)
					}
				}
				if len(batch) > 0 {
					batches <- batch
				}
				close(batches)
			}()
			go func() {
				for batch := range batches {
					for _, v := range batch {
						out <- v
					}
				}
				close(out)
			}()
			for v := range out {
				sum += v
			}
		})
		if sum != want(b.N) {
			b.Fatalf("sum %d, want %d", sum, want(b.N))
		}
	})
	b.Run("Runlet", func(b *testing.B) {
		sum := 0
		ints := upTo(b.N)
		r := benchRunlet(
			chip.FromSlice("in", at("a"), ints),
			chip.Batch[int]("batch", at("a"), at("b"), 100, 0),
			chip.Unbatch[int]("unbatch", at("b"), at("c")),
			chip.ForEach("sum", at("c"), func(v int) error { sum += v; return nil }),
		)
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
