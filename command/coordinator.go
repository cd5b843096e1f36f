package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/template"
)

// Coordinator runs a pipeline and then post-processes its result: it
// collects what comes out of the last command, renders it (through
// Template, or one JSON line a value) and writes it to Redirect (a file it
// creates) or to Out. Rendering happens after the run, as in the design it
// follows: the executor returns values, the coordinator presents them, so a
// failed run writes nothing. Memory: the whole result is held until the
// run ends; a pipeline with a large result should end in a command that
// writes it.
//
// A Coordinator is a plain struct: set the fields, then call Run. Run may
// be called from several goroutines at once when Out is safe for that.
type Coordinator struct {
	Executor *Executor
	// Template, when set, is executed once for each value, with the value
	// as dot (a Record's fields: {{.path}}).
	Template *template.Template
	// Redirect, when set, names the file the result is written to (created
	// or truncated); else Out.
	Redirect string
	// Out receives the result when Redirect is empty; default os.Stdout.
	Out io.Writer
}

// Run runs text through the executor, renders the result and writes it.
// It returns the frames' stats as of the end (also on error) and the
// run's error ([Executor.Start]'s or [Run.Wait]'s), or the error of
// rendering or writing.
func (c *Coordinator) Run(ctx context.Context, text string) (FrameStats, error) {
	var result []any
	run, err := c.Executor.Start(ctx, text, func(v any) error {
		result = append(result, v)
		return nil
	})
	if err != nil {
		return FrameStats{}, err
	}
	err = run.Wait()
	stats := run.Snapshot()
	if err != nil {
		return stats, err
	}
	return stats, c.write(result)
}

func (c *Coordinator) write(result []any) (err error) {
	w := c.Out
	if w == nil {
		w = os.Stdout
	}
	if c.Redirect != "" {
		f, err := os.Create(c.Redirect)
		if err != nil {
			return fmt.Errorf("command: redirect: %w", err)
		}
		defer func() { err = errors.Join(err, f.Close()) }()
		w = f
	}
	enc := json.NewEncoder(w)
	for _, v := range result {
		if c.Template != nil {
			err = c.Template.Execute(w, v)
		} else {
			err = enc.Encode(v)
		}
		if err != nil {
			return fmt.Errorf("command: render: %w", err)
		}
	}
	return nil
}
