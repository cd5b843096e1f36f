package runlet_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A linear runlet: numbers in, squares of the even ones out. The filter
// returns SKIP for odd numbers (N:1), and Run returns when the output chip
// has seen END.
func Example() {
	n := 0
	numbers := chip.NewInput("numbers", chip.At("default", "n"), nil,
		func(context.Context, *struct{}) (hints.Pack[int], error) {
			if n == 6 {
				return hints.EndOf[int](1), nil
			}
			n++
			return hints.Data(n), nil
		})
	evenSquares := chip.New(chip.Config[int, int, struct{}]{
		Key: "even-squares", Prev: chip.At("default", "n"), Next: chip.At("default", "sq"),
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			switch {
			case in.Hint == hints.End:
				return in, nil
			case in.Value%2 == 1:
				return hints.SkipOf[int](), nil
			}
			return hints.Data(in.Value * in.Value), nil
		},
	})
	var got []int
	print := chip.NewOutput("print", chip.At("default", "sq"), nil,
		func(_ context.Context, in hints.Pack[int], _ *struct{}) error {
			if in.Hint != hints.End {
				got = append(got, in.Value)
			}
			return nil
		})

	r := runlet.New([]*pool.Pool{pool.New("default", 4)}, []chip.Chip{numbers, evenSquares, print}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		fmt.Println("error:", err)
	}
	fmt.Println(got)
	fmt.Println(strings.Join(strings.Split(r.Describe(), "\n")[2:5], "\n"))
	// Output:
	// [4 16 36]
	// #numbers [END] runlet:pend:input@runlet:pool:io >> n@default
	// #even-squares [END] n@default >> sq@default
	// #print [END] sq@default >> runlet:pend:output@runlet:pool:io
}

// A passive runlet has no input or output chip: the caller pushes and pulls.
func ExamplePendInput() {
	double := chip.New(chip.Config[int, int, struct{}]{
		Key: "double", Prev: chip.At("p", "in"), Next: chip.At("p", "out"),
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			in.Value *= 2
			return in, nil
		},
	})
	r := runlet.New([]*pool.Pool{pool.New("p", pool.Unlimited)}, []chip.Chip{double}, runlet.Config{})
	in, _ := runlet.PendInput[int](r, "p", "in")
	out, _ := runlet.PendOutput[int](r, "p", "out")
	if err := r.Attach(); err != nil {
		fmt.Println(err)
		return
	}
	r.Trigger()
	for v := range 3 {
		in.Push(hints.Data(v + 1))
	}
	for out.CanPull() {
		p, _ := out.Pull()
		fmt.Print(p.Value, " ")
	}
	// Output: 2 4 6
}

// Attach reports every problem at once, each naming its chip, pool or pend.
func ExampleRunlet_Attach() {
	lost := chip.New(chip.Config[int, int, struct{}]{
		Key: "lost", Prev: chip.At("nowhere", "a"), Next: chip.At("default", "b"),
	})
	r := runlet.New([]*pool.Pool{pool.New("default", 1)}, []chip.Chip{lost}, runlet.Config{})
	fmt.Println(r.Attach())
	// Output:
	// runlet: attach: chip "lost": prev a@nowhere: unknown pool "nowhere"
	// pool "default": pend "b" has no consumer (fed by chip "lost"); drain it with a chip or PendOutput
	// chip "lost": nil process
}
