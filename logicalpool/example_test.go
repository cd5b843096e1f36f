package logicalpool_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A duplicate and a merge: every number goes to both branches through the
// view "both", and the view "results" reads both branches' outputs as one
// stream with one END, so no END regulator is needed. Both branches share
// the budget of the pool "store".
func Example() {
	store := pool.New("store", 8)
	fan := logicalpool.New("fan", store)
	if err := logicalpool.Duplicate[int](fan, "both", []string{"a", "b"}, nil); err != nil {
		fmt.Println(err)
		return
	}
	if err := logicalpool.Merge[string](fan, "results", []string{"doubled", "squared"}); err != nil {
		fmt.Println(err)
		return
	}
	var got []string
	r := runlet.New([]*pool.Pool{store, fan}, []chip.Chip{
		chip.FromSlice("numbers", chip.At("fan", "both"), []int{1, 2, 3}),
		chip.Map("double", chip.At("store", "a"), chip.At("store", "doubled"), func(v int) (string, error) {
			return fmt.Sprintf("%d+%d=%d", v, v, v+v), nil
		}),
		chip.Map("square", chip.At("store", "b"), chip.At("store", "squared"), func(v int) (string, error) {
			return fmt.Sprintf("%d*%d=%d", v, v, v*v), nil
		}),
		chip.Collect("keep", chip.At("fan", "results"), &got),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	slices.Sort(got) // the merge keeps order within a branch, not between them
	fmt.Println(got)
	// Output:
	// [1*1=1 1+1=2 2*2=4 2+2=4 3*3=9 3+3=6]
}

// LoadBalanceByKey sends equal keys to the same consumer; every consumer
// gets one END.
func ExampleLoadBalanceByKey() {
	store := pool.New("store", 8)
	lb := logicalpool.New("lb", store)
	parity := func(v int) uint64 { return uint64(v % 2) }
	if err := logicalpool.LoadBalanceByKey(lb, "spread", []string{"even", "odd"}, parity); err != nil {
		fmt.Println(err)
		return
	}
	var evens, odds []int
	r := runlet.New([]*pool.Pool{store, lb}, []chip.Chip{
		chip.FromSlice("numbers", chip.At("lb", "spread"), []int{1, 2, 3, 4, 5, 6}),
		chip.Collect("evens", chip.At("store", "even"), &evens),
		chip.Collect("odds", chip.At("store", "odd"), &odds),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(evens, odds)
	// Output: [2 4 6] [1 3 5]
}

// Join2 pairs one pack of each side; the first END ends the join (zip).
func ExampleJoin2() {
	store := pool.New("store", 8)
	lp := logicalpool.New("lp", store)
	if err := logicalpool.Join2[string, int](lp, "pairs", "names", "ages"); err != nil {
		fmt.Println(err)
		return
	}
	var got []logicalpool.Pair[string, int]
	r := runlet.New([]*pool.Pool{store, lp}, []chip.Chip{
		chip.FromSlice("names", chip.At("store", "names"), []string{"ada", "bob", "cy"}),
		chip.FromSlice("ages", chip.At("store", "ages"), []int{36, 41}),
		chip.Collect("keep", chip.At("lp", "pairs"), &got),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got)
	// Output: [(ada, 36) (bob, 41)]
}
