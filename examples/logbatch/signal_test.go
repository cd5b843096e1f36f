package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the example as a child process and send it real signals.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the example once into a temporary folder.
func binary(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("signals to a child process: not on Windows")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build the example with")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "logbatch-signal")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "logbatch")
		out, err := exec.Command(goTool, "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// lockedBuffer is a bytes.Buffer safe to write from the child's copier and
// read from the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// child is the example reading numbered lines from a pipe that the test
// keeps writing to until the child exits.
type child struct {
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	fed            chan struct{} // closed when the feeder stops
}

func start(t *testing.T, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(binary(t), append([]string{"-in", "-", "-list"}, args...)...), fed: make(chan struct{})}
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	stdin, err := c.cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, c.cmd.Start())
	go func() { // an endless stream: the child is mid-stream whenever it is signalled
		defer close(c.fed)
		w := bufio.NewWriter(stdin)
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(w, "line %d\n", i); err != nil {
				return // the child has exited: its stdin is closed
			}
		}
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.fed
	})
	return c
}

// waitFor waits until the child's output holds s.
func (c *child) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(c.stdout.String(), s) {
		require.True(t, time.Now().Before(deadline), "no %q in the output: %s", s, c.stderr.String())
		time.Sleep(5 * time.Millisecond)
	}
}

// wait waits for the child to exit and returns its exit code.
func (c *child) wait(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		require.NoError(t, err)
		return 0
	case <-time.After(time.Minute):
		t.Fatalf("the child did not exit\nstdout tail: %.2000s\nstderr: %s", tail(c.stdout.String()), c.stderr.String())
		return -1
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

// SIGINT mid-stream drains: the input stops, and every line read is written,
// once and in order (0 lost, 0 duplicated): the written records are lines
// 0..K-1, K is the count the writer reports and the count of lines read;
// the last, partial batch goes out at once (-wait is an hour) for the end;
// the process exits 0.
func TestSIGINTDrainsEveryLineRead(t *testing.T) {
	c := start(t, "-size", "50", "-wait", "1h")
	c.waitFor(t, "flush")
	require.NoError(t, c.cmd.Process.Signal(os.Interrupt))
	code := c.wait(t)
	out := c.stdout.String()
	require.Equal(t, 0, code, "exit code; stderr: %s\nstdout tail: %s", c.stderr.String(), tail(out))

	var written []int
	var summary, read string
	var reasons []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "  line "):
			n, err := strconv.Atoi(strings.TrimPrefix(line, "  line "))
			require.NoError(t, err, line)
			written = append(written, n)
		case strings.HasPrefix(line, "flush"):
			reasons = append(reasons, strings.Fields(line)[3])
		case strings.Contains(line, "records in"):
			summary = line
		case strings.HasPrefix(line, "read "):
			read = line
		}
	}
	k := len(written)
	require.Greater(t, k, 50, "mid-stream: more than one batch was written")
	for i, n := range written {
		if n != i {
			t.Fatalf("record %d is line %d: lost or duplicated lines (0 lost, 0 duplicated expected)", i, n)
		}
	}
	batches := len(reasons)
	assert.Equal(t, fmt.Sprintf("%d records in %d batches", k, batches), summary)
	assert.Equal(t, fmt.Sprintf("read %d lines", k), read, "every line read was written")
	for _, r := range reasons[:batches-1] {
		assert.Equal(t, "full", r)
	}
	assert.Equal(t, k%50 != 0, reasons[batches-1] == "end", "the partial batch goes out at the drain: %v", reasons[batches-1])
}

// A second SIGINT aborts the drain: the process exits promptly with status
// 1, and the error names the chips that had not finished. Each bulk write
// takes a second, so the drain, which must write every batch the pool
// holds, is still going when the second signal comes.
func TestSecondSIGINTAborts(t *testing.T) {
	c := start(t, "-size", "50", "-wait", "1h", "-write-delay", "1s")
	c.waitFor(t, "flush")
	require.NoError(t, c.cmd.Process.Signal(os.Interrupt))
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, c.cmd.Process.Signal(os.Interrupt))
	sent := time.Now()
	code := c.wait(t)
	took := time.Since(sent)
	assert.Equal(t, 1, code, "stderr: %s", c.stderr.String())
	assert.Less(t, took, 10*time.Second, "the abort does not wait for the drain")
	stderr := c.stderr.String()
	assert.Contains(t, stderr, "aborted")
	assert.Contains(t, stderr, "a second signal (interrupt)")
	assert.Contains(t, stderr, `unfinished chips:`)
	assert.Contains(t, stderr, `"write" RUN x`)
	assert.NotContains(t, c.stdout.String(), "records in", "the writer did not end")
}
