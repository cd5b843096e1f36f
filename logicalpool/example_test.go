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
	a, b := pool.NewPend[int](store, "a"), pool.NewPend[int](store, "b")
	doubled, squared := pool.NewPend[string](store, "doubled"), pool.NewPend[string](store, "squared")
	both, err := logicalpool.Duplicate(fan, "both", []*pool.Pend[int]{a, b}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	results, err := logicalpool.Merge(fan, "results", []*pool.Pend[string]{doubled, squared})
	if err != nil {
		fmt.Println(err)
		return
	}
	var got []string
	err = runlet.Run(context.Background(),
		chip.FromSlice("numbers", both, []int{1, 2, 3}),
		chip.Map("double", a, doubled, func(v int) (string, error) {
			return fmt.Sprintf("%d+%d=%d", v, v, v+v), nil
		}),
		chip.Map("square", b, squared, func(v int) (string, error) {
			return fmt.Sprintf("%d*%d=%d", v, v, v*v), nil
		}),
		chip.Collect("keep", results, &got),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	slices.Sort(got) // the merge keeps order within a branch, not between them
	fmt.Println(got)
	// Output:
	// [1*1=1 1+1=2 2*2=4 2+2=4 3*3=9 3+3=6]
}

// LoadBalanceByKey sends equal keys to the same consumer; every consumer
// gets one END. The viewees need no keys: the view names them "spread.0"
// and "spread.1".
func ExampleLoadBalanceByKey() {
	lb := logicalpool.New("lb", pool.New("store", 8))
	even, odd := pool.NewPend[int](lb, ""), pool.NewPend[int](lb, "")
	parity := func(v int) uint64 { return uint64(v % 2) }
	spread, err := logicalpool.LoadBalanceByKey(lb, "spread", []*pool.Pend[int]{even, odd}, parity)
	if err != nil {
		fmt.Println(err)
		return
	}
	var evens, odds []int
	err = runlet.Run(context.Background(),
		chip.FromSlice("numbers", spread, []int{1, 2, 3, 4, 5, 6}),
		chip.Collect("evens", even, &evens),
		chip.Collect("odds", odd, &odds),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(evens, odds)
	// Output: [2 4 6] [1 3 5]
}

// Join2 pairs one pack of each side; the first END ends the join (zip).
func ExampleJoin2() {
	lp := logicalpool.New("lp", pool.New("store", 8))
	names, ages := pool.NewPend[string](lp, "names"), pool.NewPend[int](lp, "ages")
	pairs, err := logicalpool.Join2(lp, "pairs", names, ages) // a *pool.Pend[Pair[string, int]]
	if err != nil {
		fmt.Println(err)
		return
	}
	var got []logicalpool.Pair[string, int]
	err = runlet.Run(context.Background(),
		chip.FromSlice("names", names, []string{"ada", "bob", "cy"}),
		chip.FromSlice("ages", ages, []int{36, 41}),
		chip.Collect("keep", pairs, &got),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got)
	// Output: [(ada, 36) (bob, 41)]
}
