package runlet_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
	"github.com/thejerf/suture/v4"
)

// A Cast changes a running chip's setting between two of its process calls,
// without a lock; a Call reads its state.
func ExampleCast() {
	type settings struct{ factor int }
	p := pool.New("default", 8)
	in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
	r := runlet.New([]chip.Chip{chip.New(chip.Config[int, int, settings]{
		Key: "scale", Prev: in, Next: out,
		State: func() settings { return settings{factor: 2} },
		Process: func(_ context.Context, pk hints.Pack[int], s *settings) (hints.Pack[int], error) {
			if pk.Hint == hints.End {
				return pk, nil
			}
			return hints.Data(pk.Value * s.factor), nil
		},
	})}, runlet.Config{})
	feed, _ := runlet.PendInput(r, in)
	drain, _ := runlet.PendOutput(r, out)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	_ = feed.PushWait(ctx, hints.Data(1))
	pk, _ := drain.PullWait(ctx)
	fmt.Println(pk.Value)
	_ = runlet.Cast(r, "scale", func(s *settings) { s.factor = 10 })
	_ = feed.PushWait(ctx, hints.Data(2))
	pk, _ = drain.PullWait(ctx)
	fmt.Println(pk.Value)
	factor, err := runlet.Call(ctx, r, "scale", func(s *settings) (int, error) { return s.factor, nil })
	fmt.Println(factor, err)
	err = runlet.Cast(r, "sacle", func(s *settings) {})
	fmt.Println(err)

	_ = feed.PushWait(ctx, hints.EndOf[int](1))
	_, _ = drain.PullWait(ctx)
	fmt.Println(<-done)
	// Output:
	// 2
	// 20
	// 10 <nil>
	// runlet: cast to chip "sacle": no chip "sacle" in the runlet (did you mean "scale"?)
	// <nil>
}

// A Service runs a flow in a suture supervisor tree, a fresh runlet for each
// run: the first run fails, suture restarts it, the second succeeds and,
// with Ended set to suture.ErrTerminateSupervisorTree, stops the tree.
func ExampleNewService() {
	runs := 0
	var out []int
	svc := runlet.NewService("parser", func() (*runlet.Runlet, error) {
		runs++
		run := runs
		out = nil
		p := pool.New("default", 8)
		nums, parsed := pool.NewPend[int](p, "nums"), pool.NewPend[int](p, "parsed")
		return runlet.New([]chip.Chip{
			chip.FromSlice("src", nums, []int{1, 2, 3}),
			chip.Map("parse", nums, parsed, func(v int) (int, error) {
				if run == 1 && v == 2 {
					return 0, errors.New("flaky")
				}
				return v * 10, nil
			}),
			chip.Collect("keep", parsed, &out),
		}, runlet.Config{}), nil
	}, runlet.ServiceConfig{Ended: suture.ErrTerminateSupervisorTree})
	sup := suture.New("tree", suture.Spec{EventHook: func(e suture.Event) {
		if t, ok := e.(suture.EventServiceTerminate); ok {
			fmt.Println("restarting:", t.Restarting, t.Err)
		}
	}})
	sup.Add(svc)
	err := sup.Serve(context.Background())
	fmt.Println(errors.Is(err, suture.ErrTerminateSupervisorTree), svc.Runs(), out)
	// Output:
	// restarting: true runlet: service "parser", run 1: runlet: chip "parse": flaky
	// true 2 [10 20 30]
}
