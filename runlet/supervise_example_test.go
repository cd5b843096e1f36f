package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A transient chip that fails once is restarted by the runlet's
// supervisor: it is bound again (fresh state), the value whose call failed
// is offered to it first, and every value comes out once.
func ExampleSupervisor() {
	p := pool.New("p", 64)
	nums, out := pool.NewPend[int](p, "nums"), pool.NewPend[int](p, "out")
	failed := false
	var got []int
	r := runlet.New([]chip.Chip{
		chip.FromSlice("src", nums, []int{1, 2, 3, 4}),
		chip.Map("fetch", nums, out, func(x int) (int, error) {
			if x == 3 && !failed {
				failed = true
				return 0, errors.New("connection reset")
			}
			return x * 10, nil
		}).Supervised(chip.Supervise{Restart: chip.Transient}),
		chip.Collect("sink", out, &got),
	}, runlet.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Supervisor: runlet.Supervisor{
			MaxRestarts: 3, // at most 3 restarts in 5 s, else Run fails with a GiveUpError
			OnEvent: func(e runlet.Event) {
				fmt.Printf("%v %s: %v\n", e.Kind, e.Chip, e.Cause)
			},
		},
	})
	err := r.Run(context.Background())
	fmt.Println(got, err, r.Snapshot().Supervisor.Restarts)
	// Output:
	// restart fetch: connection reset
	// [10 20 30 40] <nil> 1
}
