package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// logicalRunlet builds FromSlice(0..n-1) into a view of logical pool "lp"
// over viewees of inner pool "store" (limit 1024, each viewee with a private
// size of 256, so bursts are long), with a summing chip.ForEach on each
// viewee. define defines the view "view" over the viewees.
func logicalRunlet(n int, viewees []string, sums []int, define func(lp *pool.Pool, viewees []string) error) (*runlet.Runlet, error) {
	inner := pool.New("store", 1024)
	for _, v := range viewees {
		if err := inner.Configure(v, 256, 0); err != nil {
			return nil, err
		}
	}
	lp := logicalpool.New("lp", inner)
	if err := define(lp, viewees); err != nil {
		return nil, err
	}
	chips := []chip.Chip{chip.FromSlice("in", chip.At("lp", "view"), upTo(n))}
	for i, v := range viewees {
		sum := &sums[i]
		chips = append(chips, chip.ForEach("sum-"+v, chip.At("store", v), func(x int) error { *sum += x; return nil }))
	}
	return runlet.New([]*pool.Pool{inner, lp}, chips, runlet.Config{}), nil
}

// BenchmarkDuplicate2 duplicates b.N ints to two consumers that each sum
// them. Items are the b.N inputs (each consumer sees all of them).
func BenchmarkDuplicate2(b *testing.B) {
	want := func(n int) int { return n * (n - 1) / 2 }
	check := func(b *testing.B, sums []int) {
		for i, s := range sums {
			if s != want(b.N) {
				b.Fatalf("consumer %d: sum %d, want %d", i, s, want(b.N))
			}
		}
	}
	b.Run("Channels", func(b *testing.B) {
		sums := make([]int, 2)
		perItem(b, func() {
			chs := []chan int{make(chan int, 1024), make(chan int, 1024)}
			go func() {
				for i := range b.N {
					chs[0] <- i
					chs[1] <- i
				}
				close(chs[0])
				close(chs[1])
			}()
			var wg sync.WaitGroup
			for k, ch := range chs {
				wg.Go(func() {
					s := 0
					for v := range ch {
						s += v
					}
					sums[k] = s
				})
			}
			wg.Wait()
		})
		check(b, sums)
	})
	b.Run("Runlet", func(b *testing.B) {
		sums := make([]int, 2)
		r, err := logicalRunlet(b.N, []string{"a", "b"}, sums, func(lp *pool.Pool, viewees []string) error {
			return logicalpool.Duplicate[int](lp, "view", viewees, nil)
		})
		if err != nil {
			b.Fatal(err)
		}
		perItem(b, func() {
			if err := r.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
		check(b, sums)
	})
}

// BenchmarkLoadBalance4 spreads b.N ints over four consumers that each sum
// their share. Items are the b.N inputs.
func BenchmarkLoadBalance4(b *testing.B) {
	want := func(n int) int { return n * (n - 1) / 2 }
	check := func(b *testing.B, sums []int) {
		total := 0
		for _, s := range sums {
			total += s
		}
		if total != want(b.N) {
			b.Fatalf("sums %v total %d, want %d", sums, total, want(b.N))
		}
	}
	b.Run("Channels", func(b *testing.B) {
		sums := make([]int, 4)
		perItem(b, func() {
			ch := make(chan int, 1024)
			go func() {
				for i := range b.N {
					ch <- i
				}
				close(ch)
			}()
			var wg sync.WaitGroup
			for k := range sums {
				wg.Go(func() {
					s := 0
					for v := range ch {
						s += v
					}
					sums[k] = s
				})
			}
			wg.Wait()
		})
		check(b, sums)
	})
	b.Run("Runlet", func(b *testing.B) {
		sums := make([]int, 4)
		viewees := make([]string, len(sums))
		for i := range viewees {
			viewees[i] = fmt.Sprint("w", i)
		}
		r, err := logicalRunlet(b.N, viewees, sums, func(lp *pool.Pool, viewees []string) error {
			return logicalpool.LoadBalance[int](lp, "view", viewees, logicalpool.RoundRobin)
		})
		if err != nil {
			b.Fatal(err)
		}
		perItem(b, func() {
			if err := r.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
		check(b, sums)
	})
}
