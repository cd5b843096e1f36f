package bench

import (
	"context"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
)

// genInts is the generator of the Generate workload (and of kitsuneCount):
// it yields 0..n-1.
func genInts(n int) func(context.Context, func(int) bool) error {
	return func(_ context.Context, yield func(int) bool) error {
		for i := range n {
			if !yield(i) {
				return nil
			}
		}
		return nil
	}
}

// generate is a generator function yielding 0..n-1, summed: the cost of a
// push-style source (issue 13's "Generate -> sum of ints"), with nothing
// else in the flow. Items are the n values.
//
// Fused is the plain loop (the limit); FusedCalls calls genInts through a
// function value with a yield that calls the summing function through
// another (the limit of a per-item API); Channels runs genInts on a
// goroutine of its own, yield sending on a channel buffered 1024; Runlet is
// chip.Generate(genInts) into a summing chip.ForEach; RunletFromSeq a sync
// chip.FromSeq over genInts as an iter.Seq; RunletFromChan chip.FromChan
// over the Channels goroutine's channel; Kitsune kitsune.Generate(genInts).
// Errgroup would be Channels with a context; Conc and Ro have no generator
// source and are left out.
var generate = workload{
	name: "Generate",
	want: sumTo,
	systems: []system{
		{"Fused", func(n int) (uint64, error) {
			s := 0
			for i := range n {
				s += i
			}
			return uint64(s), nil
		}},
		{"FusedCalls", func(n int) (uint64, error) {
			s := 0
			sum := opaque(func(v int) error { s += v; return nil })
			gen := opaque(genInts(n))
			err := gen(context.Background(), func(v int) bool { _ = sum(v); return true })
			return uint64(s), err
		}},
		{"Channels", func(n int) (uint64, error) {
			s := 0
			for v := range genChan(n) {
				s += v
			}
			return uint64(s), nil
		}},
		{"Runlet", func(n int) (uint64, error) {
			s := 0
			ints := at[int](newPool(), "ints")
			err := runRunlet(chip.Generate("gen", ints, genInts(n)), sumInts(ints, &s))
			return uint64(s), err
		}},
		{"RunletFromSeq", func(n int) (uint64, error) {
			s := 0
			seq := func(yield func(int) bool) { _ = genInts(n)(context.Background(), yield) }
			ints := at[int](newPool(), "ints")
			err := runRunlet(chip.FromSeq("gen", ints, seq), sumInts(ints, &s))
			return uint64(s), err
		}},
		{"RunletFromChan", func(n int) (uint64, error) {
			s := 0
			ints := at[int](newPool(), "ints")
			err := runRunlet(chip.FromChan("gen", ints, genChan(n)), sumInts(ints, &s))
			return uint64(s), err
		}},
		{"Kitsune", func(n int) (uint64, error) {
			s := 0
			_, err := kitsuneCount(n).ForEach(func(_ context.Context, v int) error { s += v; return nil }).Run(context.Background())
			return uint64(s), err
		}},
	},
}

// genChan runs genInts(n) on a goroutine of its own, sending each value on
// the channel it returns (buffered 1024), closed at the end.
func genChan(n int) <-chan int {
	out := make(chan int, 1024)
	go func() {
		_ = genInts(n)(context.Background(), func(v int) bool { out <- v; return true })
		close(out)
	}()
	return out
}

// sumInts is the runlet output chip of the Generate workload, over ints.
func sumInts(ints *pool.Pend[int], s *int) chip.Chip {
	return chip.ForEach("sum", ints, func(v int) error { *s += v; return nil })
}

func BenchmarkGenerate(b *testing.B) { benchWorkload(b, generate) }
