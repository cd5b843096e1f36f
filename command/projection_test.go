package command

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The executor tells fields which of its fields the rest of the pipeline
// reads only when it knows: through commands that say what they read, to
// one that does not pass its input on.
func TestProjectFields(t *testing.T) {
	x := NewExecutor(testRegistry(t), Config{})
	require.NoError(t, x.reg.Alias("hosts", "count-by host"))
	for _, tc := range []struct {
		text string
		only map[string]bool // of step 2 (fields); nil: every field
	}{
		{"lines | fields ws host | count-by host", map[string]bool{"host": true}},
		{"lines | fields ws host | where f9 >= 500 | grep x | head 3 | count-by host", map[string]bool{"host": true, "f9": true, "line": true}},
		{"lines | fields ws | top 2 f3 | unique f4 | count", map[string]bool{"f3": true, "f4": true}},
		{"lines | fields ws | count", map[string]bool{}},
		{"lines | fields ws host", nil},                                    // the end reads every field
		{"lines | fields ws host | head 3", nil},                           // head passes it to the end
		{"lines | fields ws host | map x '{{.f2}}' | count-by x", nil},     // a template may read any
		{"lines | fields ws host | hosts", nil},                            // an alias is a frame of its own
		{"lines | fields ws host | kv | count-by host", nil},               // a Go command may read any
		{"lines | fields ws host | where -timeout 1s a == b | count", nil}, // so may a frame
		{"lines | fields ws host | write /dev/null | count", nil},
	} {
		p, err := Parse(tc.text)
		require.NoError(t, err)
		steps, err := x.plan(p, []string{"main"}, true)
		require.NoError(t, err, tc.text)
		assert.Equal(t, tc.only, steps[1].args.only, tc.text)
	}
}

// What comes out of a pipeline is the same whether fields builds only the
// fields read after it or all of them (a map in between, which may read
// any, turns the projection off).
func TestProjectionKeepsOutput(t *testing.T) {
	log := "10.0.0.1 - - a 500 x\n10.0.0.2 - - b 404 y z\n\n10.0.0.1 - - c 200\n 10.0.0.3\tq  r s 500\n"
	csv := "a,b,c\n1,,3\nx\n"
	x := textExec(t, map[string]string{"log": log, "csv": csv})
	for _, tail := range []string{
		"fields ws host | count-by host",
		"fields ws host | where f5 >= 404 | count-by host",
		"fields ws host _ _ _ code | grep 5 code | count-by host",
		"fields ws | top 2 f1 | unique f5 | count-by f4",
		"fields ws | count",
		"fields ws a b c d e f g h i j k l m n o p q | count-by f40",
		"fields , x y | count-by y",
		"fields '/^(\\S+) \\S+ \\S+ (\\S+)/' h w | count-by w",
		"fields common | count-by line",
	} {
		src := "lines log"
		if tail[:8] == "fields ," {
			src = "lines csv"
		}
		fast, _, err := runText(t, x, src+" | "+tail)
		require.NoError(t, err, tail)
		full, _, err := runText(t, x, src+" | "+tail[:indexPipe(tail)]+" | map zz '' | "+tail[indexPipe(tail)+3:])
		require.NoError(t, err, tail)
		assert.Equal(t, full, fast, tail)
		assert.NotEmpty(t, fast, tail)
	}
}

func indexPipe(s string) int {
	for i := range s {
		if s[i] == '|' {
			return i - 1
		}
	}
	return len(s)
}

// fieldsLimit splits no further than the last field read, and everything
// when a field read lies past the names it made.
func TestFieldsLimit(t *testing.T) {
	names := fieldNames(nil, []string{"host"})
	assert.Equal(t, 0, fieldsLimit(names, nil))
	assert.Equal(t, 1, fieldsLimit(names, map[string]bool{"host": true}))
	assert.Equal(t, 9, fieldsLimit(names, map[string]bool{"host": true, "f9": true}))
	assert.Equal(t, 0, fieldsLimit(names, map[string]bool{"host": true, "f40": true}))
	assert.Equal(t, 0, fieldsLimit(names, map[string]bool{}))
}
