package runlet_test

import (
	"context"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Trigger on a runlet that is not attached leaves it no member of its
// scheduling group (a member that never settles would stay for good), and
// the runlet still runs once attached.
func TestTriggerBeforeAttachLeavesNoMember(t *testing.T) {
	p := pool.New(pk, 8)
	a := ip(p, "a")
	var s sink[int]
	r := runlet.New([]chip.Chip{source("in", a, ints(3)), s.output("out", a)}, runlet.Config{})
	r.Trigger()
	if n := runlet.GroupMembers(p); n != 0 {
		t.Fatalf("after Trigger before Attach: %d group members, want 0", n)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	equal(t, "values", s.values(), []int{1, 2, 3})
	if n := runlet.GroupMembers(p); n != 0 {
		t.Fatalf("after Run: %d group members, want 0", n)
	}
}
