package pool

import "github.com/runlet/runlet/internal/engine"

// Pend declares a pend of element type T in a pool: the typed value chips
// take as their prev and next, so that wiring a pend of one type into a chip
// of another does not compile. Make one with [NewPend]; chip constructors
// take *Pend[T], and the runlet makes the pend itself (its ring, its
// accounting) when it attaches the first chip that names it.
//
// A declaration is its pool and its key: two declarations with the same key
// in one pool are one pend (a runlet's Attach refuses them if their element
// types or sizes differ). A declaration with an empty key is named when the
// first runlet over a chip that uses it is built (runlet.New): after the
// first chip that pushes into it, "<chip>.out", or, if no chip pushes into
// it, after the first that pulls from it, "<chip>.in". Describe, the JSON
// snapshot and the diagrams print the key.
//
// A *Pend is safe to use from any goroutine. Its sizes are read when a
// runlet attaches: [Pend.Size] after that changes only runlets attached
// later. The zero value has no pool; a runlet's Attach reports a chip that
// names one.
type Pend[T any] engine.PendDecl[T]

// NewPend declares pend key of element type T in p. key may be empty: the
// runlet then names the pend after the chip that pushes into it (see
// [Pend]). p may be a logical pool (its keys name its inner pool's pends
// and its views); the IO pool is never named: a chip with no prev pend is
// an input chip, one with no next pend an output chip.
func NewPend[T any](p *Pool, key string) *Pend[T] {
	return (*Pend[T])(engine.NewPendDecl[T]((*engine.Pool)(p), key))
}

// Size sets the pend's private (reserved) size and its pend limit (0 means
// none), and returns d, so that a declaration reads in one line:
//
//	lines := pool.NewPend[string](p, "lines").Size(2, 64)
//
// See "Accounting" in the package doc. Negative values are reported by
// Attach, naming the pend.
func (d *Pend[T]) Size(private, limit int) *Pend[T] {
	d.decl().SetSize(private, limit)
	return d
}

// Key returns the pend's key: the one it was declared with, or the one a
// runlet named it with, or "" while it is unnamed.
func (d *Pend[T]) Key() string { return d.decl().Key() }

// Pool returns the pool the pend was declared in.
func (d *Pend[T]) Pool() *Pool { return (*Pool)(d.decl().Pool()) }

// String returns "key@pool", as Describe names pends ("?" for a key or pool
// not known yet).
func (d *Pend[T]) String() string {
	k, p := d.Key(), "?"
	if k == "" {
		k = "?"
	}
	if pl := d.Pool(); pl != nil {
		p = pl.Key()
	}
	return k + "@" + p
}

// decl returns the engine's declaration inside d.
func (d *Pend[T]) decl() *engine.Decl { return &(*engine.PendDecl[T])(d).Decl }
