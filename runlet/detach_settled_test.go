package runlet_test

import (
	"context"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Detach after the runlet has settled (so settle could not know it would be
// detached) returns what the pools held when it stopped, not the pools it
// emptied then. This is the end of the race between Detach and settle, made
// deterministic: settle has run entirely before Detach.
func TestDetachAfterSettleShowsPoolsBeforeEmptying(t *testing.T) {
	p := pool.New("p", 64)
	a, b := ip(p, "a"), ip(p, "b")
	var got []int
	r := runlet.New([]chip.Chip{
		chip.FromSlice("src", a, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}),
		chip.Take("take", a, b, 2),
		chip.Collect("out", b, &got),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := pendPacks(p, "a"); n != 0 {
		t.Fatalf("pend a holds %d packs after Run, want 0 (emptied)", n)
	}
	s := r.Detach()
	if s.State != "detached" {
		t.Errorf("State %q, want detached", s.State)
	}
	if n := snapPacks(s, "p", "a"); n == 0 {
		t.Errorf("Detach's snapshot shows pend a empty, want what it held when the runlet stopped:\n%s", s)
	}
}
