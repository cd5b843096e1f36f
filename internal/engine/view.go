package engine

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/runlet/runlet/hints"
)

// Logical is the Kind of a logical pool ([NewLogical]).
const Logical Kind = 3

// View is a pend that holds no data: the logic of a logical pool's view over
// pends of its inner pool (its viewees), which hold the data and are
// accounted as usual. Package logicalpool implements the views; a chip sees a
// view as an ordinary pend. Like pends, views are called by the scheduler
// only, never concurrently.
//
// A push-only view (a producer's next pend) implements Limited and Push; a
// pull-only view (a consumer's prev pend) implements Len, Peek and Pull, and
// Pull must return what Peek showed. The other methods are never called.
type View[T any] interface {
	viewBase
	Push(pk hints.Pack[T]) error
	Pull() (hints.Pack[T], bool)
	Peek() (hints.Pack[T], bool)
}

type viewBase interface {
	Limited() bool // a push now would bust a limit the view keeps
	Len() int      // packs a Pull could return, or an estimate (0 when none)
}

// viewDef is a view of a logical pool.
type viewDef struct {
	viewees    []string
	decls      []*Decl // the viewees' declarations, for their sizes; nil entries when unknown
	push, pull bool
	elem       reflect.Type
	make       func(inner *Pool) (any, error) // returns a View[T] of elem
	made       any                            // the *Pend[T], once made
}

// NewLogical returns a logical pool under key over inner: it holds no data.
// Its keys name inner's pends (so a chip may reach a viewee through either
// pool) and the views defined with [Pool.DefineView]. Size, limit and
// high-water mark are inner's.
func NewLogical(key string, inner *Pool) *Pool {
	p := NewPool(key, Logical, 0)
	p.inner = inner
	p.views = map[string]*viewDef{}
	return p
}

// DefineView makes pend of logical pool p a view of packs of T over
// viewees, pends of p's inner pool. push says which way it goes: a producer
// pushes into a push view, a consumer pulls from a pull view. build makes
// the View when a chip is first bound to the view (by Get[T], which checks
// the element type). The view and its viewees share one wake group in a
// runlet: a push into any viewee wakes the view's reader. decls, if not
// nil, holds the viewees' declarations, one per viewee (nil where none):
// Attach applies their sizes to the viewees of a view a chip names, so a
// viewee that no chip names is sized where it was declared.
func DefineView[T any](p *Pool, pend string, viewees []string, decls []*Decl, push bool, build func(inner *Pool) (View[T], error)) error {
	return p.defineView(pend, viewees, decls, push, reflect.TypeFor[T](), func(inner *Pool) (any, error) { return build(inner) })
}

// defineView is DefineView without the element type: make returns a View of
// the type elem names.
func (p *Pool) defineView(pend string, viewees []string, decls []*Decl, push bool, elem reflect.Type, make func(inner *Pool) (any, error)) error {
	pull := !push
	switch {
	case p.kind != Logical:
		return fmt.Errorf("pool %q: views live in logical pools (logicalpool.New)", p.key)
	case p.inner == nil:
		return fmt.Errorf("pool %q: logical pool without an inner pool", p.key)
	case len(viewees) == 0:
		return fmt.Errorf("pool %q: view %q over no pends", p.key, pend)
	case p.views[pend] != nil:
		return fmt.Errorf("pool %q: view %q defined twice", p.key, pend)
	case slices.Contains(viewees, pend):
		return fmt.Errorf("pool %q: view %q lists itself", p.key, pend)
	}
	for i, v := range viewees {
		if p.views[v] != nil {
			return fmt.Errorf("pool %q: view %q over view %q (views are over pends of the inner pool)", p.key, pend, v)
		}
		if slices.Contains(viewees[:i], v) {
			return fmt.Errorf("pool %q: view %q lists pend %q twice", p.key, pend, v)
		}
	}
	p.views[pend] = &viewDef{viewees: slices.Clone(viewees), decls: slices.Clone(decls), push: push, pull: pull, elem: elem, make: make}
	p.inner.group(viewees)
	return nil
}

// group puts pends of a storage pool in one wake group, merging groups they
// are already in.
func (p *Pool) group(pends []string) {
	if p.groupOf == nil {
		p.groupOf = map[string]string{}
	}
	name := ""
	for _, k := range pends {
		if g, ok := p.groupOf[k]; ok && (name == "" || g < name) {
			name = g
		}
	}
	if name == "" {
		name = "group:" + pends[0]
	}
	old := map[string]bool{}
	for _, k := range pends {
		if g, ok := p.groupOf[k]; ok {
			old[g] = true
		}
		p.groupOf[k] = name
	}
	for k, g := range p.groupOf {
		if old[g] {
			p.groupOf[k] = name
		}
	}
}

// Home returns the pool that stores pend's packs and the name of its wake
// group there: for an ordinary pend, its own pool and key; for a logical
// pool's key, the inner pool; for a view or a viewee, the group shared by a
// view and all its viewees. Two names with the same home are one place to a
// scheduler: the same waiters, and for pools, the same budget.
func (p *Pool) Home(pend string) (*Pool, string) {
	if p.kind == Logical {
		if d := p.views[pend]; d != nil {
			pend = d.viewees[0]
		}
		if p.inner == nil {
			return p, pend
		}
		return p.inner.Home(pend)
	}
	if g, ok := p.groupOf[pend]; ok {
		return p, g
	}
	return p, pend
}

// ViewOf reports whether pend is a view of p, over which pends, and which way
// it goes.
func (p *Pool) ViewOf(pend string) (viewees []string, push, pull, ok bool) {
	if p.kind != Logical {
		return nil, false, false, false
	}
	d := p.views[pend]
	if d == nil {
		return nil, false, false, false
	}
	return slices.Clone(d.viewees), d.push, d.pull, true
}

// Inner returns a logical pool's inner pool, or nil.
func (p *Pool) Inner() *Pool { return p.inner }

// getView returns the typed pend of view d.
func getView[T any](p *Pool, key string, d *viewDef) (*Pend[T], error) {
	if d.made != nil {
		if pt, ok := d.made.(*Pend[T]); ok {
			return pt, nil
		}
		return nil, fmt.Errorf("pool %q: view %q holds %v, not %v", p.key, key, d.elem, reflect.TypeFor[T]())
	}
	if d.elem != reflect.TypeFor[T]() {
		return nil, fmt.Errorf("pool %q: view %q holds %v, not %v", p.key, key, d.elem, reflect.TypeFor[T]())
	}
	v, err := d.make(p.inner)
	if err != nil {
		return nil, fmt.Errorf("pool %q: view %q: %w", p.key, key, err)
	}
	tv, ok := v.(View[T])
	if !ok {
		return nil, errors.New("pool: a view's make returned no View of its element type")
	}
	pt := &Pend[T]{acct: acct{pool: p, key: key, mode: modeView, elem: d.elem, view: tv, limit: Unlimited}, tview: tv}
	d.made = pt
	return pt, nil
}
