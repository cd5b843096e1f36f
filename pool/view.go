package pool

import (
	"fmt"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
)

// View is the logic of a view: a pend of a logical pool that holds no data
// and pushes to or pulls from pends of the inner pool, its viewees, which
// hold the data and are accounted as usual. Package logicalpool implements
// the common views (duplicate, load-balance, merge, join); [DefineView]
// installs one of your own. A chip sees a view as an ordinary pend.
//
// A push-only view (a producer's next pend) implements Limited and Push; a
// pull-only view (a consumer's prev pend) implements Len, Peek and Pull, and
// Pull must return what Peek showed. The other methods are never called.
// Only the scheduler calls a View, never concurrently, so it needs no lock;
// a panic in it becomes the error of the chip that called it.
//
// There is no useful zero value: DefineView's build function returns a
// View of your own type.
type View[T any] interface {
	Limited() bool // a push now would bust a limit the view keeps
	Len() int      // packs a Pull could return, or an estimate (0 when none)
	Push(pk hints.Pack[T]) error
	Pull() (hints.Pack[T], bool)
	Peek() (hints.Pack[T], bool)
}

// Viewee is a pend a [View] is over, as the view sees it: an ordinary pend
// of the inner pool. Abandoned reports that nobody reads it any more (its
// readers ended early), so a view may skip it. A Viewee is called by the
// view only, on the scheduler's goroutine.
//
// The engine makes the Viewees; there is no zero value to use.
type Viewee[T any] interface {
	Len() int
	Limited() bool
	Abandoned() bool
	Push(pk hints.Pack[T]) error
	Pull() (hints.Pack[T], bool)
	Peek() (hints.Pack[T], bool)
}

// DefineView makes view, in logical pool lp, a view over viewees, pends of
// lp's inner pool (declared in lp or in the inner pool) holding packs of T,
// and returns the view's declaration, for the chips on its side. push says
// which way it goes: a producer pushes into a push view, a consumer pulls
// from a pull view. An unnamed viewee is named "<view>.<i>". build makes the
// View from the typed viewees when a runlet first binds a chip to the view.
// The view and its viewees are one place to the scheduler: a push into any
// viewee wakes the view's reader.
//
// It fails, naming the pool and the view, when lp is not a logical pool,
// when viewees is empty, holds nil, a pend of another pool, repeats a pend,
// names the view itself or another view, and when the view is defined twice.
func DefineView[T any](lp *Pool, view string, viewees []*Pend[T], push bool, build func(viewees []Viewee[T]) View[T]) (*Pend[T], error) {
	ds := make([]*engine.Decl, len(viewees))
	for i, v := range viewees {
		ds[i] = engine.DeclOf((*engine.PendDecl[T])(v))
	}
	keys, err := engine.VieweeKeys((*engine.Pool)(lp), view, ds)
	if err != nil {
		return nil, fmt.Errorf("pool: DefineView: %w", err)
	}
	err = engine.DefineView((*engine.Pool)(lp), view, keys, ds, push, func(inner *engine.Pool) (engine.View[T], error) {
		ps := make([]Viewee[T], len(keys))
		for i, k := range keys {
			p, err := engine.Get[T](inner, k)
			if err != nil {
				return nil, err
			}
			ps[i] = p
		}
		return build(ps), nil
	})
	if err != nil {
		return nil, err
	}
	engine.NameViewees(ds, keys)
	return NewPend[T](lp, view), nil
}
