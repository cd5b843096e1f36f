package command

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runlet/runlet/runlet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const combinedLog = `10.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://x/" "Mozilla/4.08"
10.0.0.2 - - [10/Oct/2000:13:55:37 -0700] "POST /b HTTP/1.1" 500 - "-" "curl/8"
10.0.0.1 - - [10/Oct/2000:13:55:38 -0700] "GET /a.gif HTTP/1.0" 404 12
not an access log line
`

// textExec is an executor over the built-ins with in-memory files.
func textExec(t *testing.T, files map[string]string) *Executor {
	t.Helper()
	return NewExecutor(Builtins(), Config{Open: memFiles(files)})
}

func records(t *testing.T, out []any) []string {
	t.Helper()
	var s []string
	for _, v := range out {
		r, ok := v.(Record)
		require.True(t, ok, "%T", v)
		s = append(s, r.String())
	}
	return s
}

func TestBuiltinTextCommands(t *testing.T) {
	files := map[string]string{
		"log":   combinedLog,
		"j":     "{\"a\": 1, \"b\": \"x\"}\n\n{\"a\": 2.5}\n{\"a\": 10}\n",
		"csv":   "x,y,z\n1,,3\n",
		"words": "The cat; the DOG.\n  \ncat's 2 cats\n",
	}
	for _, tc := range []struct{ text, want string }{
		{"lines log | fields | head 1", `{"agent":"Mozilla/4.08","bytes":"2326","host":"10.0.0.1","ident":"-","method":"GET","path":"/a.gif","proto":"HTTP/1.0","referer":"http://x/","request":"GET /a.gif HTTP/1.0","status":"200","time":"10/Oct/2000:13:55:36 -0700","user":"frank"}`},
		// common: the same fields, referer and agent empty; a line that does not match goes on as it was.
		{"lines log | fields common | where status >= 404 | map line '{{.status}} {{.path}} {{.agent}}.' | fields '/^(\\d+) (\\S+)/' code | count-by code", `{"code":"404","count":1} {"code":"500","count":1}`},
		{"lines log | fields common | count-by line", `{"count":3,"line":""} {"count":1,"line":"not an access log line"}`},
		{"lines log | fields ws ip | count-by ip", `{"count":1,"ip":"10.0.0.2"} {"count":2,"ip":"10.0.0.1"} {"count":1,"ip":"not"}`},
		{"lines csv | fields , a | head 2", `{"a":"x","f2":"y","f3":"z"} {"a":"1","f2":"","f3":"3"}`},
		{"lines csv | fields '/(?P<first>\\d),(.*)/' | count-by first", `{"count":1,"first":""} {"count":1,"first":"1"}`},
		{"lines j | json | where a > 2 | count", `{"count":2}`},
		{"lines j | json | top 1 a", `{"a":10}`},
		{"lines log | grep 'HTTP/1\\.0' | count", `{"count":2}`},
		{"lines log | fields | grep '^5' status | count", `{"count":1}`},
		{"lines words | split-words | count-by word", `{"count":1,"word":"2"} {"count":2,"word":"cat"} {"count":1,"word":"cats"} {"count":1,"word":"dog"} {"count":1,"word":"s"} {"count":2,"word":"the"}`},
		{"lines words | split-words | unique word | count", `{"count":6}`},
		{"lines words | split-words | unique word 1 | count", `{"count":8}`}, // remembers one value: no two words in a row are equal, so all 8 pass
		{"lines csv | count", `{"count":2}`},
		{"lines csv | grep nothing | count", `{"count":0}`},
	} {
		out, _, err := runText(t, textExec(t, files), tc.text)
		require.NoError(t, err, tc.text)
		got := strings.Join(records(t, out), " ")
		if strings.Contains(tc.text, "fields ws ip") { // count-by sorts by value
			assert.Equal(t, `{"count":2,"ip":"10.0.0.1"} {"count":1,"ip":"10.0.0.2"} {"count":1,"ip":"not"}`, got, tc.text)
			continue
		}
		assert.Equal(t, tc.want, got, tc.text)
	}
}

func TestBuiltinTextErrors(t *testing.T) {
	x := textExec(t, map[string]string{"bad": "{\"a\":1}\n[1,2]\n", "two": "{} {}\n"})
	for _, tc := range []struct{ text, want string }{
		{"lines bad | grep '('", "column 13: grep: argument PATTERN: error parsing regexp"},
		{"lines bad | fields '/(/'", "column 13: fields: argument SPLIT: error parsing regexp"},
		{"lines bad | unique a 0", "column 13: unique: argument N: must be at least 1"},
	} {
		_, _, err := runText(t, x, tc.text)
		require.ErrorIs(t, err, ErrPipeline, tc.text)
		assert.Contains(t, err.Error(), tc.want)
	}
	for _, text := range []string{"lines bad | json", "lines two | json"} {
		_, _, err := runText(t, x, text)
		require.Error(t, err)
		assert.NotErrorIs(t, err, ErrPipeline)
		var ce *runlet.ChipError
		require.ErrorAs(t, err, &ce, text)
		assert.Contains(t, err.Error(), "json: field line")
	}
}

func TestBuiltinWriteGzipGunzip(t *testing.T) {
	dir := t.TempDir()
	in, plain, packed := filepath.Join(dir, "in"), filepath.Join(dir, "out.txt"), filepath.Join(dir, "out.gz")
	require.NoError(t, os.WriteFile(in, []byte("b 1\na 2\nb 3\n"), 0o600))
	x := NewExecutor(Builtins(), Config{})
	out, _, err := runText(t, x, "lines "+in+" | fields ws k | write "+plain)
	require.NoError(t, err)
	assert.Equal(t, []string{`{"file":"` + plain + `","records":3}`}, records(t, out))
	b, err := os.ReadFile(plain)
	require.NoError(t, err)
	assert.Equal(t, "{\"f2\":\"1\",\"k\":\"b\"}\n{\"f2\":\"2\",\"k\":\"a\"}\n{\"f2\":\"3\",\"k\":\"b\"}\n", string(b))

	out, _, err = runText(t, x, "lines "+in+" | gzip "+packed+" line")
	require.NoError(t, err)
	assert.Equal(t, []string{`{"file":"` + packed + `","records":3}`}, records(t, out))
	zr, err := gzip.NewReader(mustOpen(t, packed))
	require.NoError(t, err)
	b, err = io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, "b 1\na 2\nb 3\n", string(b))

	out, _, err = runText(t, x, "gunzip "+packed+" | fields ws k | count-by k")
	require.NoError(t, err)
	assert.Equal(t, []string{`{"count":1,"k":"a"}`, `{"count":2,"k":"b"}`}, records(t, out))

	// stdin: gunzip - reads Config.Stdin.
	gz, err := os.ReadFile(packed)
	require.NoError(t, err)
	x = NewExecutor(Builtins(), Config{Stdin: bytes.NewReader(gz)})
	out, _, err = runText(t, x, "gunzip | count")
	require.NoError(t, err)
	assert.Equal(t, []string{`{"count":3}`}, records(t, out))
}

func mustOpen(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(name)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestBuiltinGunzipNotGzipIsARunError(t *testing.T) {
	_, _, err := runText(t, textExec(t, map[string]string{"f": "plain text\n"}), "gunzip f | count")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrPipeline)
	assert.Contains(t, err.Error(), "gunzip: gzip: invalid header")
}
