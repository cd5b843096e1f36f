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
// END through. The pends need no names: the runlet names each after the chip
// that pushes into it.
func Example() {
	p := pool.New("default", 16)
	merged, oneEnd, squares := pool.NewPend[int](p, ""), pool.NewPend[int](p, ""), pool.NewPend[int](p, "")
	count := func(key string, from, to int) chip.Chip {
		return chip.NewInput(key, merged,
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
		Key: "square", Prev: oneEnd, Next: squares,
		Async: true, Concurrency: 4,
		Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			in.Value *= in.Value // runs on a worker goroutine
			return in, nil
		},
	})
	var got []int
	collect := chip.NewOutput("collect", squares, nil,
		func(_ context.Context, in hints.Pack[int], _ *struct{}) error {
			if in.Hint != hints.End {
				got = append(got, in.Value)
			}
			return nil
		})
	err := runlet.Run(context.Background(),
		count("low", 1, 3), count("high", 10, 12),
		chip.ENDRegulator("one-end", merged, oneEnd, 2, 1),
		square, collect)
	if err != nil {
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
	p := pool.New("p", 4)
	lines, words := pool.NewPend[string](p, ""), pool.NewPend[string](p, "")
	split := chip.New(chip.Config[string, string, int]{
		Key: "words", Prev: lines, Next: words,
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
	err := runlet.Run(context.Background(),
		chip.FromSlice("lines", lines, []string{"a runlet", "", "moves packs between pends"}),
		split,
		chip.Collect("keep", words, &got))
	if err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%q\n", got)
	// Output: ["a" "runlet" "moves" "packs" "between" "pends"]
}
