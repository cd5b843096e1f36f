package runlet_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A Run after one that returned runs nothing and returns ErrAlreadyRun, not
// the first result; Err keeps the first result.
func TestSecondRunIsErrAlreadyRun(t *testing.T) {
	t.Run("after a clean end", func(t *testing.T) {
		a := ip(pool.New(pk, 4), "a")
		var s sink[int]
		r := newRunlet(source("in", a, ints(3)), s.output("out", a))
		mustRun(t, r)
		err := r.Run(context.Background())
		if !errors.Is(err, runlet.ErrAlreadyRun) || errors.Is(err, runlet.ErrRunning) {
			t.Fatalf("second Run = %v, want ErrAlreadyRun", err)
		}
		equal(t, "delivered", s.values(), ints(3))
		if s.Ends != 1 {
			t.Errorf("out saw %d ENDs, want 1: the second Run ran", s.Ends)
		}
		if err := r.Err(); err != nil {
			t.Errorf("Err = %v, want the first Run's nil", err)
		}
	})
	t.Run("after an error", func(t *testing.T) {
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		bad := chip.Map("bad", a, b, func(int) (int, error) { return 0, errBoom })
		var s sink[int]
		r := newRunlet(source("in", a, ints(3)), bad, s.output("out", b))
		if err := r.Run(context.Background()); !errors.Is(err, errBoom) {
			t.Fatalf("Run = %v, want errBoom", err)
		}
		if err := r.Run(context.Background()); !errors.Is(err, runlet.ErrAlreadyRun) {
			t.Fatalf("second Run = %v, want ErrAlreadyRun", err)
		}
		if err := r.Err(); !errors.Is(err, errBoom) {
			t.Errorf("Err = %v, want the first Run's errBoom", err)
		}
		if len(s.Errs) != 1 {
			t.Errorf("out was told %v, want the first error once", s.Errs)
		}
	})
}

// A Run while another runs returns ErrRunning, not ErrAlreadyRun.
func TestConcurrentRunIsErrRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		release := make(chan struct{})
		slow := mapper("slow", a, b, true, 1, func(v int) int { <-release; return v })
		var s sink[int]
		r := newRunlet(source("in", a, ints(2)), slow, s.output("out", b))
		done := make(chan error)
		go func() { done <- r.Run(context.Background()) }()
		synctest.Wait() // slow holds the first value
		err := r.Run(context.Background())
		if !errors.Is(err, runlet.ErrRunning) || errors.Is(err, runlet.ErrAlreadyRun) {
			t.Errorf("concurrent Run = %v, want ErrRunning", err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatalf("first Run = %v", err)
		}
		equal(t, "delivered", s.values(), ints(2))
		if err := r.Run(context.Background()); !errors.Is(err, runlet.ErrAlreadyRun) {
			t.Errorf("Run after = %v, want ErrAlreadyRun", err)
		}
	})
}
