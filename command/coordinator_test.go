package command

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"text/template"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCoordinatorTemplateAndRedirect(t *testing.T) {
	reg := testRegistry(t)
	require.NoError(t, reg.Alias("errors", "where status >= 500 | count-by path"))
	x := NewExecutor(reg, Config{Open: memFiles(map[string]string{"log": "status=500 path=/a\nstatus=200 path=/a\nstatus=503 path=/b\nstatus=502 path=/a\n"})})

	var buf bytes.Buffer
	c := &Coordinator{Executor: x, Out: &buf, Template: template.Must(template.New("t").Parse("{{.path}} {{.count}}\n"))}
	stats, err := c.Run(context.Background(), "lines log | kv | errors | top 5")
	require.NoError(t, err)
	assert.Equal(t, "/a 2\n/b 1\n", buf.String())
	assert.EqualValues(t, 2, stats.Out)
	assert.EqualValues(t, 4, stats.Frames[0].In)

	// No template: JSON lines, to a file.
	path := filepath.Join(t.TempDir(), "out.json")
	c = &Coordinator{Executor: x, Redirect: path}
	_, err = c.Run(context.Background(), "lines log | kv | errors | head 1")
	require.NoError(t, err)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, `{"count":2,"path":"/a"}`+"\n", string(got))

	// A failed run writes nothing.
	buf.Reset()
	c = &Coordinator{Executor: x, Out: &buf}
	_, err = c.Run(context.Background(), "lines log | nope")
	require.ErrorIs(t, err, ErrPipeline)
	assert.Empty(t, buf.String())
}

// FuzzPipeline: no text makes Parse or Check panic; what they refuse is an
// ErrPipeline.
func FuzzPipeline(f *testing.F) {
	for _, s := range []string{"lines f | where a >= 5 | count-by a | top 3", "lines 'x | head -parallel 2 1", `map a "\"`, "| |", "head -timeout 1s 2"} {
		f.Add(s)
	}
	reg := testRegistry(f)
	require.NoError(f, reg.Alias("e", "where status >= 500 | count-by path"))
	x := NewExecutor(reg, Config{})
	f.Fuzz(func(t *testing.T, text string) {
		if _, err := Parse(text); err != nil {
			require.ErrorIs(t, err, ErrPipeline)
		}
		if err := x.Check(text); err != nil {
			require.ErrorIs(t, err, ErrPipeline)
		}
	})
}
