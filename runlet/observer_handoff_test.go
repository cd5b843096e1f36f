package runlet_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Mail posted from inside an observer (a Describe hook making control calls
// on two runlets sharing a pool) is handed on to goroutines counted by each
// runlet's Run, each running its own runlet's loop: none that ran r1's mail
// is left once r1's Run returns, even while r2's flow is stuck in a chip.
func TestHandoffGoroutineEndsBeforeRunReturns(t *testing.T) {
	p := pool.New("shared", 8)
	sa, sb := ip(p, "a"), ip(p, "b")
	gate := make(chan struct{})
	var r1, r2 *runlet.Runlet
	var armed atomic.Bool
	out1 := chip.New(chip.Config[int, struct{}, struct{}]{
		Key: "out1", Prev: sa,
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
			return hints.EndOf[struct{}](1), nil
		},
		Describe: func(*struct{}) string {
			if armed.CompareAndSwap(true, false) {
				r1.Abort(nil)
				r2.Resume()
			}
			return ""
		},
	})
	r1 = runlet.New([]chip.Chip{out1}, runlet.Config{})
	if _, err := runlet.PendInput(r1, sa); err != nil {
		t.Fatal(err)
	}
	gen := chip.NewInput("gen", sb, nil, func(_ context.Context, _ *struct{}) (hints.Pack[int], error) {
		<-gate
		return hints.EndOf[int](1), nil
	})
	var s sink[int]
	r2 = runlet.New([]chip.Chip{gen, s.output("out2", sb)}, runlet.Config{})
	done1 := make(chan error, 1)
	go func() { done1 <- r1.Run(context.Background()) }()
	for !contains(r1.Describe(), "out1") { // r1 joined the group first
		time.Sleep(time.Millisecond)
	}
	r2.Pause()
	done2 := make(chan error, 1)
	go func() { done2 <- r2.Run(context.Background()) }()
	for !contains(r2.Describe(), "gen") {
		time.Sleep(time.Millisecond)
	}
	armed.Store(true)
	_ = r1.Describe()
	err1 := <-done1
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	close(gate)
	// The goroutine that runs r1's handed-on mail is r1's (counted in its
	// Run) and runs r1's loop only; r2's mail, handed on too, runs on one
	// of r2's, which may still be inside gen.
	mine := fmt.Sprintf("internal/engine.(*Runlet).runHandedOn(%p", r1)
	for _, g := range strings.Split(stacks, "\n\n") {
		if strings.Contains(g, "created by github.com/runlet/runlet/internal/engine.(*group).observed") || strings.Contains(g, mine) {
			t.Errorf("r1.Run returned (%v) while a goroutine its observer started for its mail still runs:\n%s", err1, g)
		}
	}
	if err2 := <-done2; err2 != nil {
		t.Errorf("r2.Run = %v", err2)
	}
}
