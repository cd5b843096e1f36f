package command

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrPipeline is matched (errors.Is) by every error about the text of a
// pipeline or an alias: a syntax error, an unknown command, a missing or
// mistyped argument, commands whose value types do not meet. They are
// [*PipelineError]s. A command line maps them to exit code 2.
var ErrPipeline = errors.New("command: bad pipeline")

// PipelineError is an error in the text of a pipeline: Source says which
// text ("pipeline", or `alias "errors"` with the frames that led to it), Col
// the column (1-based, in bytes) where the problem starts, Msg what was
// expected. It matches [ErrPipeline].
type PipelineError struct {
	Source string
	Text   string
	Col    int
	Msg    string
}

func (e *PipelineError) Error() string {
	return fmt.Sprintf("command: %s, column %d: %s", e.Source, e.Col, e.Msg)
}

// Is reports whether target is ErrPipeline.
func (e *PipelineError) Is(target error) bool { return target == ErrPipeline }

// Pipeline is a parsed pipeline: its text and its invocations, in order.
// A Pipeline is a plain value that never changes once parsed; it may be
// shared between goroutines.
type Pipeline struct {
	Source      string // "pipeline", or `alias "name"`
	Text        string
	Invocations []Invocation
}

// Invocation is one command of a pipeline as written: its name, the
// executor's options given after it, and its arguments.
type Invocation struct {
	Name     string
	Col      int           // column of the name
	End      int           // column just after the invocation's last token
	Parallel int           // -parallel N: run N copies (stateless commands only); 0: not given
	Ordered  bool          // -ordered: with -parallel, keep input order
	Timeout  time.Duration // -timeout D: the invocation runs in a frame with this deadline; 0: none
	Args     []Token
}

// Token is an argument as written: its text (quotes removed) and column.
type Token struct {
	Text string
	Col  int
}

// Parse parses text into a pipeline: invocations separated by "|", each a
// command name, then options (-parallel N, -ordered, -timeout D), then
// arguments. Words are separated by spaces; a word in single quotes is
// taken as is, one in double quotes may hold \" and \\. A "|" inside quotes
// is text. Parse knows no command: [Registry] checks names and arguments.
// An error is a [*PipelineError] naming the column.
func Parse(text string) (*Pipeline, error) { return parse("pipeline", text) }

type rawToken struct {
	Token
	pipe bool // an unquoted "|"
}

func parse(source, text string) (*Pipeline, error) {
	toks, err := lex(text)
	if err != nil {
		err.(*PipelineError).Source = source
		return nil, err
	}
	p := &Pipeline{Source: source, Text: text}
	bad := func(col int, format string, a ...any) error {
		return &PipelineError{Source: source, Text: text, Col: col, Msg: fmt.Sprintf(format, a...)}
	}
	for i := 0; ; {
		at := len(text) + 1
		if i < len(toks) {
			at = toks[i].Col
		}
		if i == len(toks) || toks[i].pipe {
			return nil, bad(at, "expected a command")
		}
		inv := Invocation{Name: toks[i].Text, Col: toks[i].Col}
		i++
		for ; i < len(toks) && !toks[i].pipe; i++ {
			took, isOption, err := option(&inv, toks, i, bad)
			if err != nil {
				return nil, err
			}
			if !isOption {
				inv.Args = append(inv.Args, toks[i].Token)
			}
			i += took
		}
		last := toks[i-1]
		inv.End = last.Col + len(last.Text)
		p.Invocations = append(p.Invocations, inv)
		if i == len(toks) {
			return p, nil
		}
		i++ // the "|"
	}
}

// option reads an executor option at toks[i] into inv, before any argument:
// isOption reports whether it was one, took how many tokens it took past the
// option's name (its value).
func option(inv *Invocation, toks []rawToken, i int, bad func(int, string, ...any) error) (took int, isOption bool, err error) {
	t := toks[i]
	if len(inv.Args) > 0 || !strings.HasPrefix(t.Text, "-") {
		return 0, false, nil
	}
	value := func() (Token, error) {
		if i+1 == len(toks) || toks[i+1].pipe {
			return Token{}, bad(t.Col+len(t.Text), "%s: expected a value", t.Text)
		}
		return toks[i+1].Token, nil
	}
	switch t.Text {
	case "-ordered":
		inv.Ordered = true
		return 0, true, nil
	case "-parallel":
		v, err := value()
		if err != nil {
			return 0, true, err
		}
		n, perr := strconv.Atoi(v.Text)
		if perr != nil || n < 1 {
			return 0, true, bad(v.Col, "-parallel: expected a positive integer, got %q", v.Text)
		}
		inv.Parallel = n
		return 1, true, nil
	case "-timeout":
		v, err := value()
		if err != nil {
			return 0, true, err
		}
		d, perr := time.ParseDuration(v.Text)
		if perr != nil || d <= 0 {
			return 0, true, bad(v.Col, "-timeout: expected a positive duration such as 2s, got %q", v.Text)
		}
		inv.Timeout = d
		return 1, true, nil
	}
	return 0, false, nil // "-5", "-x": an argument
}

// lex splits text into words and "|" tokens.
func lex(text string) ([]rawToken, error) {
	var toks []rawToken
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '|':
			toks = append(toks, rawToken{Token{"|", i + 1}, true})
			i++
		default:
			word, n, err := lexWord(text, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, rawToken{Token: Token{word, i + 1}})
			i += n
		}
	}
	return toks, nil
}

// lexWord reads the word at text[at:]: unquoted runs and quoted parts
// joined, up to a space or an unquoted "|". It returns the word and the
// bytes it took.
func lexWord(text string, at int) (string, int, error) {
	var b strings.Builder
	i := at
	for i < len(text) {
		c := text[i]
		switch c {
		case ' ', '\t', '\n', '\r', '|':
			return b.String(), i - at, nil
		case '\'', '"':
			j := i + 1
			for ; j < len(text) && text[j] != c; j++ {
				if c == '"' && text[j] == '\\' && j+1 < len(text) && (text[j+1] == '"' || text[j+1] == '\\') {
					j++
				}
				b.WriteByte(text[j])
			}
			if j == len(text) {
				return "", 0, &PipelineError{Text: text, Col: i + 1,
					Msg: fmt.Sprintf("unterminated quote: expected a closing %c for the one opened here", c)}
			}
			i = j + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), i - at, nil
}
