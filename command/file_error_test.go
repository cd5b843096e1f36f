package command

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A file that does not open, or cannot be created, is a failure of the
// run (a *FrameError naming main and the invocation), not a mistake in the
// pipeline; the files opened before it are closed; a bad argument next to
// it is still a pipeline error.
func TestFileErrorsAreRunFailures(t *testing.T) {
	dir := t.TempDir()
	x := NewExecutor(testRegistry(t), Config{Open: memFiles(map[string]string{"f": "a\n"})})
	for _, tc := range []struct{ text, want string }{
		{"lines nofile | head 1", "command: frame main: lines (column 1): open nofile: no such file"},
		{"gunzip nofile", "command: frame main: gunzip (column 1): open nofile"},
		{"lines f | write " + filepath.Join(dir, "no/such/dir/f"), "write (column 11): open " + filepath.Join(dir, "no/such/dir/f")},
		{"lines f | gzip " + filepath.Join(dir, "no/such/dir/f"), "gzip (column 11): open "},
	} {
		run, err := x.Start(context.Background(), tc.text, func(any) error { return nil })
		require.Error(t, err, tc.text)
		assert.Nil(t, run)
		assert.NotErrorIs(t, err, ErrPipeline, tc.text)
		var fe *FrameError
		require.ErrorAs(t, err, &fe, tc.text)
		assert.Equal(t, []string{"main"}, fe.Stack)
		assert.Contains(t, err.Error(), tc.want)
		assert.NoError(t, x.Check(tc.text), "Check runs no constructor: %s", tc.text)
	}
	// A real file system's error keeps its *fs.PathError for errors.As.
	xo := NewExecutor(testRegistry(t), Config{})
	_, err := xo.Start(context.Background(), "lines "+filepath.Join(dir, "missing"), func(any) error { return nil })
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.NotErrorIs(t, err, ErrPipeline)

	// A bad argument stays a mistake in the pipeline.
	_, err = x.Start(context.Background(), "lines f | grep '('", func(any) error { return nil })
	require.ErrorIs(t, err, ErrPipeline)
}

// A Go command whose constructor opens a file itself (an *fs.PathError) is
// treated the same way; any other constructor error is the pipeline's.
func TestConstructorPathErrorIsRunFailure(t *testing.T) {
	r := Builtins()
	require.NoError(t, RegisterMap(r, Spec{Name: "lookup", Args: []Arg{{Name: "TABLE"}}},
		func(a Args) (MapFunc[Record, Record], error) {
			f, err := os.Open(a.String("TABLE"))
			if err != nil {
				return nil, err
			}
			f.Close()
			return func(_ context.Context, v Record) (Record, bool, error) { return v, true, nil }, nil
		}))
	x := NewExecutor(r, Config{Open: memFiles(map[string]string{"f": "a\n"})})
	_, err := x.Start(context.Background(), "lines f | lookup "+filepath.Join(t.TempDir(), "none"), func(any) error { return nil })
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrPipeline)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "lookup (column 11): open ")
}

// In a nested frame, built when its first record comes, a file that cannot
// be created fails the run the same way, naming the frames.
func TestFileErrorInNestedFrame(t *testing.T) {
	r := testRegistry(t)
	bad := filepath.Join(t.TempDir(), "no/such/dir/out")
	require.NoError(t, RegisterFlow(r, Spec{Name: "save"}, func(Args) (string, error) { return "write " + bad, nil }))
	x := NewExecutor(r, Config{Open: memFiles(map[string]string{"f": "a\n"})})
	_, _, err := runText(t, x, "lines f | save | count")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrPipeline)
	assert.ErrorIs(t, err, os.ErrNotExist)
	var fe *FrameError
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, err.Error(), "main → save")
	assert.Contains(t, err.Error(), "write (column 1): open "+bad)
}
