package hints_test

import (
	"testing"

	"github.com/runlet/runlet/hints"
)

func TestHintString(t *testing.T) {
	for _, tc := range []struct {
		h    hints.Hint
		want string
	}{
		{hints.None, "DATA"}, {hints.End, "END"}, {hints.Skip, "SKIP"}, {hints.Redo, "REDO"}, {hints.Hint(9), "Hint(9)"},
	} {
		if got := tc.h.String(); got != tc.want {
			t.Errorf("Hint(%d).String() = %q, want %q", uint8(tc.h), got, tc.want)
		}
	}
}

func TestPackConstructors(t *testing.T) {
	if p := hints.Data(7); p.Value != 7 || p.Hint != hints.None || p.Ends() != 0 {
		t.Errorf("Data(7) = %+v", p)
	}
	if p := hints.Again("x"); p.Value != "x" || p.Hint != hints.Redo {
		t.Errorf("Again(x) = %+v", p)
	}
	if p := hints.SkipOf[int](); p.Hint != hints.Skip || p.Ends() != 0 {
		t.Errorf("SkipOf = %+v", p)
	}
	for n, want := range map[int]int{-1: 1, 0: 1, 1: 1, 2: 2, 5: 5} {
		if got := hints.EndOf[int](n).Ends(); got != want {
			t.Errorf("EndOf(%d).Ends() = %d, want %d", n, got, want)
		}
	}
}
