package runlet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A linear runlet: numbers in, squares of the even ones out. The filter
// returns SKIP for odd numbers (N:1), and Run returns when the output chip
// has seen END. The pends are declared unnamed: New names each after the
// chip that pushes into it.
func Example() {
	p := pool.New("default", 4)
	nums, squares := pool.NewPend[int](p, ""), pool.NewPend[int](p, "")
	n := 0
	numbers := chip.NewInput("numbers", nums, nil,
		func(context.Context, *struct{}) (hints.Pack[int], error) {
			if n == 6 {
				return hints.EndOf[int](1), nil
			}
			n++
			return hints.Data(n), nil
		})
	evenSquares := chip.New(chip.Config[int, int, struct{}]{
		Key: "even-squares", Prev: nums, Next: squares,
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
	print := chip.NewOutput("print", squares, nil,
		func(_ context.Context, in hints.Pack[int], _ *struct{}) error {
			if in.Hint != hints.End {
				got = append(got, in.Value)
			}
			return nil
		})

	r := runlet.New([]chip.Chip{numbers, evenSquares, print}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		fmt.Println("error:", err)
	}
	fmt.Println(got)
	fmt.Println(strings.Join(strings.Split(r.Describe(), "\n")[2:5], "\n"))
	// Output:
	// [4 16 36]
	// #numbers [END] runlet:pend:input@runlet:pool:io >> numbers.out@default
	// #even-squares [END] numbers.out@default >> even-squares.out@default
	// #print [END] even-squares.out@default >> runlet:pend:output@runlet:pool:io
}

// A passive runlet has no input or output chip: the caller pushes and pulls.
func ExamplePendInput() {
	p := pool.New("p", pool.Unlimited)
	nums, doubled := pool.NewPend[int](p, ""), pool.NewPend[int](p, "")
	r := runlet.New([]chip.Chip{
		chip.Map("double", nums, doubled, func(v int) (int, error) { return 2 * v, nil }),
	}, runlet.Config{})
	in, _ := runlet.PendInput(r, nums)
	out, _ := runlet.PendOutput(r, doubled)
	if err := r.Attach(); err != nil {
		fmt.Println(err)
		return
	}
	r.Trigger()
	for v := range 3 {
		in.Push(hints.Data(v + 1))
	}
	for out.CanPull() {
		got, _ := out.Pull()
		fmt.Print(got.Value, " ")
	}
	// Output: 2 4 6
}

// Attach reports every problem at once, each naming its chip, pool or pend.
// Two declarations of one key are one pend, so they must agree on its
// element type.
func ExampleRunlet_Attach() {
	p := pool.New("default", 1)
	read := chip.FromSlice("read", pool.NewPend[string](p, "a"), []string{"x"})
	lost := chip.New(chip.Config[int, int, struct{}]{
		Key: "lost", Prev: pool.NewPend[int](p, "a"), Next: pool.NewPend[int](p, "b"),
	})
	r := runlet.New([]chip.Chip{read, lost}, runlet.Config{})
	fmt.Println(r.Attach())
	// Output:
	// runlet: attach: pool "default": pend "b" has no consumer (fed by chip "lost"); drain it with a chip or PendOutput
	// chip "lost": nil process
	// chip "lost": prev: pool "default": pend "a" holds string, not int
}

// A snapshot draws the runlet's graph three ways: as text for a terminal,
// as a Mermaid flowchart and as Graphviz DOT. Here the flow is stopped
// mid-way: nobody drains "words" (a PendOutput left alone), so once it is
// at its limit both chips wait for room.
func ExampleSnapshot() {
	p := pool.New("text", 4)
	lines := pool.NewPend[string](p, "lines")
	words := pool.NewPend[string](p, "words").Size(1, 3)
	r := runlet.New([]chip.Chip{
		chip.FromSlice("read", lines, []string{"go", "pool", "runlet", "chip"}),
		chip.Map("upper", lines, words, func(s string) (string, error) {
			return strings.ToUpper(s), nil
		}),
	}, runlet.Config{})
	if _, err := runlet.PendOutput(r, words); err != nil {
		fmt.Println(err)
		return
	}
	if err := r.Attach(); err != nil {
		fmt.Println(err)
		return
	}
	r.Trigger() // sync chips: runs here until nothing can move

	s := r.Snapshot()
	fmt.Print(s.ASCII(), "\n", s.Mermaid(), "\n", s.DOT())
	// Output:
	// runlet running
	// chips
	//   read   sync  wait-room  input
	//   upper  sync  wait-room
	// pool text 3/4 high 4
	//   [read] --lines 0--> [upper]
	//   [upper] --words 3/3 limited--> (PendOutput)
	//
	// flowchart LR
	//     subgraph p0 ["text 3/4 high 4"]
	//         c0["read (sync, wait-room)"]
	//         c1["upper (sync, wait-room)"]
	//     end
	//     x0(["PendOutput"])
	//     c0 -->|"lines 0"| c1
	//     c1 ==>|"words 3/3 limited"| x0
	//
	// digraph runlet {
	// 	rankdir=LR;
	// 	node [shape=box];
	// 	subgraph cluster_p0 {
	// 		label="text 3/4 high 4";
	// 		c0 [label="read (sync, wait-room)"];
	// 		c1 [label="upper (sync, wait-room)"];
	// 	}
	// 	x0 [label="PendOutput", shape=ellipse];
	// 	c0 -> c1 [label="lines 0"];
	// 	c1 -> x0 [label="words 3/3 limited", color=red, penwidth=2];
	// }
}

// Snapshot is the state as data: it encodes to JSON for tools, and String
// renders the same text as Describe.
func ExampleRunlet_Snapshot() {
	p := pool.New("p", 8)
	nums := pool.NewPend[int](p, "")
	var got []int
	r := runlet.New([]chip.Chip{
		chip.FromSlice("numbers", nums, []int{1, 2, 3}),
		chip.Collect("keep", nums, &got),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	s := r.Snapshot()
	data, err := json.Marshal(s.Chips[1])
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got, s.State)
	fmt.Println(string(data))
	fmt.Println(s.String() == r.Describe())
	// Output:
	// [1 2 3] ended
	// {"key":"keep","prev":"numbers.out@p","next":"runlet:pend:output@runlet:pool:io","prev_pool":"p","prev_pend":"numbers.out","next_pool":"runlet:pool:io","next_pend":"runlet:pend:output","async":false,"ended":true,"state":"ended","running":"END"}
	// true
}
