package runlet_test

import (
	"context"
	"fmt"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A source that would never end (a channel nobody closes) is drained: the
// values it received are written, and Run returns nil. A signal handler
// would call Drain the same way (see DrainOnSignal); here the output chip
// asks for it after the third value.
func ExampleRunlet_Drain() {
	p := pool.New("p", 16)
	events := pool.NewPend[string](p, "events")
	ch := make(chan string, 3)
	ch <- "a"
	ch <- "b"
	ch <- "c"
	var r *runlet.Runlet
	drained := make(chan error, 1)
	n := 0
	r = runlet.New([]chip.Chip{
		chip.FromChan("in", events, ch),
		chip.ForEach("out", events, func(e string) error {
			fmt.Println("wrote", e)
			if n++; n == 3 {
				go func() { drained <- r.Drain(context.Background()) }()
			}
			return nil
		}),
	}, runlet.Config{})
	fmt.Println("Run:", r.Run(context.Background()))
	fmt.Println("Drain:", <-drained)
	// Output:
	// wrote a
	// wrote b
	// wrote c
	// Run: <nil>
	// Drain: <nil>
}
