package command

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

var typeRecord = reflect.TypeFor[Record]()

// checkArgs is the command executor's validation: inv's arguments against
// spec, in number and kind.
func checkArgs(spec Spec, inv Invocation, bad func(int, string, ...any) error) (Args, error) {
	a := Args{spec: spec, vals: make([]string, len(spec.Args)), set: make([]bool, len(spec.Args))}
	toks := inv.Args
	for i, arg := range spec.Args {
		if arg.Rest {
			for _, t := range toks {
				a.rest = append(a.rest, t.Text)
			}
			if len(toks) == 0 && !arg.Optional {
				return a, bad(inv.End, "%s: missing argument %s (usage: %s)", inv.Name, arg.Name, spec.Usage())
			}
			a.set[i], toks = len(toks) > 0, nil
			break
		}
		if len(toks) == 0 {
			if arg.Optional {
				break
			}
			return a, bad(inv.End, "%s: missing argument %s (usage: %s)", inv.Name, arg.Name, spec.Usage())
		}
		t := toks[0]
		toks = toks[1:]
		if arg.Kind == Int {
			if n, err := strconv.Atoi(t.Text); err != nil || n < 0 {
				return a, bad(t.Col, "%s: argument %s: expected an integer >= 0, got %q", inv.Name, arg.Name, t.Text)
			}
		}
		a.vals[i], a.set[i] = t.Text, true
	}
	if len(toks) > 0 {
		return a, bad(toks[0].Col, "%s: unexpected argument %q (usage: %s)", inv.Name, toks[0].Text, spec.Usage())
	}
	return a, nil
}

// checkOptions checks the executor's options against the command.
func checkOptions(c *command, inv Invocation, bad func(int, string, ...any) error) error {
	switch {
	case inv.Parallel > 0 && c.kind != kindMap:
		return bad(inv.Col, "%s: -parallel needs a stateless command, and %s keeps state or is a pipeline", inv.Name, inv.Name)
	case inv.Ordered && inv.Parallel == 0:
		return bad(inv.Col, "%s: -ordered goes with -parallel N", inv.Name)
	case inv.Timeout > 0 && (c.in != typeRecord || c.out != typeRecord):
		return bad(inv.Col, "%s: -timeout runs the command in a frame of its own, which takes and gives command.Record; put the timeout on the pipeline", inv.Name)
	}
	return nil
}

// stage is the command executor: it builds one invocation, a nested frame
// for an alias, a flow or an invocation with -timeout, or the command's
// own chips.
func (run *Run) stage(f *frame, st step, key string, prev, next any, pl *pool.Pool) ([]chip.Chip, error) {
	if st.cmd.kind == kindAlias || st.cmd.kind == kindFlow || st.inv.Timeout > 0 {
		fkey := fmt.Sprintf("%s%s#%s", frameChipPrefix, st.inv.Name, key)
		return []chip.Chip{runlet.SubRunlet(fkey, prev.(*pool.Pend[Record]), next.(*pool.Pend[Record]),
			func() (*runlet.Runlet, *runlet.Input[Record], *runlet.Output[Record], error) {
				return run.frame(f, st)
			})}, nil
	}
	return st.cmd.build(key, prev, next, pl, st.args, st.inv, run.env)
}

// frame builds the sub-runlet of a nested frame when its first Record
// comes: it expands the command (an alias's text as the registry holds it
// now, a flow's text from its arguments, or the invocation itself for a
// -timeout), checks the depth, and builds the body between two counting
// chips, in a pool of its own.
func (run *Run) frame(parent *frame, st step) (*runlet.Runlet, *runlet.Input[Record], *runlet.Output[Record], error) {
	f := newFrame(parent, st.inv.Name, st.inv.Timeout)
	if f.depth() > run.x.cfg.MaxDepth {
		return nil, nil, nil, &FrameError{Stack: f.stack, Err: fmt.Errorf("%w (%d)", ErrDepth, run.x.cfg.MaxDepth)}
	}
	var body *Pipeline
	steps := []step{st}
	steps[0].inv.Timeout = 0
	switch {
	case st.inv.Timeout > 0 && st.cmd.kind != kindAlias && st.cmd.kind != kindFlow:
		body = &Pipeline{Source: "pipeline", Text: st.inv.Name}
	case st.cmd.kind == kindAlias:
		body = st.cmd.alias
		if c := run.x.reg.get(st.inv.Name); c != nil && c.kind == kindAlias {
			body = c.alias // redefined since the run started
		}
	default:
		text, err := st.cmd.expand(st.args)
		if err != nil {
			return nil, nil, nil, &FrameError{Stack: f.stack, Err: err}
		}
		if body, err = parse(fmt.Sprintf("flow %q", st.inv.Name), text); err != nil {
			return nil, nil, nil, &FrameError{Stack: f.stack, Err: err}
		}
	}
	if len(body.Invocations) > 0 {
		var err error
		if steps, err = run.x.plan(body, f.stack, false); err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) { // the depth limit has its own stack
				err = &FrameError{Stack: f.stack, Err: err}
			}
			return nil, nil, nil, err
		}
	}
	pl := pool.New(strings.Join(f.stack, "/"), run.x.cfg.PoolSize)
	in, out := pool.NewPend[Record](pl, "in"), pool.NewPend[Record](pl, "out")
	first, last := pool.NewPend[Record](pl, "first"), pool.NewPend[Record](pl, "last")
	chips, _, err := run.build(f, steps, pl, first, last, body)
	if err != nil {
		return nil, nil, nil, &FrameError{Stack: f.stack, Err: err}
	}
	chips = append(chips, chip.Tap("in", in, first, func(Record) error { f.in.Add(1); return nil }), exitChip(f, last, out))
	r := runlet.New(chips, runlet.Config{Stats: run.x.cfg.Stats})
	f.r.Store(r)
	hin, err := runlet.PendInput(r, in)
	if err != nil {
		return nil, nil, nil, err
	}
	hout, err := runlet.PendOutput(r, out)
	if err != nil {
		return nil, nil, nil, err
	}
	if f.timeout > 0 {
		run.addTimer(f.timeout, r, f)
	}
	return r, hin, hout, nil
}

// exitChip counts what leaves frame f and records its end at END.
func exitChip(f *frame, prev, next *pool.Pend[Record]) chip.Chip {
	return chip.New(chip.Config[Record, Record, struct{}]{Key: "out", Prev: prev, Next: next,
		Process: func(_ context.Context, pk hints.Pack[Record], _ *struct{}) (hints.Pack[Record], error) {
			if pk.Hint == hints.End {
				f.finish(nowNano(), false)
				return hints.EndOf[Record](1), nil
			}
			f.out.Add(1)
			return pk, nil
		}})
}

// kept is a MapFunc's result between the parallel workers and the chip
// that drops what was not kept.
type kept[T any] struct {
	v    T
	keep bool
}

// mapChips runs a stateless command: one sync chip, or with -parallel N a
// ParallelMap (OrderedMap with -ordered) of N workers followed by a sync
// chip that drops what f did not keep.
func mapChips[In, Out any](key string, prev *pool.Pend[In], next *pool.Pend[Out], pl *pool.Pool, inv Invocation, f MapFunc[In, Out]) []chip.Chip {
	if inv.Parallel == 0 {
		return []chip.Chip{chip.New(chip.Config[In, Out, struct{}]{Key: key, Prev: prev, Next: next,
			Process: func(ctx context.Context, pk hints.Pack[In], _ *struct{}) (hints.Pack[Out], error) {
				if pk.Hint == hints.End {
					return hints.EndOf[Out](1), nil
				}
				v, keep, err := f(ctx, pk.Value)
				if !keep || err != nil {
					return hints.SkipOf[Out](), err
				}
				return hints.Data(v), nil
			}})}
	}
	mid := pool.NewPend[kept[Out]](pl, key+".kept")
	work := func(ctx context.Context, v In) (kept[Out], error) {
		o, keep, err := f(ctx, v)
		return kept[Out]{o, keep}, err
	}
	par := chip.ParallelMap(key, prev, mid, inv.Parallel, work)
	if inv.Ordered {
		par = chip.OrderedMap(key, prev, mid, inv.Parallel, work)
	}
	drop := chip.New(chip.Config[kept[Out], Out, struct{}]{Key: key + ".keep", Prev: mid, Next: next,
		Process: func(_ context.Context, pk hints.Pack[kept[Out]], _ *struct{}) (hints.Pack[Out], error) {
			switch {
			case pk.Hint == hints.End:
				return hints.EndOf[Out](1), nil
			case !pk.Value.keep:
				return hints.SkipOf[Out](), nil
			}
			return hints.Data(pk.Value.v), nil
		}})
	return []chip.Chip{par, drop}
}
