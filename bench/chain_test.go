package bench

import (
	"context"
	"runtime"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// step is the work of each of the four map stages.
func step(x int) int { return x*3 + 1 }

var sink int

// perItem reports ns/item and allocs/item for a benchmark that moves b.N
// items. allocs/item comes from the runtime's malloc counter over the run.
func perItem(b *testing.B, run func()) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	run()
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/item")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "allocs/item")
}

// BenchmarkChain4 moves b.N ints through four x*3+1 stages and sums them.
func BenchmarkChain4(b *testing.B) {
	check := func(b *testing.B, got int) {
		want := 0
		for i := range b.N {
			want += step(step(step(step(i))))
		}
		if got != want {
			b.Fatalf("sum = %d, want %d", got, want)
		}
	}

	b.Run("Fused", func(b *testing.B) {
		perItem(b, func() {
			sum := 0
			for i := range b.N {
				sum += step(step(step(step(i))))
			}
			sink = sum
		})
	})

	// FusedCalls is the same plain loop calling chain4's six process
	// functions through function values, as any runtime must: the limit for
	// a runtime that runs user code, where Fused is the limit of the work.
	b.Run("FusedCalls", func(b *testing.B) {
		sum := 0
		in, mapf, out := chain4Procs(b.N, &sum)
		perItem(b, func() {
			ctx, i, none := context.Background(), 0, struct{}{}
			for {
				p, _ := in(ctx, hints.Pack[struct{}]{Hint: hints.Skip}, &i)
				if p.Hint == hints.End {
					out(ctx, p, &none)
					break
				}
				for range 4 {
					p, _ = mapf(ctx, p, &none)
				}
				out(ctx, p, &none)
			}
		})
		check(b, sum)
	})

	b.Run("Channels", func(b *testing.B) {
		perItem(b, func() {
			src := make(chan int, 1024)
			go func() {
				for i := range b.N {
					src <- i
				}
				close(src)
			}()
			c := (<-chan int)(src)
			for range 4 {
				in, out := c, make(chan int, 1024)
				go func() {
					for v := range in {
						out <- step(v)
					}
					close(out)
				}()
				c = out
			}
			sum := 0
			for v := range c {
				sum += v
			}
			sink = sum
		})
	})

	for _, mode := range []struct {
		name  string
		async bool
	}{{"RunletSync", false}, {"RunletAsync", true}} {
		b.Run(mode.name, func(b *testing.B) {
			sum := 0
			r := chain4(b.N, mode.async, &sum)
			perItem(b, func() {
				if err := r.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
			})
			check(b, sum)
		})
	}
}

// chain4Procs are the process functions of chain4's chips: an input of
// 0..n-1, four x*3+1 maps, and a summing output.
func chain4Procs(n int, sum *int) (in chip.Process[struct{}, int, int], mapf chip.Process[int, int, struct{}], out chip.Process[int, struct{}, struct{}]) {
	in = func(_ context.Context, _ hints.Pack[struct{}], i *int) (hints.Pack[int], error) {
		if *i == n {
			return hints.Pack[int]{Hint: hints.End}, nil
		}
		*i++
		return hints.Pack[int]{Value: *i - 1}, nil
	}
	mapf = func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
		in.Value = step(in.Value)
		return in, nil
	}
	out = func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
		if in.Hint == hints.End {
			return hints.Pack[struct{}]{Hint: hints.End}, nil
		}
		*sum += in.Value
		return hints.Pack[struct{}]{Hint: hints.Skip}, nil
	}
	return in, mapf, out
}

// chain4 builds input -> 4 maps -> summing output over n ints.
func chain4(n int, async bool, sum *int) *runlet.Runlet {
	const poolKey = "default"
	pend := func(i int) chip.PendRef { return chip.At(poolKey, "p"+string(rune('0'+i))).Sized(256, 0) }
	in, mapf, out := chain4Procs(n, sum)
	// The source and the sink are sync in both variants: async means the four
	// map stages. (An async input chip makes one call per batch, so that a
	// source waiting on the world pushes each value at once; a counter does
	// not need that.)
	chips := []chip.Chip{chip.New(chip.Config[struct{}, int, int]{Key: "input", Prev: chip.Input, Next: pend(0), Process: in})}
	for s := range 4 {
		chips = append(chips, chip.New(chip.Config[int, int, struct{}]{
			Key: "map" + string(rune('1'+s)), Prev: pend(s), Next: pend(s + 1), Async: async, Process: mapf,
		}))
	}
	chips = append(chips, chip.New(chip.Config[int, struct{}, struct{}]{Key: "sum", Prev: pend(4), Next: chip.Output, Process: out}))
	return runlet.New([]*pool.Pool{pool.New(poolKey, 1024)}, chips, runlet.Config{})
}

func TestChain4Describe(t *testing.T) {
	sum := 0
	r := chain4(200000, true, &sum)
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Log(r.Describe())
}
