package engine

import "fmt"

// nearest returns the candidate closest to name by edit distance (Damerau's:
// a swap of two neighbouring letters counts one edit, as in a typo), when it
// is close enough to be a likely typo of name and clearly the closest: at
// most max(1, len(name)/3) edits away and nearer than every other candidate.
// It returns "" otherwise, and for name itself among the candidates.
func nearest(name string, candidates []string) string {
	best, bestD, tie := "", -1, false
	limit := max(1, len([]rune(name))/3)
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := editDistance(name, c)
		switch {
		case d > limit:
		case bestD < 0 || d < bestD:
			best, bestD, tie = c, d, false
		case d == bestD && c != best:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// DidYouMean returns ` (did you mean "x"?)` for the candidate nearest to
// name (see [nearest]), or "" when none is: the engine's errors use it, and
// so does package command for its command names.
func DidYouMean(name string, candidates []string) string { return didYouMean(name, candidates) }

// didYouMean is [DidYouMean].
func didYouMean(name string, candidates []string) string {
	if n := nearest(name, candidates); n != "" {
		return fmt.Sprintf(" (did you mean %q?)", n)
	}
	return ""
}

// editDistance returns the optimal string alignment distance between a and b,
// by runes: the fewest insertions, deletions, substitutions and swaps of two
// neighbouring runes that turn a into b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows of the table: i-2, i-1 and i.
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
