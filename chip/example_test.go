package chip_test

import (
	"context"
	"fmt"
	"slices"
	"strings"

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

// A chip of one's own: each line becomes its words, one per call. REDO
// pushes a word and asks for the same line again (1:N); the state remembers
// how far into the line the chip is. END passes through and ends the chip.
func ExampleNew() {
	words := chip.New(chip.Config[string, string, int]{
		Key: "words", Prev: chip.At("p", "lines"), Next: chip.At("p", "words"),
		Process: func(_ context.Context, in hints.Pack[string], next *int) (hints.Pack[string], error) {
			if in.Hint == hints.End {
				return hints.EndOf[string](1), nil
			}
			fields := strings.Fields(in.Value)
			switch {
			case len(fields) == 0:
				return hints.SkipOf[string](), nil // consumed, no output
			case *next < len(fields)-1:
				*next++
				return hints.Again(fields[*next-1]), nil // more to come from this line
			}
			last := fields[*next]
			*next = 0
			return hints.Data(last), nil // the line is done
		},
	})
	var got []string
	r := runlet.New([]*pool.Pool{pool.New("p", 4)}, []chip.Chip{
		chip.FromSlice("lines", chip.At("p", "lines"), []string{"a runlet", "", "moves packs between pends"}),
		words,
		chip.Collect("keep", chip.At("p", "words"), &got),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%q\n", got)
	// Output: ["a" "runlet" "moves" "packs" "between" "pends"]
}
