package pool_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/runlet/runlet/pool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goTool returns the go command that runs this test, or skips the test.
func goTool(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds programs with the go command")
	}
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	return p
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestTypeMismatchDoesNotCompile builds small programs that wire a pend of
// one element type into a chip of another and expects the compiler to
// refuse them at the line of the mistake; the control program, the same
// wiring with matching types, must build.
func TestTypeMismatchDoesNotCompile(t *testing.T) {
	goCmd := goTool(t)
	build := func(dir string) (string, error) {
		cmd := exec.Command(goCmd, "build", "-o", os.DevNull, "./testdata/mismatch/"+dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	out, err := build("wellformed")
	require.NoError(t, err, "the control program must build:\n%s", out)
	for _, dir := range []string{"mapout", "collect"} {
		t.Run(dir, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", "mismatch", dir, "main.go"))
			require.NoError(t, err)
			line := 1 + bytes.Count(src[:bytes.Index(src, []byte("// want: mismatch"))], []byte("\n"))
			out, err := build(dir)
			require.Error(t, err, "a type mismatch compiled")
			assert.Contains(t, out, filepath.Join(dir, "main.go")+":"+strconv.Itoa(line)+":", "the error is not at the mistake's line")
			assert.True(t, strings.Contains(out, "does not match") || strings.Contains(out, "cannot use"), "not a type error:\n%s", out)
		})
	}
}

// TestPendDeclaration checks what a declaration reports before any runlet
// names it, and that Size chains.
func TestPendDeclaration(t *testing.T) {
	p := pool.New("default", 8)
	lines := pool.NewPend[string](p, "lines").Size(2, 16)
	assert.Equal(t, "lines", lines.Key())
	assert.Same(t, p, lines.Pool())
	assert.Equal(t, "lines@default", lines.String())

	unnamed := pool.NewPend[int](p, "")
	assert.Equal(t, "", unnamed.Key())
	assert.Equal(t, "?@default", unnamed.String())

	var zero pool.Pend[int]
	assert.Nil(t, zero.Pool())
	assert.Equal(t, "?@?", zero.String())
}
