// Quickstart counts the words of a poem with a small runlet, prints the most
// frequent ones, then the runlet's whole state as Describe shows it.
//
// The graph is four chips joined by three pends of one pool:
//
//	          [ pool "default", limit 8: every pack waiting between chips counts ]
//	                [ pend "lines" ]     [ pend "words" ]        [ pend "clean" ]
//	input -> lines ->      |->    words    ->    |->   normalize   ->   |->   count -> output
//	                        1:N (REDO)          async, 2 workers,         one map,
//	                                            drops short words (SKIP)  ends at END
//
// Packs (a value plus a hint) move between pends; a chip is a passive step
// from its prev pend to its next one, and the hint it returns steers the
// flow: DATA pushes a value, SKIP consumes the input without output, REDO
// pushes a value and asks for the same input again, END ends the chip and is
// passed downstream. The scheduler runs whichever chip can move, so the pool's
// limit (8) bounds what the whole flow holds at once.
//
// Run it with:
//
//	go run ./examples/quickstart [-top 5]
package main

import (
	"context"
	"flag"
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
	n := flag.Int("top", 5, "how many of the most frequent words to print")
	flag.Parse()

	counts, r, err := countWords(context.Background(), strings.Split(poem, "\n"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
	fmt.Println("most frequent words of three letters or more:")
	for _, w := range top(counts, *n) {
		fmt.Printf("  %-10s %d\n", w, counts[w])
	}
	fmt.Println("\nthe runlet after the run (r.Describe()):")
	fmt.Println(r.Describe())
}

// countWords runs the pipeline over the lines of text and returns the word
// counts and the runlet, for its Describe.
func countWords(ctx context.Context, text []string) (map[string]int, *runlet.Runlet, error) {
	// The pends, typed: a chip pulling ints from a pend of strings would
	// not compile. They are named for Describe; a pend declared with an
	// empty key is named after the chip that pushes into it ("lines.out").
	p := pool.New("default", 8)
	lines := pool.NewPend[string](p, "lines")
	words := pool.NewPend[string](p, "words")
	clean := pool.NewPend[string](p, "clean")

	// 1:N, a chip written by hand: a line becomes one pack per word. REDO
	// means "here is one word, call me again with the same line"; the
	// state remembers which words are left.
	type cursor struct{ words []string }
	split := chip.New(chip.Config[string, string, cursor]{
		Key: "words", Prev: lines, Next: words,
		Process: func(_ context.Context, in hints.Pack[string], c *cursor) (hints.Pack[string], error) {
			if in.Hint == hints.End {
				return in, nil // pass END on: this chip ends, and so will the next
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
				return hints.Again(w), nil // REDO: more words in this line
			}
			c.words = nil
			return hints.Data(w), nil // the line's last word: take the next line
		},
	})

	// Async, on two worker goroutines: lower-case and trim punctuation;
	// short words are dropped with SKIP (N:1).
	normalize := chip.New(chip.Config[string, string, struct{}]{
		Key: "normalize", Prev: words, Next: clean, Async: true, Concurrency: 2,
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

	// The input and output chips come ready-made: FromSlice pushes each
	// line, then END; ForEach sees every value and ends at END, and Run
	// returns once it has. The runlet's pool is the one its chips' pends
	// are declared in.
	counts := map[string]int{}
	r := runlet.New([]chip.Chip{
		chip.FromSlice("lines", lines, text),
		split,
		normalize,
		chip.ForEach("count", clean, func(w string) error { counts[w]++; return nil }),
	}, runlet.Config{})
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
	return words[:min(max(n, 0), len(words))]
}
