package engine

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// PanicError is a panic inside a user function (a process function, a state
// factory, a hook, a view's clone or key function, a reader or writer),
// recovered and turned into an error. The runlet wraps it with the chip or
// view it came from; errors.As finds it. Its text is one line, "panic: " and
// the value; %+v adds the stack. A PanicError is not modified after it is
// made, so it may be read from any goroutine; the zero value is a panic with
// a nil value and no stack.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack
}

// Error returns "panic: " and the panic value, on one line.
func (e *PanicError) Error() string { return "panic: " + OneLine(fmt.Sprint(e.Value)) }

// Format prints the error's text; with %+v, the stack follows it.
func (e *PanicError) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		fmt.Fprintf(f, "%s\n\n%s", e.Error(), e.Stack)
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Error())
	default:
		io.WriteString(f, e.Error())
	}
}

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// NewPanicError returns the PanicError for a recovered value v, with the
// current goroutine's stack.
func NewPanicError(v any) *PanicError { return &PanicError{Value: v, Stack: debug.Stack()} }

func panicError(v any) error { return &PanicError{Value: v, Stack: debug.Stack()} }

// OneLine replaces line breaks in s with spaces, so that an error's text
// stays one line.
func OneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}
