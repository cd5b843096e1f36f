package runlet_test

import (
	"testing"

	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A PendInput made after Attach on a pend that a chip feeds too is refused,
// naming the pool, the pend and the chip: Attach counted the pend's
// producers without it, so the chip's END would end the readers before the
// input's. A second handle of an input made before Attach is fine.
func TestLatePendInputOnChipFedPendRefused(t *testing.T) {
	a := ip(pool.New(pk, 8), "a")
	var s sink[int]
	r := newRunlet(source("in", a, ints(3)), s.output("out", a))
	early, err := runlet.PendInput(r, a)
	if err != nil || early == nil {
		t.Fatalf("PendInput before Attach: %v", err)
	}
	if err := r.Attach(); err != nil {
		t.Fatal(err)
	}
	if _, err := runlet.PendInput(r, a); err != nil {
		t.Errorf("second PendInput of an input counted at Attach: %v", err)
	}

	a2 := ip(pool.New(pk, 8), "a")
	var s2 sink[int]
	r2 := newRunlet(source("in", a2, ints(3)), s2.output("out", a2))
	if err := r2.Attach(); err != nil {
		t.Fatal(err)
	}
	_, err = runlet.PendInput(r2, a2)
	if err == nil {
		t.Fatal("PendInput after Attach on a chip-fed pend: no error")
	}
	for _, want := range []string{`pool "` + pk + `"`, `pend "a"`, `chip "in"`, "before Attach"} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}

}
