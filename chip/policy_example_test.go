package chip_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A fetch stage with transient and permanent failures: 2 succeeds on its
// third call, 4 never does and goes to the dead-letter pend, and the flow
// runs on.
func ExamplePolicy() {
	p := pool.New("default", 64)
	in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
	dead := pool.NewPend[chip.DeadLetter[int]](p, "dead")
	tries := map[int]int{}
	var got []int
	var failed []chip.DeadLetter[int]
	err := runlet.Run(context.Background(),
		chip.FromSlice("src", in, []int{1, 2, 3, 4}),
		chip.Map("fetch", in, out, func(v int) (int, error) {
			tries[v]++
			switch {
			case v == 2 && tries[v] < 3:
				return 0, errors.New("transient")
			case v == 4:
				return 0, errors.New("permanent")
			}
			return v * 10, nil
		}).WithPolicy(chip.Policy[int]{
			Retry: &chip.Retry{MaxAttempts: 3, Initial: time.Millisecond},
			Dead:  dead,
		}),
		chip.Collect("sink", out, &got),
		chip.Collect("failed", dead, &failed),
	)
	fmt.Println(got, err)
	for _, d := range failed {
		fmt.Println(d)
	}
	// Output:
	// [10 20 30] <nil>
	// fetch: 4 after 3 attempts: permanent
}
