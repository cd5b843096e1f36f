// Quickstart counts the words of a poem with a small runlet and prints the
// most frequent ones, then the runlet's whole state as Describe shows it.
//
//	lines -> words (1:N, REDO) -> normalize (async, drops short words: SKIP) -> count
//
// Run it with: go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// poem is "The Road Not Taken" by Robert Frost (1916, public domain).
const poem = `Two roads diverged in a yellow wood,
And sorry I could not travel both
And be one traveler, long I stood
And looked down one as far as I could
To where it bent in the undergrowth;
Then took the other, as just as fair,
And having perhaps the better claim,
Because it was grassy and wanted wear;
Though as for that the passing there
Had worn them really about the same,
And both that morning equally lay
In leaves no step had trodden black.
Oh, I kept the first for another day!
Yet knowing how way leads on to way,
I doubted if I should ever come back.
I shall be telling this with a sigh
Somewhere ages and ages hence:
Two roads diverged in a wood, and I—
I took the one less traveled by,
And that has made all the difference.`

func main() {
	counts, r, err := countWords(context.Background(), strings.Split(poem, "\n"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
	fmt.Println("most frequent words of three letters or more:")
	for _, w := range top(counts, 5) {
		fmt.Printf("  %-10s %d\n", w, counts[w])
	}
	fmt.Println("\nthe runlet after the run (r.Describe()):")
	fmt.Println(r.Describe())
}

// countWords runs the pipeline over lines and returns the word counts.
func countWords(ctx context.Context, lines []string) (map[string]int, *runlet.Runlet, error) {
	pend := func(key string) chip.PendRef { return chip.At("default", key) }

	// Input: one line per call, END when done.
	read := chip.NewInput("lines", pend("lines"), nil, func(_ context.Context, i *int) (hints.Pack[string], error) {
		if *i == len(lines) {
			return hints.EndOf[string](1), nil
		}
		*i++
		return hints.Data(lines[*i-1]), nil
	})

	// 1:N: a line becomes one pack per word. REDO means "here is one word,
	// call me again with the same line"; the state remembers how far we got.
	type cursor struct{ words []string }
	split := chip.New(chip.Config[string, string, cursor]{
		Key: "words", Prev: pend("lines"), Next: pend("words"),
		Process: func(_ context.Context, in hints.Pack[string], c *cursor) (hints.Pack[string], error) {
			if in.Hint == hints.End {
				return hints.EndOf[string](1), nil
			}
			if c.words == nil {
				c.words = strings.Fields(in.Value)
			}
			if len(c.words) == 0 {
				c.words = nil
				return hints.SkipOf[string](), nil // an empty line: no output
			}
			w := c.words[0]
			if c.words = c.words[1:]; len(c.words) > 0 {
				return hints.Again(w), nil
			}
			c.words = nil
			return hints.Data(w), nil
		},
	})

	// Async, two workers: lower-case and trim punctuation; N:1 for short
	// words, which are dropped with SKIP.
	normalize := chip.New(chip.Config[string, string, struct{}]{
		Key: "normalize", Prev: pend("words"), Next: pend("clean"), Async: true, Concurrency: 2,
		Process: func(_ context.Context, in hints.Pack[string], _ *struct{}) (hints.Pack[string], error) {
			if in.Hint == hints.End {
				return in, nil
			}
			w := strings.ToLower(strings.TrimFunc(in.Value, func(r rune) bool { return !unicode.IsLetter(r) }))
			if len([]rune(w)) < 3 {
				return hints.SkipOf[string](), nil
			}
			return hints.Data(w), nil
		},
	})

	counts := map[string]int{}
	count := chip.NewOutput("count", pend("clean"), nil, func(_ context.Context, in hints.Pack[string], _ *struct{}) error {
		if in.Hint != hints.End {
			counts[in.Value]++
		}
		return nil
	})

	r := runlet.New([]*pool.Pool{pool.New("default", 8)}, []chip.Chip{read, split, normalize, count}, runlet.Config{})
	err := r.Run(ctx)
	return counts, r, err
}

// top returns the n most frequent words, ties broken alphabetically.
func top(counts map[string]int, n int) []string {
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if counts[words[i]] != counts[words[j]] {
			return counts[words[i]] > counts[words[j]]
		}
		return words[i] < words[j]
	})
	return words[:min(n, len(words))]
}
