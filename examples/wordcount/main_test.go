package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// The report over a small tree whose counts are known by hand: .go files
// only (not notes.txt, not the directory dir.go), words of letters, digits
// and underscores, non-ASCII letters.
func TestReportOverKnownTree(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-root", "testdata/tree", "-top", "4", "-workers", "2"}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	head := "20 words (11 distinct) in 10 lines of 3 .go files under testdata/tree, counted in "
	if !strings.HasPrefix(lines[0], head) {
		t.Errorf("first line\n%q\nwant prefix\n%q", lines[0], head)
	}
	want := []string{
		"  1  beta                 4",
		"  2  package              3", // ties alphabetical
		"  3  x                    3",
		"  4  alpha                2",
	}
	if got := lines[1:]; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("top words\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCountsOfKnownTree(t *testing.T) {
	res, _, err := count(context.Background(), "testdata/tree", 3, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"package": 3, "a": 1, "alpha": 2, "beta": 4, "var": 1, "x": 3, "gamma_1": 1, "b": 1, "héllo": 2, "wörld": 1, "d": 1}
	if len(res.counts) != len(want) {
		t.Errorf("counts %v, want %v", res.counts, want)
	}
	for w, n := range want {
		if res.counts[w] != n {
			t.Errorf("count[%q] = %d, want %d", w, res.counts[w], n)
		}
	}
	if res.files != 3 || res.lines != 10 || res.words != 20 {
		t.Errorf("files, lines, words = %d, %d, %d; want 3, 10, 20", res.files, res.lines, res.words)
	}
}

// Real data: the runlet counts GOROOT/src/strings exactly as a plain loop
// with a regular expression does.
func TestMatchesPlainCountOnGoSources(t *testing.T) {
	root := filepath.Join(runtime.GOROOT(), "src", "strings")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("no Go sources here: %v", err)
	}
	word := regexp.MustCompile(`[\p{L}\p{Nd}_]+`)
	want, files := map[string]int{}, 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || !strings.HasSuffix(path, ".go") {
			return err
		}
		b, err := os.ReadFile(path)
		for _, w := range word.FindAllString(string(b), -1) {
			want[w]++
		}
		files++
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := count(context.Background(), root, 4, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	if res.files != files || len(res.counts) != len(want) {
		t.Errorf("%d files, %d distinct words; want %d and %d", res.files, len(res.counts), files, len(want))
	}
	for w, n := range want {
		if res.counts[w] != n {
			t.Errorf("count[%q] = %d, want %d", w, res.counts[w], n)
		}
	}
	if len(want) < 1000 {
		t.Errorf("only %d distinct words in %s: not the real sources?", len(want), root)
	}
}

func TestErrorsNameTheChipAndCause(t *testing.T) {
	_, _, err := count(context.Background(), "testdata/missing", 2, 4, 4)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), `"walk"`) {
		t.Errorf("missing root: %v, want fs.ErrNotExist from chip walk", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := count(ctx, "testdata/tree", 2, 4, 4); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v, want context.Canceled", err)
	}
	if err := run(context.Background(), []string{"-workers", "0"}, new(bytes.Buffer)); err == nil || !strings.Contains(err.Error(), "-workers") {
		t.Errorf("-workers 0: %v, want an error naming -workers", err)
	}
}

// -progress prints a progress line that ends with every file read.
func TestProgressLine(t *testing.T) {
	var out, prog bytes.Buffer
	old := progressOut
	progressOut = &prog
	defer func() { progressOut = old }()
	if err := run(context.Background(), []string{"-root", "testdata/tree", "-progress"}, &out); err != nil {
		t.Fatal(err)
	}
	last := prog.String()[strings.LastIndexByte(strings.TrimSuffix(prog.String(), "\n"), '\r')+1:]
	if !strings.HasPrefix(last, "wordcount: 3/3 files (100%)") || !strings.HasSuffix(last, "\x1b[K\n") {
		t.Errorf("last progress line %q, want wordcount: 3/3 files (100%%)...", last)
	}
	// Without the flag (and with no terminal) nothing is printed.
	prog.Reset()
	if err := run(context.Background(), []string{"-root", "testdata/tree"}, &out); err != nil {
		t.Fatal(err)
	}
	if prog.Len() != 0 {
		t.Errorf("progress without -progress: %q", prog.String())
	}
}
