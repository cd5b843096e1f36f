package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runCLI runs the command in-process and returns its exit code, stdout
// and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runMain(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the command once for the tests that run it as a process.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "runlet-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "runlet")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = &exec.ExitError{Stderr: out}
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// exitCode runs the built binary and returns its exit code, stdout, stderr.
func exitCode(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, out.String(), errb.String()
}

// The README's line, run as the built binary on a fixture.
func TestREADMELineBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	code, out, stderr := exitCode(t, "run", "lines testdata/words.txt | split-words | count-by word | top 3")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	assert.Equal(t, `{"count":5,"word":"the"}`+"\n"+`{"count":3,"word":"dog"}`+"\n"+`{"count":3,"word":"fox"}`+"\n", out)

	// A bad pipeline and a failed run, as processes: exit codes, no panic.
	code, out, stderr = exitCode(t, "run", "lines testdata/words.txt | wehre a == b")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Equal(t, "runlet: command: pipeline, column 28: unknown command \"wehre\" (did you mean \"where\"?)\n", stderr)
	code, _, stderr = exitCode(t, "run", "lines testdata/words.txt | json")
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(stderr, "runlet: "), stderr)
	assert.Contains(t, stderr, `json: field line "The quick brown fox`)
	assert.NotContains(t, stderr, "panic")
}

func TestBadCommandLines(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.aliases")
	require.NoError(t, os.WriteFile(bad, []byte("# fine\nok = \"head 1\"\n\nbroken \"head 1\"\n"), 0o600))
	badText := filepath.Join(dir, "badtext.aliases")
	require.NoError(t, os.WriteFile(badText, []byte("x = \"grep 'a\"\n"), 0o600))
	cycle := filepath.Join(dir, "cycle.aliases")
	require.NoError(t, os.WriteFile(cycle, []byte("a = \"b\"\nb = \"head 1 | a\"\n"), 0o600))
	unquoted := filepath.Join(dir, "unquoted.aliases")
	require.NoError(t, os.WriteFile(unquoted, []byte("a = head 1\n"), 0o600))
	for _, tc := range []struct {
		args   []string
		want   string
		failed bool // exit 1: a file that does not open or cannot be created is a failure, not a usage error
	}{
		{[]string{"run", "lines | wehre a == b"}, `column 9: unknown command "wehre" (did you mean "where"?)`, false},
		{[]string{"run", "lines | head"}, "column 13: head: missing argument N (usage: head N)", false},
		{[]string{"run", "lines | head x"}, "head: argument N", false},
		{[]string{"run", "lines | grep 'abc"}, "unterminated", false},
		{[]string{"run", "lines | grep '('"}, "grep: argument PATTERN: error parsing regexp", false},
		{[]string{"run", "lines | | count"}, "column 9", false},
		{[]string{"run", "lines nosuchfile"}, "runlet: command: frame main: lines (column 1): open nosuchfile", true},
		{[]string{"run", "lines | write " + filepath.Join(dir, "no/such/dir/out")}, "write (column 9): open " + filepath.Join(dir, "no/such/dir/out"), true},
		{[]string{"-aliases", filepath.Join(dir, "missing"), "run", "lines"}, "aliases: open " + filepath.Join(dir, "missing"), false},
		{[]string{"-aliases", bad, "run", "lines"}, bad + `:4: expected name = "pipeline", got "broken \"head 1\""`, false},
		{[]string{"-aliases", badText, "run", "lines"}, badText + `:1: command: alias "x"`, false},
		{[]string{"-aliases", cycle, "run", "lines"}, cycle + `:2: command: alias "b" would make a cycle: b → a → b`, false},
		{[]string{"-aliases", unquoted, "commands"}, unquoted + ":1: alias a: expected the pipeline as a double-quoted string, got head 1", false},
		{[]string{"-template", "{{.x", "run", "lines"}, "template", false},
		{[]string{"-nosuch", "run", "lines"}, "flag provided but not defined: -nosuch", false},
		{[]string{"run"}, "usage: run needs a PIPELINE", false},
		{[]string{}, "usage: no subcommand", false},
		{[]string{"frobnicate"}, `unknown subcommand "frobnicate"`, false},
		{[]string{"run", "lines", "no/such/input"}, "open no/such/input", true},
	} {
		code, out, stderr := runCLI(t, "a\n", tc.args...)
		if tc.failed {
			assert.Equal(t, 1, code, "%q", tc.args)
		} else {
			assert.Equal(t, 2, code, "%q", tc.args)
		}
		assert.Empty(t, out, "%q", tc.args)
		assert.True(t, strings.HasPrefix(stderr, "runlet: "), "%q: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, "%q", tc.args)
	}
}

func TestHelpExitsZero(t *testing.T) {
	code, out, stderr := runCLI(t, "", "-h")
	assert.Equal(t, 0, code)
	assert.Empty(t, stderr)
	assert.Contains(t, out, "usage: runlet [flags] run PIPELINE [FILE...]")
	assert.Contains(t, out, "-aliases FILE")
}

func TestRuntimeErrorExitsOne(t *testing.T) {
	code, out, stderr := runCLI(t, "{\"a\":1}\nnot json\n", "run", "lines | json | count")
	assert.Equal(t, 1, code)
	assert.Empty(t, out, "a failed run writes no result")
	assert.Contains(t, stderr, `runlet: command: frame main: `)
	assert.Contains(t, stderr, `json: field line "not json"`)

	code, _, stderr = runCLI(t, "", "-timeout", "1ns", "run", "lines | count")
	if code != 0 { // the run may end before the timer fires; if not, it is a failure
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "timeout")
	}
}

func TestAliasesFlagsAndInputs(t *testing.T) {
	dir := t.TempDir()
	aliases := filepath.Join(dir, "a")
	require.NoError(t, os.WriteFile(aliases, []byte("# words, counted\nwc = \"split-words | count-by word\"\n  top2 = \"wc | top 2\" # not a comment: refused below\n"), 0o600))
	code, _, stderr := runCLI(t, "", "-aliases", aliases, "commands")
	assert.Equal(t, 2, code, "text after the quoted pipeline is refused")
	assert.Contains(t, stderr, aliases+":3:")

	require.NoError(t, os.WriteFile(aliases, []byte("# words, counted\nwc = \"split-words | count-by word\"\n  top2 = \"wc | top 2\"\n"), 0o600))
	code, out, stderr := runCLI(t, "", "-aliases", aliases, "commands")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "top2  ")
	assert.Contains(t, out, "alias: wc | top 2\n")
	assert.Contains(t, out, "split-words [FIELD]")

	f1, f2 := filepath.Join(dir, "f1"), filepath.Join(dir, "f2")
	require.NoError(t, os.WriteFile(f1, []byte("b a b\n"), 0o600))
	require.NoError(t, os.WriteFile(f2, []byte("c b\n"), 0o600))
	result := filepath.Join(dir, "out")
	code, out, stderr = runCLI(t, "ignored\n", "-aliases", aliases, "-o", result, "run", "-stats", "-template", "{{.word}}={{.count}}", "lines | top2", f1, f2)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, out)
	b, err := os.ReadFile(result)
	require.NoError(t, err)
	assert.Equal(t, "b=3\na=1\n", string(b))
	assert.Contains(t, stderr, "main ")
	assert.Contains(t, stderr, "top2")

	code, out, stderr = runCLI(t, "x y\nz\n", "-describe", "run", "lines | split-words | count")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "{\"count\":3}\n", out)
	var state map[string]any
	require.NoError(t, json.Unmarshal([]byte(stderr), &state), stderr)
	assert.NotEmpty(t, state)
}
