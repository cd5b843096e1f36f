package hud_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests use the HUD as a person would: the example programs run in a
// real terminal (a tmux session of 160x48 on a tmux server of their own),
// keys are sent with send-keys and the screen is read with capture-pane.
// They wait for what the screen must show, polling, with a generous bound:
// nothing depends on how fast the machine is.

// sessions numbers the tmux servers: each session has a server of its own.
var sessions atomic.Int64

// term is a program running in a tmux session.
type term struct {
	t    *testing.T
	sock string
}

// build compiles the program in dir (relative to the hud module) into the
// test's temporary directory.
func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(dir))
	out, err := exec.Command("go", "build", "-o", bin, "./"+dir).CombinedOutput()
	require.NoError(t, err, "building %s: %s", dir, out)
	return bin
}

// start runs args in a new tmux session; when the program exits, the shell
// prints "EXIT=<status>" and the pane stays for the test to read.
func start(t *testing.T, args ...string) *term {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: the terminal tests of the HUD need it (apt-get install -y tmux)")
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = strconv.Quote(a)
	}
	tm := &term{t: t, sock: fmt.Sprintf("hud-test-%d-%d", os.Getpid(), sessions.Add(1))}
	shell := strings.Join(quoted, " ") + `; echo "EXIT=$?"; sleep 600`
	tm.tmux("new-session", "-d", "-x", "160", "-y", "48", "-s", "hud", shell)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tm.sock, "kill-server").Run() })
	return tm
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.sock}, args...)...).CombinedOutput()
	require.NoError(tm.t, err, "tmux %v: %s", args, out)
	return string(out)
}

// screen is what the terminal shows now.
func (tm *term) screen() string { return tm.tmux("capture-pane", "-p", "-t", "hud") }

// keys types keys (tmux key names: "j", "Enter", "Escape").
func (tm *term) keys(keys ...string) { tm.tmux(append([]string{"send-keys", "-t", "hud"}, keys...)...) }

// waitFor polls the screen until ok holds, and returns that screen; it
// fails after a minute, showing the last screen.
func (tm *term) waitFor(what string, ok func(string) bool) string {
	tm.t.Helper()
	var s string
	for range 600 {
		if s = tm.screen(); ok(s) {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm.t.Fatalf("the screen never showed %s; it shows:\n%s", what, s)
	return ""
}

// shows returns a condition: the screen holds every one of parts.
func shows(parts ...string) func(string) bool {
	return func(s string) bool {
		for _, p := range parts {
			if !strings.Contains(s, p) {
				return false
			}
		}
		return true
	}
}

// readRow matches the table's row of the chip "read": IN/S and IN.
var readRow = regexp.MustCompile(`│[▶ ] read\s+\S+\s+\d+/\d+\s+(\d+)/s\s+\S+\s+(\d+)\s`)

// readCounts returns read's rate (packs in per second) and packs in, from
// the table; ok is false when the row is not shown.
func readCounts(s string) (rate, in int, ok bool) {
	m := readRow.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, false
	}
	rate, _ = strconv.Atoi(m[1])
	in, _ = strconv.Atoi(m[2])
	return rate, in, true
}

func TestTerminalWordcount(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the terminal tests build and run the examples")
	}
	bin := build(t, "examples/wordcount")
	tm := start(t, bin, "-hud", "-delay", "20ms", "-root", filepath.Join(runtime.GOROOT(), "src"))

	// The flow, its chips, the bottleneck (the reads, slowed down) marked in
	// the header, the diagram and the table.
	s := tm.waitFor("the running flow with its bottleneck", shows("wordcount · RUNNING", "BOTTLENECK: read", "read ⚠ BOTTLENECK"))
	for _, chip := range []string{"walk", "read", "lines", "words", "count", "keep"} {
		assert.Regexp(t, `│[▶ ] `+chip+`\s`, s, "the table lists chip %s", chip)
	}
	assert.Contains(t, s, "walk.out ▕", "the pend after walk, with its fill bar")
	assert.Contains(t, s, "INFO  runlet start runlet=wordcount chips=6", "the log pane")

	// Between two captures, read took more packs, at a rate above zero.
	_, in1, ok := readCounts(s)
	require.True(t, ok, "read's row: %s", s)
	s = tm.waitFor("read's count growing", func(s string) bool {
		_, in, ok := readCounts(s)
		return ok && in > in1
	})
	rate, _, _ := readCounts(s)
	assert.Positive(t, rate)

	// Navigation: down to read, its details, back to the table.
	tm.keys("j")
	tm.waitFor("read selected", shows("▶ read "))
	tm.keys("Enter")
	s = tm.waitFor("read's details", shows("chip read", "latency   p50"))
	assert.Contains(t, s, "async, 8 workers")
	tm.keys("Escape")
	tm.waitFor("the table again", shows("OUT/S"))

	// Pause: the header says so, and read takes nothing more while paused.
	tm.keys("p")
	tm.waitFor("the paused flow", shows("RUNNING (PAUSED)", "HUD   paused"))
	var frozen int
	stable := 0
	tm.waitFor("read's count standing still", func(s string) bool {
		_, in, ok := readCounts(s)
		if ok && in == frozen {
			stable++
		} else {
			frozen, stable = in, 0
		}
		return stable >= 10 // ten captures in a row, a second or more
	})
	tm.keys("p")
	tm.waitFor("the resumed flow", func(s string) bool {
		_, in, ok := readCounts(s)
		return ok && in > frozen && !strings.Contains(s, "PAUSED")
	})

	// Drain: the walk stops, the files read are counted, the HUD quits and
	// the program prints its counts and exits 0.
	tm.keys("d")
	s = tm.waitFor("the program's exit", shows("EXIT="))
	assert.Contains(t, s, "EXIT=0")
	assert.Regexp(t, `\d+ words \(\d+ distinct\) in \d+ \.go files`, s)
}

func TestTerminalLogbatch(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the terminal tests build and run the examples")
	}
	bin := build(t, "examples/logbatch")
	args := []string{bin, "-hud", "-rounds", "0", "-pause", "100ms", "-write-delay", "10ms"}

	tm := start(t, args...)
	s := tm.waitFor("flushes in the log pane", shows("logbatch · RUNNING", "INFO  flush records="))
	for _, chip := range []string{"lines", "parse", "batch", "label", "write"} {
		assert.Regexp(t, `│[▶ ] `+chip+`\s`, s, "the table lists chip %s", chip)
	}
	tm.keys("d")
	s = tm.waitFor("the program's exit", shows("EXIT="))
	assert.Contains(t, s, "EXIT=0")
	assert.Regexp(t, `read \d+ lines`, s)
	tm.tmux("kill-server")

	// Quit while it runs: the flow is aborted and the program fails.
	tm = start(t, args...)
	tm.waitFor("the running flow", shows("logbatch · RUNNING"))
	tm.keys("q")
	s = tm.waitFor("the program's exit", shows("EXIT="))
	assert.Contains(t, s, "EXIT=1")
	assert.Contains(t, s, "quit before the flow ended")
}
