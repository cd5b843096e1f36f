package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
)

// Errors of the registry. Each is matched with errors.Is.
var (
	// ErrCycle is matched by the error [Registry.Alias] returns for an alias
	// that would expand into itself: a [*CycleError] spelling the cycle.
	ErrCycle = errors.New("command: alias cycle")
	// ErrExists is matched by the error of a registration whose name is
	// taken by a command that is not an alias (an alias may be redefined).
	ErrExists = errors.New("command: name taken")
)

// CycleError is the error of an alias definition that would make a cycle:
// Path is the cycle, from the alias back to itself (a → b → a). It matches
// [ErrCycle] and [ErrPipeline].
type CycleError struct{ Path []string }

func (e *CycleError) Error() string {
	return fmt.Sprintf("command: alias %q would make a cycle: %s", e.Path[0], strings.Join(e.Path, " → "))
}

// Is reports whether target is ErrCycle or ErrPipeline.
func (e *CycleError) Is(target error) bool { return target == ErrCycle || target == ErrPipeline }

// Spec describes a command: its name, its arguments in order, and a line
// of help. Stateless is set by [RegisterMap]: such a command may run as
// -parallel N copies.
type Spec struct {
	Name      string
	Args      []Arg
	Summary   string
	Stateless bool
}

// Usage returns the command's synopsis, such as "where FIELD OP VALUE".
func (s Spec) Usage() string {
	var b strings.Builder
	b.WriteString(s.Name)
	for _, a := range s.Args {
		name := a.Name
		if a.Rest {
			name += "..."
		}
		if a.Optional {
			name = "[" + name + "]"
		}
		b.WriteString(" " + name)
	}
	return b.String()
}

// Arg is one argument of a command. Kind says what its text must be; an
// Optional argument may be left out (the ones after it must be optional
// too); a Rest argument, the last, takes all the words that are left.
type Arg struct {
	Name     string
	Kind     Kind
	Optional bool
	Rest     bool
}

// Kind is an argument's type in the text.
type Kind int

const (
	// String is any word.
	String Kind = iota
	// Int is a decimal integer that is not negative.
	Int
)

// Args are an invocation's arguments, checked against its [Spec]: a
// constructor reads them by name and needs no checks of its own. The zero
// value holds no argument.
type Args struct {
	spec Spec
	vals []string // by position in spec.Args; "" for one left out
	set  []bool
	rest []string
	// only, when not nil, holds the only fields the rest of the pipeline
	// reads of this command's output (see project); nil: any.
	only map[string]bool
}

// String returns argument name's text, "" when left out.
func (a Args) String(name string) string {
	if i := a.index(name); i >= 0 {
		return a.vals[i]
	}
	return ""
}

// Int returns Int argument name's value, def when left out.
func (a Args) Int(name string, def int) int {
	if i := a.index(name); i >= 0 && a.set[i] {
		n, _ := strconv.Atoi(a.vals[i]) // checked when the Args were made
		return n
	}
	return def
}

// Has reports whether argument name was given.
func (a Args) Has(name string) bool {
	i := a.index(name)
	return i >= 0 && a.set[i]
}

// Rest returns the words a Rest argument took.
func (a Args) Rest() []string { return a.rest }

func (a Args) index(name string) int {
	return slices.IndexFunc(a.spec.Args, func(x Arg) bool { return x.Name == name })
}

// Stage is what a constructor gets to build one stage of a pipeline: the
// pends between it and its neighbours, its checked arguments, and the
// frame's pool for pends of its own. Key is unique in the frame: prefix
// the keys of the stage's chips and pends with it. A source (In is
// struct{}) has a nil Prev.
type Stage[In, Out any] struct {
	Key  string
	Prev *pool.Pend[In]
	Next *pool.Pend[Out]
	Pool *pool.Pool
	Args Args
	env  *env
}

// Open opens a file named in the pipeline through the executor's
// [Config.Open]; "-" is [Config.Stdin]. The file is closed when the
// pipeline's run ends. A constructor returns Open's error as it is (or
// wrapped with %w): the executor reports it as a failure of the run, not
// as a mistake in the pipeline.
func (s Stage[In, Out]) Open(name string) (io.Reader, error) { return s.env.open(name) }

// MapFunc is a stateless command's work on one value: out is pushed when
// keep is true, nothing when false (a filter). It may be called on several
// goroutines at once (-parallel), with a ctx that ends when the frame stops.
// Without -parallel it runs on the scheduler's goroutine and must not
// block; work that waits (a network call, a disk) wants -parallel N.
type MapFunc[In, Out any] func(ctx context.Context, v In) (out Out, keep bool, err error)

// kind of a registered command.
type cmdKind int

const (
	kindChips cmdKind = iota // Register: a constructor of chips
	kindMap                  // RegisterMap: a stateless function
	kindFlow                 // RegisterFlow: a sub-pipeline made at run time
	kindAlias                // Alias: a sub-pipeline given as text
)

// command is a registered command with its types erased: the closures made
// by the generic Register functions carry In and Out.
type command struct {
	spec    Spec
	kind    cmdKind
	in, out reflect.Type // in is nil for a source
	// newOut declares a pend of Out in p.
	newOut func(p *pool.Pool, key string) any
	// sink returns an output chip that hands each value of prev (a
	// *pool.Pend[Out]) to emit.
	sink func(key string, prev any, emit func(any) error) chip.Chip
	// build builds the stage; prev and next are *pool.Pend[In], [Out].
	build  func(key string, prev, next any, pl *pool.Pool, args Args, inv Invocation, e *env) ([]chip.Chip, error)
	expand func(Args) (string, error) // kindFlow
	alias  *Pipeline                  // kindAlias
	// reads, set for some built-ins, says which fields of its input the
	// command reads and whether it passes its input records on (see
	// project); nil: it may read any.
	reads func(Args) (fields []string, passes bool)
}

// Registry holds commands by name: Go commands ([Register], [RegisterMap],
// [RegisterFlow]) and aliases ([Registry.Alias]). It is safe for concurrent
// use, also while pipelines run: a command registered at run time is seen
// by the frames expanded after it. The zero value is not usable: call
// [NewRegistry] (empty) or [Builtins].
type Registry struct {
	mu   sync.RWMutex // protects cmds
	cmds map[string]*command
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{cmds: map[string]*command{}} }

// Names returns the names of every command and alias, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.cmds))
	for n := range r.cmds {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the spec of command name; for an alias, its text is the
// Summary.
func (r *Registry) Lookup(name string) (Spec, bool) {
	c := r.get(name)
	if c == nil {
		return Spec{}, false
	}
	return c.spec, true
}

func (r *Registry) get(name string) *command {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cmds[name]
}

// add registers c, refusing a name that is taken or not a word.
func (r *Registry) add(c *command) error {
	name := c.spec.Name
	if name == "" || strings.ContainsAny(name, " \t\n|'\"") || strings.HasPrefix(name, "-") {
		return fmt.Errorf("command: register %q: a name is one word, not starting with -", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.cmds[name]; old != nil && (old.kind != kindAlias || c.kind != kindAlias) {
		return fmt.Errorf("command: register %q: %w", name, ErrExists)
	}
	r.cmds[name] = c
	return nil
}

var tNone = reflect.TypeFor[struct{}]()

// typed fills the type-erased parts of c that depend on In and Out only.
func typed[In, Out any](c *command) *command {
	if t := reflect.TypeFor[In](); t != tNone {
		c.in = t
	}
	c.out = reflect.TypeFor[Out]()
	c.newOut = func(p *pool.Pool, key string) any { return pool.NewPend[Out](p, key) }
	c.sink = func(key string, prev any, emit func(any) error) chip.Chip {
		return chip.ForEach(key, prev.(*pool.Pend[Out]), func(v Out) error { return emit(v) })
	}
	return c
}

// Register adds a Go command whose constructor build returns the chips of
// one stage, which take In from s.Prev and push Out to s.Next (a source has
// In struct{} and no Prev; its chips read what they like, usually a file
// through [Stage.Open]). build runs once per run of a pipeline that uses
// the command, on the goroutine that builds the frame; an error from it is
// reported as an error in the pipeline at the invocation, except a file
// that did not open (an error of [Stage.Open], or one wrapping an
// *fs.PathError), which is a failure of the run (see [Executor.Start]).
// Values between
// commands are typed: a pipeline whose neighbours' Out and In differ is
// refused with an error naming both types.
func Register[In, Out any](r *Registry, spec Spec, build func(s Stage[In, Out]) ([]chip.Chip, error)) error {
	if err := checkSpec(spec); err != nil {
		return err
	}
	c := typed[In, Out](&command{spec: spec, kind: kindChips})
	c.build = func(key string, prev, next any, pl *pool.Pool, args Args, _ Invocation, e *env) ([]chip.Chip, error) {
		s := Stage[In, Out]{Key: key, Next: next.(*pool.Pend[Out]), Pool: pl, Args: args, env: e}
		if prev != nil {
			s.Prev = prev.(*pool.Pend[In])
		}
		return build(s)
	}
	return r.add(c)
}

// RegisterMap adds a stateless Go command: build turns the arguments into a
// [MapFunc] (once per run), which the command executor runs as one sync
// chip, or with -parallel N as N workers ([chip.ParallelMap], or
// [chip.OrderedMap] with -ordered) followed by a sync chip that drops what
// the function did not keep. The MapFunc must be safe for concurrent calls.
func RegisterMap[In, Out any](r *Registry, spec Spec, build func(Args) (MapFunc[In, Out], error)) error {
	if err := checkSpec(spec); err != nil {
		return err
	}
	spec.Stateless = true
	c := typed[In, Out](&command{spec: spec, kind: kindMap})
	c.build = func(key string, prev, next any, pl *pool.Pool, args Args, inv Invocation, _ *env) ([]chip.Chip, error) {
		f, err := build(args)
		if err != nil {
			return nil, err
		}
		return mapChips(key, prev.(*pool.Pend[In]), next.(*pool.Pend[Out]), pl, inv, f), nil
	}
	return r.add(c)
}

// RegisterFlow adds a command that is a whole sub-pipeline made at run
// time: expand returns its text from the arguments, and the executor runs
// it as a nested frame, like an alias. Its Records come in and go out.
// What expand returns is not known when aliases are defined, so a cycle
// through a flow is not refused then: the depth limit stops it at run
// time ([ErrDepth]).
func RegisterFlow(r *Registry, spec Spec, expand func(Args) (string, error)) error {
	if err := checkSpec(spec); err != nil {
		return err
	}
	c := typed[Record, Record](&command{spec: spec, kind: kindFlow, expand: expand})
	return r.add(c)
}

func checkSpec(spec Spec) error {
	for i, a := range spec.Args {
		switch {
		case a.Rest && i != len(spec.Args)-1:
			return fmt.Errorf("command: register %q: Rest argument %s is not the last", spec.Name, a.Name)
		case !a.Optional && !a.Rest && i > 0 && spec.Args[i-1].Optional:
			return fmt.Errorf("command: register %q: argument %s is required after an optional one", spec.Name, a.Name)
		}
	}
	return nil
}

// Alias defines (or redefines) name as the pipeline text: a command that
// takes Records and gives Records and runs as a nested frame. The text is
// parsed now (an error is a [*PipelineError] whose Source names the alias);
// the commands it names may be defined later. An alias that would expand
// into itself, through other aliases, is refused with a [*CycleError] that
// spells the cycle, and the registry is left as it was.
func (r *Registry) Alias(name, text string) error {
	p, err := parse(fmt.Sprintf("alias %q", name), text)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if path := r.cycle(name, p, []string{name}); path != nil {
		return &CycleError{Path: path}
	}
	if old := r.cmds[name]; old != nil && old.kind != kindAlias {
		return fmt.Errorf("command: alias %q: %w", name, ErrExists)
	}
	c := typed[Record, Record](&command{kind: kindAlias, alias: p,
		spec: Spec{Name: name, Summary: text}})
	r.cmds[name] = c
	return nil
}

// cycle returns the path from the alias being defined (path[0]) back to
// it through p's aliases, or nil. r.mu is held. The graph of aliases has
// no cycle before the definition, so the walk ends.
func (r *Registry) cycle(root string, p *Pipeline, path []string) []string {
	for _, inv := range p.Invocations {
		if inv.Name == root {
			return append(slices.Clone(path), root)
		}
		if c := r.cmds[inv.Name]; c != nil && c.kind == kindAlias {
			if found := r.cycle(root, c.alias, append(path, inv.Name)); found != nil {
				return found
			}
		}
	}
	return nil
}
