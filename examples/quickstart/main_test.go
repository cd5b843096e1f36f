package main

import (
	"context"
	"strings"
	"testing"
)

// The quickstart pipeline counts exactly what a plain loop counts, every
// chip has ended, and the pool never held much more than its limit.
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
	if top := top(got, 2); len(top) != 2 || top[0] != "and" || got["and"] != 9 || top[1] != "the" || got["the"] != 8 {
		t.Errorf("top words %v with %d and %d, want [and the] with 9 and 8", top, got["and"], got["the"])
	}

	d := r.Describe()
	if !strings.HasPrefix(d, "[ENDED]") {
		t.Errorf("Describe after the run does not start with [ENDED]:\n%s", d)
	}
	for _, c := range []string{"#lines [END]", "#words [END]", "#normalize [END]", "#count [END]"} {
		if !strings.Contains(d, c) {
			t.Errorf("Describe lacks %q:\n%s", c, d)
		}
	}
	// The limit is checked before a chip runs, so each producer may bust it
	// by one result (3 producers), and the async chip by a result per
	// worker in flight (2).
	s := r.Snapshot()
	for _, p := range s.Pools {
		if p.Key == "default" && (p.High < 1 || p.High > p.Limit+3+2) {
			t.Errorf("pool default high-water %d, want 1..%d (limit %d plus a result per producer and worker)", p.High, p.Limit+5, p.Limit)
		}
	}
}

func TestTopHandlesShortAndNegative(t *testing.T) {
	counts := map[string]int{"b": 2, "a": 2, "c": 5}
	if got := strings.Join(top(counts, 10), ","); got != "c,a,b" {
		t.Errorf("top(10) = %s, want c,a,b", got)
	}
	if got := top(counts, -1); len(got) != 0 {
		t.Errorf("top(-1) = %v, want none", got)
	}
}
