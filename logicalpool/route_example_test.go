package logicalpool_test

import (
	"context"
	"fmt"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Partition sends each value to one of two consumers by a predicate; each
// gets one END.
func ExamplePartition() {
	lp := logicalpool.New("lp", pool.New("store", 8))
	small, big := pool.NewPend[int](lp, "small"), pool.NewPend[int](lp, "big")
	split, err := logicalpool.Partition(lp, "split", small, big, func(v int) bool { return v < 10 })
	if err != nil {
		fmt.Println(err)
		return
	}
	var s, b []int
	err = runlet.Run(context.Background(),
		chip.FromSlice("in", split, []int{3, 30, 4, 40, 5}),
		chip.Collect("s", small, &s), chip.Collect("b", big, &b))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s, b)
	// Output: [3 4 5] [30 40]
}

// Concat reads its viewees one after the other, with one END at the end.
func ExampleConcat() {
	lp := logicalpool.New("lp", pool.New("store", 8))
	head, tail := pool.NewPend[string](lp, "head"), pool.NewPend[string](lp, "tail")
	all, err := logicalpool.Concat(lp, "all", []*pool.Pend[string]{head, tail})
	if err != nil {
		fmt.Println(err)
		return
	}
	var got []string
	err = runlet.Run(context.Background(),
		chip.FromSlice("tail", tail, []string{"c", "d"}),
		chip.FromSlice("head", head, []string{"a", "b"}),
		chip.Collect("out", all, &got))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got)
	// Output: [a b c d]
}

// ZipN gives one slice per value of every viewee; the shortest ends it.
func ExampleZipN() {
	lp := logicalpool.New("lp", pool.New("store", 8))
	xs, ys, zs := pool.NewPend[int](lp, "x"), pool.NewPend[int](lp, "y"), pool.NewPend[int](lp, "z")
	zip, err := logicalpool.ZipN(lp, "xyz", []*pool.Pend[int]{xs, ys, zs})
	if err != nil {
		fmt.Println(err)
		return
	}
	var got [][]int
	err = runlet.Run(context.Background(),
		chip.FromSlice("x", xs, []int{1, 2, 3}), chip.FromSlice("y", ys, []int{10, 20}),
		chip.FromSlice("z", zs, []int{100, 200, 300}), chip.Collect("out", zip, &got))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got)
	// Output: [[1 10 100] [2 20 200]]
}

// Until passes data until the stop pend shows a value; a stop that ends
// without one lets every value through.
func ExampleUntil() {
	lp := logicalpool.New("lp", pool.New("store", 8))
	data, stop := pool.NewPend[int](lp, "data"), pool.NewPend[struct{}](lp, "stop")
	u, err := logicalpool.Until(lp, "until", data, stop)
	if err != nil {
		fmt.Println(err)
		return
	}
	var got []int
	err = runlet.Run(context.Background(),
		chip.FromSlice("data", data, []int{1, 2, 3}), chip.FromSlice("stop", stop, nil),
		chip.Collect("out", u, &got))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got)
	// Output: [1 2 3]
}
