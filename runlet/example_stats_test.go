package runlet_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// With Config.Stats, a snapshot holds each chip's counts and the flow's
// progress; Config.Logger gets the runlet's start and end (the time and the
// duration are left out here, to print the same each run).
func ExampleConfig_stats() {
	p := pool.New("default", 16)
	words, upper := pool.NewPend[string](p, "words"), pool.NewPend[string](p, "upper")
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	n := 0
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in", words, []string{"go", "pool", "runlet", "chip"}),
		chip.Filter("long", words, upper, func(w string) (bool, error) { return len(w) > 2, nil }),
		chip.ForEach("count", upper, func(string) error { n++; return nil }),
	}, runlet.Config{Stats: true, Name: "example", Logger: logger})
	if err := r.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	s := r.Snapshot()
	for _, c := range s.Chips {
		fmt.Printf("%s: in=%d out=%d\n", c.Key, c.Stats.In, c.Stats.Out)
	}
	pr := s.Flow.Progress
	fmt.Printf("progress: %d/%d %s\n", pr.Done, pr.Total, pr.Unit)
	// Output:
	// level=INFO msg="runlet start" runlet=example chips=3
	// level=INFO msg="runlet end" runlet=example state=ended hits=14 output_packs=4
	// in: in=5 out=4
	// long: in=5 out=3
	// count: in=4 out=0
	// progress: 4/4 packs
}
