package command

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	p, err := Parse(`lines access.log | where -parallel 4 -ordered path == "/a b|c" | map x 'it''s' | head -timeout 2s 10`)
	require.NoError(t, err)
	require.Len(t, p.Invocations, 4)
	w := p.Invocations[1]
	assert.Equal(t, "where", w.Name)
	assert.Equal(t, 20, w.Col)
	assert.Equal(t, 4, w.Parallel)
	assert.True(t, w.Ordered)
	assert.Equal(t, []Token{{"path", 47}, {"==", 52}, {"/a b|c", 55}}, w.Args)
	assert.Equal(t, []Token{{"x", 70}, {"its", 72}}, p.Invocations[2].Args)
	assert.Equal(t, 2*time.Second, p.Invocations[3].Timeout)
	assert.Equal(t, "10", p.Invocations[3].Args[0].Text)

	p, err = Parse(`where n > -5 | map s "a \"q\" \\"`)
	require.NoError(t, err)
	assert.Equal(t, "-5", p.Invocations[0].Args[2].Text, "an option comes before arguments only")
	assert.Equal(t, `a "q" \`, p.Invocations[1].Args[1].Text)
}

// TestBadPipelines: each mistake is a *PipelineError (errors.Is
// ErrPipeline: what a command line maps to exit code 2) naming the column
// and what was expected, from Check and from Start alike.
func TestBadPipelines(t *testing.T) {
	reg := testRegistry(t)
	require.NoError(t, Register(reg, Spec{Name: "len"}, func(s Stage[Record, int]) ([]chip.Chip, error) {
		return []chip.Chip{chip.Map(s.Key, s.Prev, s.Next, func(r Record) (int, error) { return len(r), nil })}, nil
	}))
	require.NoError(t, reg.Alias("errors", "where status >= 500 | cuont-by path"))
	x := NewExecutor(reg, Config{Open: memFiles(map[string]string{"f": "a\n"})})
	for _, tc := range []struct {
		text string
		col  int
		msg  string
	}{
		{"lines f | wehre status >= 500", 11, `unknown command "wehre" (did you mean "where"?)`},
		{"lines f | frobnicate", 11, `unknown command "frobnicate"`},
		{"lines f | where status >=", 26, "where: missing argument VALUE (usage: where FIELD OP VALUE)"},
		{"lines f | head", 15, "head: missing argument N"},
		{"lines f | head ten", 16, `head: argument N: expected an integer >= 0, got "ten"`},
		{"lines f | head 1 2", 18, `head: unexpected argument "2"`},
		{"lines f | len | where x > 1", 17, "type error: where takes command.Record, but len before it gives int"},
		{"lines f | where status =~ 5", 11, `where: argument OP: expected one of == != < <= > >= ~, got "=~"`},
		{"lines f | where path ~ '(' ", 11, "where: argument VALUE: error parsing regexp"},
		{"lines f | map x '{{.a'", 11, "map: argument TEMPLATE"},
		{"lines f | where path == 'abc", 25, "unterminated quote: expected a closing ' for the one opened here"},
		{`lines f | map x "abc`, 17, `unterminated quote: expected a closing "`},
		{"lines f | | head 1", 11, "expected a command"},
		{"lines f |", 10, "expected a command"},
		{"", 1, "expected a command"},
		{"head 1", 1, "head takes command.Record: a pipeline starts with a source, such as lines"},
		{"lines f | lines f", 11, "lines is a source: it can only come first"},
		{"lines f | head -parallel 2 3", 11, "head: -parallel needs a stateless command"},
		{"lines f | where -parallel 0 a == b", 27, `-parallel: expected a positive integer, got "0"`},
		{"lines f | where -timeout soon a == b", 26, `-timeout: expected a positive duration such as 2s, got "soon"`},
		{"lines f | where -ordered a == b", 11, "-ordered goes with -parallel N"},
		{"lines f | len -timeout 1s", 11, "len: -timeout runs the command in a frame of its own"},
		{"lines f | errors", 23, `unknown command "cuont-by" (did you mean "count-by"?)`},
	} {
		t.Run(tc.text, func(t *testing.T) {
			check := x.Check(tc.text)
			_, err := x.Start(context.Background(), tc.text, func(any) error { return nil })
			require.ErrorIs(t, err, ErrPipeline)
			var pe *PipelineError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.col, pe.Col, err.Error())
			assert.Contains(t, pe.Msg, tc.msg)
			assert.Contains(t, err.Error(), "column")
			if check != nil {
				assert.Equal(t, err, check)
			} else { // Check runs no constructor: they find these
				assert.Contains(t, []string{"where", "map"}, pe.Msg[:strings.Index(pe.Msg, ":")])
			}
		})
	}
	// An error in an alias's text names the alias and the frames.
	err := x.Check("lines f | errors")
	assert.Contains(t, err.Error(), `command: alias "errors" (in main → errors), column 23`)
	// A mistake in an alias's text is found at definition.
	err = reg.Alias("bad", "where a == 'b")
	require.ErrorIs(t, err, ErrPipeline)
	assert.Contains(t, err.Error(), `alias "bad", column 12: unterminated quote`)
	assert.False(t, errors.Is(err, ErrCycle))
}
