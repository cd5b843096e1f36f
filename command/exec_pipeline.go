package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Config holds an [Executor]'s settings; a zero field means its default.
type Config struct {
	// MaxDepth is how deep frames may nest below main (default 16): a frame
	// deeper than that fails the run with [ErrDepth].
	MaxDepth int
	// Timeout bounds a whole run (the main frame); 0: none.
	Timeout time.Duration
	// PoolSize is the size of each frame's own pool (default 1024 packs).
	PoolSize int
	// Stdin is what "-" (and a source with no file) reads; default os.Stdin.
	Stdin io.Reader
	// Open opens a file a source names; default os.Open.
	Open func(name string) (io.ReadCloser, error)
	// Stats turns on each frame's runlet statistics (runlet.Config.Stats),
	// so that FrameStats.Busy is known; off, Busy is 0. It costs about 10%
	// on cheap stages (see runlet's essay, "Statistics").
	Stats bool
}

func (c Config) withDefaults() Config {
	if c.MaxDepth <= 0 {
		c.MaxDepth = 16
	}
	if c.PoolSize <= 0 {
		c.PoolSize = 1024
	}
	if c.Stdin == nil {
		c.Stdin = os.Stdin
	}
	if c.Open == nil {
		c.Open = func(name string) (io.ReadCloser, error) { return os.Open(name) }
	}
	return c
}

// Executor is the pipeline executor: it checks a pipeline against its
// registry, builds the main frame (one runlet with a pool of its own) and
// runs it. Each alias, flow or -timeout invocation is a nested frame: a
// [runlet.SubRunlet] chip in its caller's runlet, whose sub-runlet, with a
// pool of its own, is built by the executor when the first Record reaches
// it. An Executor is safe for concurrent use; each [Executor.Start] is an
// independent run.
type Executor struct {
	reg *Registry
	cfg Config
}

// NewExecutor returns an executor of pipelines over reg's commands.
func NewExecutor(reg *Registry, cfg Config) *Executor {
	return &Executor{reg: reg, cfg: cfg.withDefaults()}
}

// step is a checked invocation: the command it names and its arguments.
type step struct {
	inv  Invocation
	cmd  *command
	args Args
}

// Check parses and checks text without running it: every command known,
// arguments as their specs say, neighbours' types equal, aliases checked
// the same way (as far as [Config.MaxDepth]). It runs no constructor, so
// what only a constructor can tell (a bad regular expression, a file that
// does not open) is found by Start, or for a nested frame when it starts.
// The error is a
// [*PipelineError] (errors.Is [ErrPipeline]) or, for aliases nested too
// deep, a [*FrameError] matching [ErrDepth].
func (x *Executor) Check(text string) error {
	p, err := Parse(text)
	if err != nil {
		return err
	}
	_, err = x.plan(p, []string{"main"}, true)
	return err
}

// plan checks p, run in the frame whose stack is given (top: the main
// frame, which starts with a source and ends anywhere; a nested frame takes
// and gives Records), and returns its steps.
func (x *Executor) plan(p *Pipeline, stack []string, top bool) ([]step, error) {
	steps := make([]step, 0, len(p.Invocations))
	for i, inv := range p.Invocations {
		bad := func(col int, format string, a ...any) error {
			src := p.Source
			if !top {
				src += " (in " + strings.Join(stack, " → ") + ")"
			}
			return &PipelineError{Source: src, Text: p.Text, Col: col, Msg: fmt.Sprintf(format, a...)}
		}
		c := x.reg.get(inv.Name)
		if c == nil {
			return nil, bad(inv.Col, "unknown command %q%s", inv.Name, didYouMean(inv.Name, x.reg.Names()))
		}
		args, err := checkArgs(c.spec, inv, bad)
		if err != nil {
			return nil, err
		}
		if err := checkOptions(c, inv, bad); err != nil {
			return nil, err
		}
		if err := checkTypes(steps, c, inv, i == len(p.Invocations)-1, top, bad); err != nil {
			return nil, err
		}
		if c.kind == kindAlias {
			if len(stack) > x.cfg.MaxDepth {
				return nil, &FrameError{Stack: append(stack, inv.Name), Err: ErrDepth}
			}
			if _, err := x.plan(c.alias, append(stack[:len(stack):len(stack)], inv.Name), false); err != nil {
				return nil, err
			}
		}
		steps = append(steps, step{inv: inv, cmd: c, args: args})
	}
	project(steps)
	return steps, nil
}

// checkTypes checks that c fits after steps: a source first in main only,
// In equal to the previous Out, Records at a nested frame's ends.
func checkTypes(steps []step, c *command, inv Invocation, last, top bool, bad func(int, string, ...any) error) error {
	tRecord := typeRecord
	switch {
	case len(steps) == 0 && top && c.in != nil:
		return bad(inv.Col, "%s takes %v: a pipeline starts with a source, such as lines", inv.Name, c.in)
	case len(steps) == 0 && !top && c.in != tRecord:
		return bad(inv.Col, "%s is a source: a nested pipeline starts with a command that takes command.Record", inv.Name)
	case len(steps) > 0 && c.in == nil:
		return bad(inv.Col, "%s is a source: it can only come first", inv.Name)
	case len(steps) > 0 && c.in != steps[len(steps)-1].cmd.out:
		prev := steps[len(steps)-1]
		return bad(inv.Col, "type error: %s takes %v, but %s before it gives %v", inv.Name, c.in, prev.inv.Name, prev.cmd.out)
	case last && !top && c.out != tRecord:
		return bad(inv.Col, "type error: %s gives %v, but a nested pipeline gives command.Record", inv.Name, c.out)
	}
	return nil
}

// Run is one run of a pipeline, started by [Executor.Start]. Its methods
// are safe to call from any goroutine at any moment.
type Run struct {
	x    *Executor
	root *frame
	env  *env
	done chan struct{}
	err  error // set before done is closed

	mu     sync.Mutex // protects timers
	timers []*time.Timer
}

// Start checks text (as [Executor.Check]), builds the main frame and runs
// it on a goroutine of its own; emit gets each value that comes out of the
// last command, on the scheduler's goroutine (it must not block; an error
// from it fails the run). A problem in the text is returned here, a
// [*PipelineError]; so is a file that a constructor could not open or
// create, as a [*FrameError] for the main frame that names the invocation
// and does not match [ErrPipeline] (a failure of the run, which had not
// started: no goroutine is left and the files opened before it are
// closed). What goes wrong while running is [Run.Wait]'s.
func (x *Executor) Start(ctx context.Context, text string, emit func(any) error) (*Run, error) {
	p, err := Parse(text)
	if err != nil {
		return nil, err
	}
	steps, err := x.plan(p, []string{"main"}, true)
	if err != nil {
		return nil, err
	}
	run := &Run{x: x, root: newFrame(nil, "main", x.cfg.Timeout), env: &env{cfg: &x.cfg}, done: make(chan struct{})}
	pl := pool.New("main", x.cfg.PoolSize)
	chips, last, err := run.build(run.root, steps, pl, nil, nil, p)
	if err != nil {
		run.env.close()
		var pe *PipelineError
		if !errors.As(err, &pe) { // a file that does not open
			err = &FrameError{Stack: []string{"main"}, Err: err}
		}
		return nil, err
	}
	chips = append(chips, steps[len(steps)-1].cmd.sink("emit", last, func(v any) error {
		run.root.out.Add(1)
		return emit(v)
	}))
	r := runlet.New(chips, runlet.Config{Stats: x.cfg.Stats})
	run.root.r.Store(r)
	if x.cfg.Timeout > 0 {
		run.addTimer(x.cfg.Timeout, r, run.root)
	}
	go run.run(ctx, r)
	return run, nil
}

func (run *Run) run(ctx context.Context, r *runlet.Runlet) {
	err := r.Run(ctx)
	run.mu.Lock()
	for _, t := range run.timers {
		t.Stop()
	}
	run.mu.Unlock()
	if cerr := run.env.close(); err == nil {
		err = cerr
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = &FrameError{Stack: []string{"main"}, Err: err}
	}
	run.err = frameError(err)
	run.root.finish(time.Now().UnixNano(), err != nil)
	close(run.done)
}

// addTimer arranges for f's runlet r to be aborted with ErrTimeout once
// f's timeout has passed (nothing if r has stopped by then).
func (run *Run) addTimer(d time.Duration, r *runlet.Runlet, f *frame) {
	t := time.AfterFunc(d, func() {
		r.Abort(&FrameError{Stack: f.stack, Err: fmt.Errorf("%w after %v", ErrTimeout, d)})
	})
	run.mu.Lock()
	run.timers = append(run.timers, t)
	run.mu.Unlock()
}

// Wait waits for the run to end and returns its error: nil, a
// [*FrameError] naming the frames the error went through, or one of the
// errors of package runlet for the main frame.
func (run *Run) Wait() error {
	<-run.done
	return run.err
}

// Done is closed when the run has ended and no goroutine of it is left.
func (run *Run) Done() <-chan struct{} { return run.done }

// Snapshot returns the frames' timings and counts as of now, nested as the
// frames are. It never waits for the run.
func (run *Run) Snapshot() FrameStats { return run.root.stats(time.Now().UnixNano()) }

// Describe returns Snapshot().String(): one line a frame, indented by
// depth.
func (run *Run) Describe() string { return run.Snapshot().String() }

// build builds the chips of steps in frame f, with pends in pl: the first
// step reads first (nil: a source), the last pushes to last (nil: a new
// pend, returned).
func (run *Run) build(f *frame, steps []step, pl *pool.Pool, first, last any, p *Pipeline) ([]chip.Chip, any, error) {
	var chips []chip.Chip
	prev := first
	for i, st := range steps {
		key := fmt.Sprintf("%d.%s", i+1, st.inv.Name)
		next := last
		if i < len(steps)-1 || last == nil {
			next = st.cmd.newOut(pl, key+".out")
		}
		cs, err := run.stage(f, st, key, prev, next, pl)
		if err != nil {
			var pe *PipelineError
			if errors.As(err, &pe) {
				return nil, nil, err
			}
			if isFileError(err) { // a run failure: the caller says in which frame
				return nil, nil, fmt.Errorf("%s (column %d): %w", st.inv.Name, st.inv.Col, err)
			}
			return nil, nil, &PipelineError{Source: p.Source, Text: p.Text, Col: st.inv.Col,
				Msg: fmt.Sprintf("%s: %v", st.inv.Name, err)}
		}
		chips = append(chips, cs...)
		prev = next
	}
	return chips, prev, nil
}

// env is what sources reach through a Stage: the executor's Stdin and Open,
// and the files opened during a run, closed when it ends.
type env struct {
	cfg   *Config
	mu    sync.Mutex // protects files
	files []io.Closer
}

func (e *env) open(name string) (io.Reader, error) {
	if name == "-" || name == "" {
		return e.cfg.Stdin, nil
	}
	f, err := e.cfg.Open(name)
	if err != nil {
		return nil, fileError{err}
	}
	e.mu.Lock()
	e.files = append(e.files, f)
	e.mu.Unlock()
	return f, nil
}

func (e *env) close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for _, f := range e.files {
		errs = append(errs, f.Close())
	}
	e.files = nil
	return errors.Join(errs...)
}

// fileError is the error of a file that a constructor could not open or
// create through the env: a failure of the run, not of the pipeline.
type fileError struct{ err error }

func (e fileError) Error() string { return e.err.Error() }
func (e fileError) Unwrap() error { return e.err }

// isFileError reports whether a constructor's error is a file that did not
// open or could not be created: through [Stage.Open] or the write
// commands, or an *fs.PathError (os.Open, os.Create) of its own.
func isFileError(err error) bool {
	var fe fileError
	var pe *fs.PathError
	return errors.As(err, &fe) || errors.As(err, &pe)
}
