package main

import (
	"context"
	"strings"
	"testing"
)

// The quickstart pipeline counts exactly what a plain loop counts.
func TestCountWordsMatchesPlainLoop(t *testing.T) {
	lines := strings.Split(poem, "\n")
	got, r, err := countWords(context.Background(), lines)
	if err != nil {
		t.Fatalf("countWords: %v\n%s", err, r.Describe())
	}
	want := map[string]int{}
	for _, l := range lines {
		for _, f := range strings.Fields(l) {
			w := strings.ToLower(strings.Trim(f, ",.;:!—"))
			if len([]rune(w)) >= 3 {
				want[w]++
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d distinct words, want %d", len(got), len(want))
	}
	for w, n := range want {
		if got[w] != n {
			t.Errorf("count[%q] = %d, want %d", w, got[w], n)
		}
	}
	if top := top(got, 1); len(top) != 1 || top[0] != "and" || got["and"] != 9 {
		t.Errorf("top word %v with %d, want and with 9", top, got["and"])
	}
	if d := r.Describe(); !strings.HasPrefix(d, "[ENDED]") {
		t.Errorf("Describe after the run:\n%s", d)
	}
}
