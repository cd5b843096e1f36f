package command

import "github.com/runlet/runlet/internal/engine"

// didYouMean returns ` (did you mean "x"?)` for the candidate nearest to
// name, when it is a likely typo (engine.DidYouMean: at most
// max(1, len(name)/3) edits away, Damerau's distance, and nearer than every
// other candidate); else "".
func didYouMean(name string, candidates []string) string {
	return engine.DidYouMean(name, candidates)
}
