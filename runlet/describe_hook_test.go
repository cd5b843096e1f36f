package runlet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A chip's Describe hook may make a control call (here Abort) while an
// observer on another goroutine builds a snapshot: the observer holds the
// group lock, and the hook's kick, which runs inside it, must not wait for
// it. Describe returns and the Abort takes effect.
func TestDescribeHookMayCallControl(t *testing.T) {
	a := ip(pool.New(pk, 4), "a")
	var r *runlet.Runlet
	c := chip.New(chip.Config[int, int, struct{}]{
		Key: "m", Prev: a,
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			return in, nil
		},
		Describe: func(*struct{}) string {
			r.Abort(nil)
			return "aborted"
		},
	})
	r = newRunlet(source("in", a, ints(3)), c)
	if err := r.Attach(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Describe() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Describe did not return: the hook's Abort waits for its own observer")
	}
	select {
	case <-r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the hook's Abort was lost")
	}
	if !errors.Is(r.Err(), runlet.ErrAborted) {
		t.Errorf("Err = %v, want ErrAborted", r.Err())
	}
}
