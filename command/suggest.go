package command

import "fmt"

// didYouMean returns ` (did you mean "x"?)` for the candidate nearest to
// name, when it is a likely typo: at most max(1, len(name)/3) edits away
// (Damerau's distance: a swap of two neighbouring letters is one edit) and
// nearer than every other candidate; else "". The engine's suggest.go does
// the same for pend names; it is internal to the engine, hence this copy.
func didYouMean(name string, candidates []string) string {
	best, bestD, tie := "", -1, false
	limit := max(1, len([]rune(name))/3)
	for _, c := range candidates {
		d := editDistance(name, c)
		switch {
		case c == name || d > limit:
		case bestD < 0 || d < bestD:
			best, bestD, tie = c, d, false
		case d == bestD:
			tie = true
		}
	}
	if best == "" || tie {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the optimal string alignment distance between a and b,
// by runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
