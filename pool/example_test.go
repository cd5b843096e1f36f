package pool_test

import (
	"context"
	"fmt"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A count pool with a shared limit of 4 bounds the flow between two chips;
// the pend reserves 2 packs of it (Pend.Size), and the pool's high-water
// mark shows how close the flow came to the limit (a pend may take one push
// past it: the limit is checked before a chip runs).
func Example() {
	p := pool.New("default", 4)
	edge := pool.NewPend[int](p, "edge").Size(2, 0)
	doubled := pool.NewPend[int](p, "") // named "double.out" by the runlet
	var got []int
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in", edge, []int{1, 2, 3, 4, 5, 6, 7, 8}),
		chip.Map("double", edge, doubled, func(v int) (int, error) { return 2 * v, nil }),
		chip.Collect("collect", doubled, &got),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got)
	fmt.Printf("pool %q: size %d (the reserved 2), limit %d, high %d\n", p.Key(), p.Size(), p.Limit(), p.High())
	// Output:
	// [2 4 6 8 10 12 14 16]
	// pool "default": size 2 (the reserved 2), limit 4, high 5
}

// A byte pool counts each pack as the byte length of its value.
func ExampleNewBytes() {
	p := pool.NewBytes("text", 8)
	words := pool.NewPend[string](p, "words")
	var got []string
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in", words, []string{"go", "pool", "runlet", "chip"}),
		chip.Collect("collect", words, &got),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got, p.Kind(), "high", p.High())
	// Output:
	// [go pool runlet chip] bytes high 12
}
