package command

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// accessLog returns n lines "status=S path=P bytes=B", deterministic.
func accessLog(n int) string {
	var b strings.Builder
	statuses := []int{200, 200, 200, 404, 500, 503, 200, 301}
	for i := range n {
		fmt.Fprintf(&b, "status=%d path=/p%d bytes=%d\n", statuses[(i*7)%len(statuses)], (i*13)%11, i%977)
	}
	return b.String()
}

// testRegistry is the built-ins plus kv (split "k=v" words of the line
// into fields), with files served from memory.
func testRegistry(t testing.TB) *Registry {
	t.Helper()
	r := Builtins()
	require.NoError(t, RegisterMap(r, Spec{Name: "kv", Summary: "split k=v words of line into fields"},
		func(Args) (MapFunc[Record, Record], error) {
			return func(_ context.Context, v Record) (Record, bool, error) {
				out := Record{}
				for w := range strings.FieldsSeq(v.Text("line")) {
					k, val, _ := strings.Cut(w, "=")
					out[k] = val
				}
				return out, true, nil
			}, nil
		}))
	return r
}

func memFiles(files map[string]string) func(string) (io.ReadCloser, error) {
	return func(name string) (io.ReadCloser, error) {
		s, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("open %s: no such file", name)
		}
		return io.NopCloser(strings.NewReader(s)), nil
	}
}

// runText runs text to the end and returns what came out, the stats, and
// the error of Start or Wait.
func runText(t testing.TB, x *Executor, text string) ([]any, FrameStats, error) {
	t.Helper()
	var out []any
	run, err := x.Start(context.Background(), text, func(v any) error { out = append(out, v); return nil })
	if err != nil {
		return nil, FrameStats{}, err
	}
	err = run.Wait()
	return out, run.Snapshot(), err
}
