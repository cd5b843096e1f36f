package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Two runlets over one pool: A produces into pend x, B consumes it. Sizes are
// accounted once (the pool never passes its limit plus one bust) and each
// runlet's pushes and pulls wake the other's chips, so both finish and every
// value arrives once, in order.
func TestTwoRunletsShareAPool(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprint("async=", async), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				shared := pool.New("p", 4)
				raw, x := ip(shared, "raw"), ip(shared, "x")
				a := runlet.New([]chip.Chip{
					source("in", raw, ints(1000)),
					mapper("x10", raw, x, async, 2, func(v int) int { return v * 10 }),
				}, runlet.Config{})
				var s sink[int]
				b := runlet.New([]chip.Chip{s.output("out", x)}, runlet.Config{})
				// x is drained by b, fed by a: each says so with a handle.
				if _, err := runlet.PendOutput(a, x); err != nil {
					t.Fatal(err)
				}
				if _, err := runlet.PendInput(b, x); err != nil {
					t.Fatal(err)
				}
				errs := make(chan error, 2)
				for _, r := range []*runlet.Runlet{a, b} {
					go func() { errs <- r.Run(context.Background()) }()
				}
				for range 2 {
					if err := <-errs; err != nil {
						t.Fatalf("Run: %v\nA:\n%s\nB:\n%s", err, a.Describe(), b.Describe())
					}
				}
				got := s.values()
				if async {
					sortInts(got)
				}
				want := make([]int, 1000)
				for i := range want {
					want[i] = (i + 1) * 10
				}
				equal(t, "values through both runlets", got, want)
				// The documented bound: the limit, one bust per producer, and
				// an async chip's packs in flight (one per worker here).
				if h, bound := shared.High(), 4+2+map[bool]int{false: 0, true: 2}[async]; h > bound {
					t.Errorf("pool high-water mark %d, want at most %d", h, bound)
				}
			})
		})
	}
}

// A runlet waiting on a pool another live runlet shares is not stalled: the
// other may still move it.
func TestSharedPoolWaitIsNotAStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := pool.New("p", 2)
		x := ip(shared, "x")
		var s sink[int]
		b := runlet.New([]chip.Chip{s.output("out", x)}, runlet.Config{})
		a := runlet.New([]chip.Chip{slowSource("in", x, 3)}, runlet.Config{})
		runlet.PendInput(b, x)
		runlet.PendOutput(a, x)
		done := make(chan error, 1)
		// b starts alone and waits on x: a exists and may still feed it.
		go func() { done <- b.Run(context.Background()) }()
		time.Sleep(time.Hour)
		select {
		case err := <-done:
			t.Fatalf("b returned %v before a ran", err)
		default:
		}
		if err := a.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("b: %v", err)
		}
		equal(t, "values", s.values(), ints(3))
	})
}

// A runlet whose pools belong to two different groups is refused at Attach.
func TestRunletAcrossTwoGroupsIsRefused(t *testing.T) {
	p1, p2 := pool.New("p1", 1), pool.New("p2", 1)
	var s1, s2 sink[int]
	x1, x2 := ip(p1, "x"), ip(p2, "x")
	y1, y2 := ip(p1, "y"), ip(p2, "y")
	runlet.New([]chip.Chip{source("a", x1, ints(1)), s1.output("o", x1)}, runlet.Config{})
	runlet.New([]chip.Chip{source("a", x2, ints(1)), s2.output("o", x2)}, runlet.Config{})
	both := runlet.New([]chip.Chip{
		source("a", y1, ints(1)), mapper("m", y1, y2, false, 0, func(v int) int { return v }),
		s1.output("o", y2),
	}, runlet.Config{})
	err := both.Attach()
	if err == nil || !strings.Contains(err.Error(), `pool "p2" is shared with runlets that share no pool`) {
		t.Fatalf("Attach = %v", err)
	}
	_ = errors.Is
	_ = hints.End
}

func sortInts(s []int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
