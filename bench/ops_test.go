package bench

import (
	"context"
	"runtime"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/samber/ro"
	"github.com/sourcegraph/conc/stream"
	kitsune "github.com/zenbaku/go-kitsune"
	"golang.org/x/sync/errgroup"
)

// flatMap5 turns each input v of 0..n-1 into v, v+1, ..., v+4 and sums them:
// 1:N expansion. Items are the n inputs.
//
// Fused is the plain loop (the limit); FusedCalls the same loop calling the
// runlet's three functions (count's produce, the FlatMap's f, the
// ForEach's f) through function values (the limit of a per-item API).
// Conc has no stages: a stream task per input makes the five values, its
// callback sums them. Ro's FlatMap takes an Observable per input (ro.Just).
var flatMap5 = workload{
	name: "FlatMap5",
	want: func(n int) uint64 { return 5*sumTo(n) + 10*uint64(n) },
	systems: []system{
		{"Fused", func(n int) (uint64, error) {
			s := 0
			var buf [5]int
			for i := range n {
				for k := range buf {
					buf[k] = i + k
				}
				for _, v := range buf {
					s += v
				}
			}
			return uint64(s), nil
		}},
		{"FusedCalls", flatMap5FusedCalls},
		{"Channels", func(n int) (uint64, error) {
			in, out := chanCount(n), make(chan int, 1024)
			go func() {
				for v := range in {
					for k := range 5 {
						out <- v + k
					}
				}
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
			var buf [5]int // FlatMap is done with f's slice before it calls f again
			p := newPool()
			a, b := at[int](p, "a"), at[int](p, "b")
			err := runRunlet(
				count("in", a, n),
				chip.FlatMap("x5", a, b, func(v int) ([]int, error) {
					for k := range buf {
						buf[k] = v + k
					}
					return buf[:], nil
				}),
				chip.ForEach("sum", b, func(v int) error { s += v; return nil }),
			)
			return uint64(s), err
		}},
		{"Kitsune", func(n int) (uint64, error) {
			p := kitsune.FlatMap(kitsuneCount(n), func(_ context.Context, v int, yield func(int) error) error {
				for k := range 5 {
					if err := yield(v + k); err != nil {
						return err
					}
				}
				return nil
			})
			s := 0
			_, err := p.ForEach(func(_ context.Context, v int) error { s += v; return nil }).Run(context.Background())
			return uint64(s), err
		}},
		{"Errgroup", func(n int) (uint64, error) {
			g, ctx := errgroup.WithContext(context.Background())
			in, out := egCount(ctx, g, n), make(chan int, 1024)
			g.Go(func() error {
				defer close(out)
				for v := range in {
					for k := range 5 {
						select {
						case out <- v + k:
						case <-ctx.Done():
							return ctx.Err()
						}
					}
				}
				return nil
			})
			s := 0
			for v := range out {
				s += v
			}
			return uint64(s), g.Wait()
		}},
		{"Ro", func(n int) (uint64, error) {
			var s int64
			var err error
			ro.Pipe1(ro.Range(0, int64(n)), ro.FlatMap(func(v int64) ro.Observable[int64] {
				return ro.Just(v, v+1, v+2, v+3, v+4)
			})).Subscribe(ro.NewObserver(func(v int64) { s += v }, func(e error) { err = e }, func() {}))
			return uint64(s), err
		}},
		{"Conc", func(n int) (uint64, error) {
			st := stream.New().WithMaxGoroutines(runtime.GOMAXPROCS(0))
			s := 0
			for i := range n {
				st.Go(func() stream.Callback {
					var out [5]int
					for k := range out {
						out[k] = i + k
					}
					return func() {
						for _, v := range out {
							s += v
						}
					}
				})
			}
			st.Wait()
			return uint64(s), nil
		}},
	},
}

// flatMap5FusedCalls is a plain loop calling the functions of flatMap5's
// runlet through function values: count's produce, the FlatMap's f (into
// one reused array, as the runlet's does) and the ForEach's f.
func flatMap5FusedCalls(n int) (uint64, error) {
	in := opaque(countFn(n))
	var buf [5]int
	expand := opaque(func(v int) ([]int, error) {
		for k := range buf {
			buf[k] = v + k
		}
		return buf[:], nil
	})
	s := 0
	sum := opaque(func(v int) error { s += v; return nil })
	ctx, i := context.Background(), 0
	for {
		p, _ := in(ctx, &i)
		if p.Hint == hints.End {
			break
		}
		vs, _ := expand(p.Value)
		for _, v := range vs {
			_ = sum(v)
		}
	}
	return uint64(s), nil
}

func BenchmarkFlatMap5(b *testing.B) { benchWorkload(b, flatMap5) }

// batch100 gathers 0..n-1 into batches of 100 (the last one short), then
// unbatches them and sums: N:1 then 1:N. Fused is the plain loop (one
// reused batch: the limit); FusedCalls a loop calling, through function
// values, count's produce, a batching function that hands on a new slice per
// full batch (as chip.Batch must: the batch leaves it) and the ForEach's f
// for each value of a batch (what Unbatch does). Conc has no stages and
// nothing to batch with, so it is left out.
var batch100 = workload{
	name: "Batch100",
	want: sumTo,
	systems: []system{
		{"Fused", func(n int) (uint64, error) {
			s := 0
			batch := make([]int, 0, 100)
			flush := func() {
				for _, v := range batch {
					s += v
				}
				batch = batch[:0]
			}
			for i := range n {
				if batch = append(batch, i); len(batch) == 100 {
					flush()
				}
			}
			flush()
			return uint64(s), nil
		}},
		{"FusedCalls", batch100FusedCalls},
		{"Channels", func(n int) (uint64, error) {
			in, batches, out := chanCount(n), make(chan []int, 16), make(chan int, 1024)
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
			s := 0
			for v := range out {
				s += v
			}
			return uint64(s), nil
		}},
		{"Runlet", func(n int) (uint64, error) {
			s := 0
			p := newPool()
			a, b, c := at[int](p, "a"), at[[]int](p, "b"), at[int](p, "c")
			err := runRunlet(
				count("in", a, n),
				chip.Batch("batch", a, b, 100, 0),
				chip.Unbatch("unbatch", b, c),
				chip.ForEach("sum", c, func(v int) error { s += v; return nil }),
			)
			return uint64(s), err
		}},
		{"Kitsune", func(n int) (uint64, error) {
			p := kitsune.Unbatch(kitsune.Batch(kitsuneCount(n), kitsune.BatchCount(100)))
			s := 0
			_, err := p.ForEach(func(_ context.Context, v int) error { s += v; return nil }).Run(context.Background())
			return uint64(s), err
		}},
		{"Errgroup", func(n int) (uint64, error) {
			g, ctx := errgroup.WithContext(context.Background())
			in, batches, out := egCount(ctx, g, n), make(chan []int, 16), make(chan int, 1024)
			g.Go(func() error {
				defer close(batches)
				batch := make([]int, 0, 100)
				for v := range in {
					if batch = append(batch, v); len(batch) == 100 {
						select {
						case batches <- batch:
						case <-ctx.Done():
							return ctx.Err()
						}
						batch = make([]int, 0, 100)
					}
				}
				if len(batch) > 0 {
					select {
					case batches <- batch:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				return nil
			})
			g.Go(func() error {
				defer close(out)
				for batch := range batches {
					for _, v := range batch {
						select {
						case out <- v:
						case <-ctx.Done():
							return ctx.Err()
						}
					}
				}
				return nil
			})
			s := 0
			for v := range out {
				s += v
			}
			return uint64(s), g.Wait()
		}},
		{"Ro", func(n int) (uint64, error) {
			var s int64
			var err error
			ro.Pipe2(ro.Range(0, int64(n)), ro.BufferWithCount[int64](100), ro.Flatten[int64]()).
				Subscribe(ro.NewObserver(func(v int64) { s += v }, func(e error) { err = e }, func() {}))
			return uint64(s), err
		}},
	},
}

// batch100FusedCalls is batch100's FusedCalls system.
func batch100FusedCalls(n int) (uint64, error) {
	in := opaque(countFn(n))
	batch := make([]int, 0, 100)
	add := opaque(func(v int) []int { // a full batch to hand on, or nil
		if batch = append(batch, v); len(batch) < 100 {
			return nil
		}
		full := batch
		batch = make([]int, 0, 100)
		return full
	})
	s := 0
	sum := opaque(func(v int) error { s += v; return nil })
	unbatch := func(b []int) {
		for _, v := range b {
			_ = sum(v)
		}
	}
	ctx, i := context.Background(), 0
	for {
		p, _ := in(ctx, &i)
		if p.Hint == hints.End {
			break
		}
		if full := add(p.Value); full != nil {
			unbatch(full)
		}
	}
	unbatch(batch) // the last, short batch
	return uint64(s), nil
}

func BenchmarkBatch100(b *testing.B) { benchWorkload(b, batch100) }
