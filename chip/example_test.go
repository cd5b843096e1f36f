package chip_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// An async chip with Concurrency 4 works on batches on four goroutines;
// two producers merge into one pend and the END regulator lets only the last
// END through.
func Example() {
	count := func(key string, from, to int) chip.Chip {
		return chip.NewInput(key, chip.At("default", "merged"),
			func() int { return from }, // state, made fresh for each run
			func(_ context.Context, i *int) (hints.Pack[int], error) {
				if *i > to {
					return hints.EndOf[int](1), nil
				}
				*i++
				return hints.Data(*i - 1), nil
			})
	}
	square := chip.New(chip.Config[int, int, struct{}]{
		Key: "square", Prev: chip.At("default", "one-end"), Next: chip.At("default", "squares"),
		Async: true, Concurrency: 4,
		Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			in.Value *= in.Value // runs on a worker goroutine
			return in, nil
		},
	})
	var got []int
	collect := chip.NewOutput("collect", chip.At("default", "squares"), nil,
		func(_ context.Context, in hints.Pack[int], _ *struct{}) error {
			if in.Hint != hints.End {
				got = append(got, in.Value)
			}
			return nil
		})
	r := runlet.New([]*pool.Pool{pool.New("default", 16)}, []chip.Chip{
		count("low", 1, 3), count("high", 10, 12),
		chip.ENDRegulator[int]("one-end", chip.At("default", "merged"), chip.At("default", "one-end"), 2, 1),
		square, collect,
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	slices.Sort(got) // with Concurrency > 1, order is the order work finishes
	fmt.Println(got)
	// Output: [1 4 9 100 121 144]
}
