// Wordcount-hud is examples/wordcount with a -hud flag: the same flow
// (walk -> read -> lines -> words -> count -> keep), watched live in the
// terminal view of package hud.
//
// It lives in the hud module, not next to examples/wordcount, because the
// library's module must stay free of Bubble Tea: the examples there are
// package main (nothing can import their flows) and the root module cannot
// import hud. So this program wires the same flow again; -delay slows each
// file read down, to watch a long run on a small tree.
//
//	cd hud && go run ./examples/wordcount -hud [-root DIR] [-workers 8] [-delay 5ms]
//
// -json FILE publishes the snapshots as a JSON stream instead (see
// hud.Publish), for cmd/runlet-hud to watch from another terminal.
//
// Keys: ↑/↓ select a chip, enter opens its details, p pauses and resumes,
// d drains (the walk stops, the files read are counted, the counts are
// printed, exit 0), q quits (the flow is aborted, exit 1).
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hud"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wordcount:", err)
		os.Exit(1)
	}
}

// run parses args, counts (under the HUD with -hud) and prints the report.
func run(ctx context.Context, args []string, w io.Writer) error {
	fl := flag.NewFlagSet("wordcount", flag.ContinueOnError)
	root := fl.String("root", filepath.Join(runtime.GOROOT(), "src"), "the directory whose .go files are counted")
	workers := fl.Int("workers", 8, "how many files are read at once")
	delay := fl.Duration("delay", 0, "how much longer each file read takes (to watch a long run)")
	withHUD := fl.Bool("hud", false, "watch the flow in the terminal view")
	jsonOut := fl.String("json", "", "publish a JSON snapshot 4 times a second to this file (or named pipe), for cmd/runlet-hud")
	n := fl.Int("top", 10, "how many of the most frequent words to print")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *workers < 1 {
		return fmt.Errorf("-workers must be at least 1 (got %d)", *workers)
	}
	logs := hud.NewLogHandler(0, nil)
	var res result
	r := flow(&res, *root, *workers, *delay, runlet.Config{Name: "wordcount", Stats: true,
		Total: goFiles(*root), Logger: slog.New(logs)})
	start := time.Now()
	if *jsonOut != "" {
		f, err := os.Create(*jsonOut)
		if err != nil {
			return err
		}
		defer f.Close()
		pctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go hud.Publish(pctx, f, r, 0) //nolint:errcheck // a reader that went away does not stop the count
	}
	var err error
	if *withHUD {
		err = hud.Watch(ctx, r, hud.Config{Title: "wordcount", Logs: logs})
	} else {
		err = r.Run(ctx)
	}
	if err != nil {
		return err
	}
	words := 0
	for _, c := range res.counts {
		words += c
	}
	fmt.Fprintf(w, "%d words (%d distinct) in %d .go files under %s, counted in %v\n",
		words, len(res.counts), res.files, *root, time.Since(start).Round(time.Millisecond))
	for i, word := range top(res.counts, *n) {
		fmt.Fprintf(w, "%3d  %-20s %d\n", i+1, word, res.counts[word])
	}
	return nil
}

// result is what the flow counted.
type result struct {
	counts map[string]int
	files  int
}

// flow builds examples/wordcount's runlet over the .go files under root.
func flow(res *result, root string, workers int, delay time.Duration, cfg runlet.Config) *runlet.Runlet {
	walk := func(ctx context.Context, yield func(string) bool) error {
		return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && strings.HasSuffix(path, ".go") {
				if !yield(path) {
					return filepath.SkipAll // the runlet drains or has stopped
				}
				res.files++
			}
			return ctx.Err()
		})
	}
	read := func(ctx context.Context, path string) (string, error) {
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		b, err := os.ReadFile(path)
		return string(b), err
	}
	var lineBuf, wordBuf []string // reused: FlatMap is done with a result before it asks for the next
	splitLines := func(file string) ([]string, error) {
		lineBuf = slices.AppendSeq(lineBuf[:0], strings.Lines(file))
		return lineBuf, nil
	}
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
			m[strings.Clone(w)] = 1
		}
		return m, nil
	}
	const buffer = 64
	p := pool.New("wordcount", 5*buffer+64)
	pend := func() *pool.Pend[string] { return pool.NewPend[string](p, "").Size(buffer, 0) }
	paths, files, lines, words := pend(), pend(), pend(), pend()
	counts := pool.NewPend[map[string]int](p, "").Size(buffer, 0)
	return runlet.New([]chip.Chip{
		chip.Generate("walk", paths, walk),
		chip.ParallelMap("read", paths, files, workers, read),
		chip.FlatMap("lines", files, lines, splitLines),
		chip.FlatMap("words", lines, words, splitWords),
		chip.Fold("count", words, counts, nil, tally),
		chip.ForEach("keep", counts, func(m map[string]int) error { res.counts = m; return nil }),
	}, cfg)
}

// goFiles counts the .go files under root, for Config.Total.
func goFiles(root string) int64 {
	var n int64
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.HasSuffix(path, ".go") {
			n++
		}
		return nil
	})
	return n
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
		return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b))
	})
	return words[:min(max(n, 0), len(words))]
}
