// Wordcount counts the words of every .go file under a directory tree, by
// default the Go distribution's own sources ($(go env GOROOT)/src), and
// prints the 20 most frequent with the time taken.
//
//	walk -> read (async, -workers files at once) -> lines (FlatMap) -> words (FlatMap) -> count (Fold) -> print
//
// It shows a linear runlet, a list of chips over unnamed pends, built from
// the library's operators:
//   - Generate walks the tree on a goroutine of its own and yields the paths;
//   - ParallelMap reads files with bounded concurrency: an async chip with
//     Concurrency -workers, so at most that many files are open at once;
//   - two FlatMaps split a file into lines and a line into words (1:N),
//     each reusing one slice for its results, so they allocate nothing per
//     value;
//   - Fold counts the words into a map and pushes it once, at END.
//
// One count pool holds everything between the stages: each pend reserves
// -buffer packs and they share -shared more, so no more than that many file
// contents, lines or words wait at once, whatever the size of the tree.
//
// A word is a run of letters, digits and underscores (so "err", "nil" and
// "t1" count; "x.y" is two words). Run it with:
//
//	go run ./examples/wordcount [-root DIR] [-workers 8] [-top 20] [-describe] [-progress]
//
// On a terminal (or with -progress) it prints a progress line on stderr:
// files read of all (counted first by a walk without reads, and given to
// the runlet as Config.Total), the ETA, the read rate and the bottleneck,
// from the runlet's statistics (Config.Stats).
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

func main() {
	// Ctrl+C stops the walk and reports the files read so far; a second
	// Ctrl+C aborts.
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Interrupt, syscall.SIGTERM); err != nil {
		fmt.Fprintln(os.Stderr, "wordcount:", err)
		os.Exit(1)
	}
}

// run parses args, counts and prints the report to w. The first of signals
// drains the runlet (the walk stops, the files read are counted), the second
// aborts it.
func run(ctx context.Context, args []string, w io.Writer, signals ...os.Signal) error {
	fl := flag.NewFlagSet("wordcount", flag.ContinueOnError)
	root := fl.String("root", filepath.Join(runtime.GOROOT(), "src"), "the directory whose .go files are counted")
	workers := fl.Int("workers", 8, "how many files are read at once")
	buffer := fl.Int("buffer", 64, "how many packs (files, lines or words) each pend between stages reserves")
	shared := fl.Int("shared", 64, "how many more packs the pends may hold together (the pool's limit)")
	describe := fl.Bool("describe", false, "print the runlet's Describe after the run")
	progress := fl.Bool("progress", isTerminal(progressOut), "print a progress line (files read of all, ETA, bottleneck) on stderr; on by default when stderr is a terminal")
	n := fl.Int("top", 20, "how many of the most frequent words to print")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *workers < 1 || *buffer < 0 || *shared < 0 {
		return fmt.Errorf("-workers must be at least 1, -buffer and -shared at least 0 (got %d, %d and %d)", *workers, *buffer, *shared)
	}
	start := time.Now()
	o := options{root: *root, workers: *workers, buffer: *buffer, shared: *shared}
	if *progress {
		o.progress = progressOut
	}
	res, r, err := countWith(ctx, o, signals...)
	if err != nil {
		if r != nil && *describe {
			fmt.Fprintln(w, r.Describe())
		}
		return err
	}
	fmt.Fprintf(w, "%d words (%d distinct) in %d lines of %d .go files under %s, counted in %v\n",
		res.words, len(res.counts), res.lines, res.files, *root, time.Since(start).Round(time.Millisecond))
	for i, word := range top(res.counts, *n) {
		fmt.Fprintf(w, "%3d  %-20s %d\n", i+1, word, res.counts[word])
	}
	if *describe {
		fmt.Fprintln(w, r.Describe())
	}
	return nil
}

// result is what count found.
type result struct {
	counts              map[string]int
	files, lines, words int
}

// options are count's settings.
type options struct {
	root                    string
	workers, buffer, shared int
	progress                io.Writer // where the progress line goes; nil for none
}

// count runs the runlet over the .go files under root, and returns what it
// counted and the runlet, for its Describe.
func count(ctx context.Context, root string, workers, buffer, shared int, signals ...os.Signal) (result, *runlet.Runlet, error) {
	return countWith(ctx, options{root: root, workers: workers, buffer: buffer, shared: shared}, signals...)
}

// countWith is count with a progress line when o.progress is set: the .go
// files are counted first (a walk without reads), given to the runlet as
// Config.Total, and its statistics' progress is printed every refresh.
func countWith(ctx context.Context, o options, signals ...os.Signal) (result, *runlet.Runlet, error) {
	var res result
	root, workers, buffer, shared := o.root, o.workers, o.buffer, o.shared

	walk := func(ctx context.Context, yield func(string) bool) error {
		return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if d.Type().IsRegular() && strings.HasSuffix(path, ".go") {
				if !yield(path) {
					return filepath.SkipAll // the runlet drains or has stopped
				}
				res.files++
			}
			return nil
		})
	}
	read := func(_ context.Context, path string) (string, error) {
		b, err := os.ReadFile(path)
		return string(b), err
	}
	var lineBuf []string // reused: FlatMap is done with a result before it asks for the next
	splitLines := func(file string) ([]string, error) {
		lineBuf = lineBuf[:0]
		for l := range strings.Lines(file) {
			lineBuf = append(lineBuf, l)
		}
		res.lines += len(lineBuf)
		return lineBuf, nil
	}
	var wordBuf []string
	splitWords := func(line string) ([]string, error) {
		wordBuf = appendWords(wordBuf[:0], line)
		return wordBuf, nil
	}
	tally := func(m map[string]int, w string) (map[string]int, error) {
		if m == nil {
			m = map[string]int{}
		}
		if _, ok := m[w]; ok {
			m[w]++
		} else {
			m[strings.Clone(w)] = 1 // not a slice of the file, which would stay in memory
		}
		return m, nil
	}

	// Every pend between two stages reserves buffer packs (its private size)
	// and the stages share a budget of shared more. With a shared budget
	// alone, the async reader would fill it with files and leave the chips
	// below one pack per run (try -buffer 0 -shared 256 -describe: 3x slower,
	// and a hit rate near 0.3 instead of 0.97). The pends need no names:
	// Describe shows each after the chip that pushes into it ("walk.out",
	// "read.out", ...).
	const pends = 5 // between the six stages
	p := pool.New("wordcount", pends*buffer+shared)
	pend := func() *pool.Pend[string] { return pool.NewPend[string](p, "").Size(buffer, 0) }
	paths, files, lines, words := pend(), pend(), pend(), pend()
	counts := pool.NewPend[map[string]int](p, "").Size(buffer, 0)
	r := runlet.New([]chip.Chip{
		chip.Generate("walk", paths, walk),
		chip.ParallelMap("read", paths, files, workers, read),
		chip.FlatMap("lines", files, lines, splitLines),
		chip.FlatMap("words", lines, words, splitWords),
		chip.Fold("count", words, counts, nil, tally),
		chip.ForEach("keep", counts, func(m map[string]int) error { res.counts = m; return nil }),
	}, runlet.Config{Name: "wordcount", Stats: o.progress != nil, Total: goFiles(root, o.progress != nil)})
	if o.progress != nil {
		stop := showProgress(o.progress, r)
		defer stop()
	}
	if len(signals) > 0 {
		stop := runlet.DrainOnSignal(ctx, r, signals...)
		defer stop()
	}
	if err := r.Run(ctx); err != nil {
		return result{}, r, err
	}
	if res.counts == nil {
		res.counts = map[string]int{} // no words at all
	}
	for _, c := range res.counts {
		res.words += c
	}
	return res, r, nil
}

// appendWords appends the words of s (runs of letters, digits and
// underscores) to dst.
func appendWords(dst []string, s string) []string {
	start := -1
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			dst, start = append(dst, s[start:i]), -1
		}
	}
	if start >= 0 {
		dst = append(dst, s[start:])
	}
	return dst
}

// top returns the n most frequent words, ties broken alphabetically.
func top(counts map[string]int, n int) []string {
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	slices.SortFunc(words, func(a, b string) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return words[:min(max(n, 0), len(words))]
}
