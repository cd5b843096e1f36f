package runlet_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// An async 1:N chip whose REDO run outgrows one batch continues in the next
// batch, in order, and nothing is lost or repeated.
func TestAsyncRedoOverflowsBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const fan = 1000 // more outputs per input than one batch holds
		p := pool.New(pk, 64)
		a, b := ip(p, "a"), ip(p, "b")
		expand := chip.New(chip.Config[int, int, int]{
			Key: "expand", Prev: a, Next: b, Async: true,
			Process: func(_ context.Context, in hints.Pack[int], k *int) (hints.Pack[int], error) {
				if in.Hint == hints.End {
					return in, nil
				}
				*k++
				v := in.Value*fan + *k
				if *k < fan {
					return hints.Again(v), nil
				}
				*k = 0
				return hints.Data(v), nil
			},
		})
		var s sink[int]
		mustRun(t, newRunlet(source("in", a, []int{0, 1, 2}), expand, s.output("out", b)))
		got := s.values()
		if len(got) != 3*fan {
			t.Fatalf("delivered %d, want %d", len(got), 3*fan)
		}
		for i, v := range got {
			if v != i+1 {
				t.Fatalf("output %d is %d, want %d (order kept with Concurrency 1)", i, v, i+1)
			}
		}
	})
}

// An async chip that ends before its input does (like Take) leaves the
// inputs it did not use in its prev pend, in order: nothing is lost.
func TestAsyncEarlyEndLeavesInputInPend(t *testing.T) {
	for _, n := range []int{1, 4} {
		t.Run(fmt.Sprint("concurrency=", n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(pk, 1000)
				a, b := ip(p, "a"), ip(p, "b")
				var ended atomic.Int32 // calls that returned END: each consumed its input
				take3 := chip.New(chip.Config[int, int, struct{}]{
					Key: "take3", Prev: a, Next: b, Async: true, Concurrency: n,
					Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
						if in.Hint == hints.End || in.Value > 3 {
							ended.Add(1)
							return hints.EndOf[int](1), nil
						}
						return in, nil
					},
				})
				var s sink[int]
				r := newRunlet(source("in", a, ints(20)), take3, s.output("out", b))
				// "a" is handed over (a PendOutput drains it), so what take3
				// left in it is still there after Run: a pend that only the
				// runlet used is emptied when it stops.
				if _, err := runlet.PendOutput(r, a); err != nil {
					t.Fatal(err)
				}
				mustRun(t, r)
				got := map[int]bool{}
				for _, v := range s.values() {
					got[v] = true
				}
				if !got[1] || !got[2] || !got[3] {
					t.Errorf("delivered %v, want 1, 2 and 3 among them", s.values())
				}
				// Every produced value is delivered or still queued in "a".
				snap := r.Snapshot()
				var queued int
				for _, pd := range snap.Pools[0].Pends {
					if pd.Key == "a" {
						queued = pd.Packs
					}
				}
				e := int(ended.Load())
				if e < 1 || e > n {
					t.Errorf("%d calls returned END, want 1..%d", e, n)
				}
				if len(got)+queued+e != 21 { // 20 values and the END
					t.Errorf("delivered %d + queued %d + consumed by END %d != 21 produced:\n%s", len(got), queued, e, snap)
				}
				if n == 1 && !strings.Contains(snap.String(), ` -a 17,0P ["5"|-|IDLE, "6"|-|IDLE`) {
					t.Errorf("pend a should hold 5..20 and the END, in order:\n%s", snap)
				}
			})
		})
	}
}

// An unordered async chip whose REDO run outgrows a batch while another
// batch returns END still finishes the run and the inputs after it before
// its END (the held rest used to be dropped: 1024 of 2000 outputs).
func TestAsyncRedoRestSurvivesEarlyEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 100)
		a, b := ip(p, "a"), ip(p, "b")
		var mu sync.Mutex
		seen := map[int]int{}
		c := chip.New(chip.Config[int, int, struct{}]{
			Key: "c", Prev: a, Next: b, Async: true, Concurrency: 2,
			State: func() struct{} { return struct{}{} },
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case in.Hint == hints.End || in.Value == 2:
					return hints.EndOf[int](1), nil
				case in.Value == 0:
					seen[0]++
					if seen[0] < 2000 {
						return hints.Again(0), nil
					}
					return hints.Data(0), nil
				}
				return in, nil
			},
		})
		var s sink[int]
		mustRun(t, newRunlet(source("in", a, []int{0, 1, 2}), c, s.output("out", b)))
		count := map[int]int{}
		for _, v := range s.values() {
			count[v]++
		}
		if count[0] != 2000 || count[1] != 1 || s.Ends != 1 {
			t.Errorf("outputs of 0: %d (want 2000), of 1: %d (want 1), ENDs %d", count[0], count[1], s.Ends)
		}
	})
}
