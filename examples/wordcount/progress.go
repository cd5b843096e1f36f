package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/runlet/runlet/runlet"
)

// progressOut is where the progress line goes (a test swaps it).
var progressOut io.Writer = os.Stderr

// refresh is how often the progress line is redrawn.
const refresh = 200 * time.Millisecond

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// goFiles counts the .go files under root when on is set (0 otherwise, or
// on an error: the run reports it), for Config.Total.
func goFiles(root string, on bool) int64 {
	if !on {
		return 0
	}
	var n int64
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.HasSuffix(path, ".go") {
			n++
		}
		return nil
	})
	return n
}

// showProgress redraws r's progress line on w every refresh, from its
// snapshots (it never waits for the scheduler), until the returned stop is
// called, which prints the last line and a newline.
func showProgress(w io.Writer, r *runlet.Runlet) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(refresh)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintf(w, "\r%s\x1b[K\n", progressLine(r.Snapshot()))
				return
			case <-t.C:
				fmt.Fprintf(w, "\r%s\x1b[K", progressLine(r.Snapshot()))
			}
		}
	}()
	return func() { close(done); <-exited }
}

// progressLine is "wordcount: 120/2400 files (5%), eta 3.2s, 850 files/s,
// bottleneck read", from a snapshot with statistics.
func progressLine(s runlet.Snapshot) string {
	if s.Flow == nil || s.Flow.Progress == nil {
		return "wordcount: " + s.State
	}
	p := s.Flow.Progress
	line := fmt.Sprintf("wordcount: %d/%d files (%.0f%%)", p.Done, p.Total, 100*p.Fraction())
	if p.ETA > 0 {
		line += ", eta " + p.ETA.Round(100*time.Millisecond).String()
	}
	for _, c := range s.Chips {
		if c.Key == "read" && c.Stats != nil {
			line += fmt.Sprintf(", %.0f files/s", c.Stats.InRate)
		}
	}
	if b := s.Flow.Bottleneck; b != nil {
		line += ", bottleneck " + b.Chip
	}
	return line
}
