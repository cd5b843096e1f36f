package engine

import (
	"fmt"
	"slices"
	"sync"
)

// Decl is a pend declaration as the engine sees it: the pool the pend is in,
// its key, and the sizes it was declared with. package pool's Pend[T] is
// defined on [PendDecl], which carries the element type; chips hand the
// engine the Decl inside it through [PendRef.Decl].
//
// A Decl's key may be empty until a runlet names it (see [New]); key and
// sizes are guarded by declMu, so a Decl is safe to read and name from any
// goroutine. Identity is the pool and the key: two declarations with the
// same key in one pool are one pend.
type Decl struct {
	pool           *Pool
	key            string
	private, limit int
}

// PendDecl is a Decl of element type T. The zero-length T field keeps
// declarations of two element types apart even through a conversion.
type PendDecl[T any] struct {
	_ [0]T
	Decl
}

// declMu guards every Decl's key and sizes: naming happens in New, reading
// in Spec and Attach, both rare and short.
var declMu sync.Mutex

// NewPendDecl returns a declaration of pend key in p. An empty key is named
// by the first runlet built over a chip that uses it (see [New]).
func NewPendDecl[T any](p *Pool, key string) *PendDecl[T] {
	return &PendDecl[T]{Decl: Decl{pool: p, key: key}}
}

// DeclOf returns the Decl inside d, or nil for a nil d: the front packages
// convert their *pool.Pend[T] to a *PendDecl[T] and hand the engine this.
func DeclOf[T any](d *PendDecl[T]) *Decl {
	if d == nil {
		return nil
	}
	return &d.Decl
}

// Pool returns the pool d was declared in.
func (d *Decl) Pool() *Pool { return d.pool }

// Key returns d's key, "" while it is not named yet.
func (d *Decl) Key() string {
	declMu.Lock()
	defer declMu.Unlock()
	return d.key
}

// SetSize sets the private size and pend limit d's pend gets at Attach.
// Negative values are reported by Attach, naming the pend.
func (d *Decl) SetSize(private, limit int) {
	declMu.Lock()
	defer declMu.Unlock()
	d.private, d.limit = private, limit
}

// Sizes returns the private size and pend limit d was declared with.
func (d *Decl) Sizes() (private, limit int) {
	declMu.Lock()
	defer declMu.Unlock()
	return d.private, d.limit
}

// Ref returns the reference a chip puts in its Spec for d: pool key, pend
// key and sizes as of now, and d itself. A nil d stands for the IO pend
// io (an input chip's prev or an output chip's next).
func (d *Decl) Ref(io string) PendRef {
	if d == nil {
		return PendRef{Pool: IOKey, Pend: io}
	}
	declMu.Lock()
	defer declMu.Unlock()
	r := PendRef{Pend: d.key, SizePrivate: d.private, SizeLimit: d.limit, Decl: d}
	if d.pool != nil {
		r.Pool = d.pool.Key()
	}
	return r
}

// NameIfEmpty gives d the key name unless it has one, and returns its key.
func (d *Decl) NameIfEmpty(name string) string {
	declMu.Lock()
	defer declMu.Unlock()
	if d.key == "" {
		d.key = name
	}
	return d.key
}

// declare names the unnamed declarations chips use and returns pools plus
// the pools of every declaration and the inner pool of each logical one,
// each once (by pointer). A pend is named
// after the first chip, in chips' order, that pushes into it: "<chip>.out";
// one no chip pushes into after the first chip that pulls from it:
// "<chip>.in". Chips whose Spec panics are skipped: Attach reports them.
func declare(pools []*Pool, chips []Chip) []*Pool {
	specs := make([]Spec, 0, len(chips))
	for _, ch := range chips {
		if ch == nil {
			continue
		}
		if sp, err := safeSpec(ch); err == nil {
			specs = append(specs, sp)
		}
	}
	for _, sp := range specs {
		if d := sp.Next.Decl; d != nil && d.pool != nil && sp.Key != "" {
			d.NameIfEmpty(sp.Key + ".out")
		}
	}
	out := slices.Clone(pools)
	for _, sp := range specs {
		if d := sp.Dead.Decl; d != nil && d.pool != nil && sp.Key != "" {
			d.NameIfEmpty(sp.Key + ".dead")
		}
		for _, d := range []*Decl{sp.Prev.Decl, sp.Next.Decl, sp.Dead.Decl} {
			if d == nil || d.pool == nil {
				continue // Attach reports a declaration without a pool
			}
			if sp.Key != "" {
				d.NameIfEmpty(sp.Key + ".in")
			}
			if !slices.Contains(out, d.pool) {
				out = append(out, d.pool)
			}
		}
	}
	// A logical pool brings its inner pool, after the others, so that
	// Attach checks it (its key, its limit) like one a chip names.
	for _, p := range out {
		if in := p.Inner(); in != nil && !slices.Contains(out, in) {
			out = append(out, in)
		}
	}
	return out
}

// UsePool adds p (and its inner pool, if logical) to r's pools if r does
// not have it yet: a passive handle's pool that no chip of r names. It fails after Attach, when the pools are
// fixed.
func (r *Runlet) UsePool(p *Pool) error {
	add := []*Pool{p}
	if in := p.Inner(); in != nil {
		add = append(add, in)
	}
	r.g.mu.Lock()
	attached := r.attached
	add = slices.DeleteFunc(add, func(q *Pool) bool { return slices.Contains(r.pools, q) })
	r.release()
	if len(add) == 0 {
		return nil
	}
	if attached {
		return fmt.Errorf("pool %q is not one of the runlet's pools, and the runlet is attached", add[0].Key())
	}
	r.pools = append(r.pools, add...)
	joinGroup(r)
	return nil
}

// VieweeKeys returns the keys a view's viewees, declared in logical pool lp
// or its inner pool, will have: their own, or "<view>.<i>" for an unnamed
// one. It names nothing: [NameViewees] does once the view is defined, so a
// refused view leaves its viewees as they were. It reports a nil viewee,
// one of another pool, and one listed twice, naming the view.
func VieweeKeys(lp *Pool, view string, viewees []*Decl) ([]string, error) {
	if lp == nil {
		return nil, fmt.Errorf("view %q: nil logical pool", view)
	}
	keys := make([]string, len(viewees))
	for i, d := range viewees {
		switch {
		case d == nil:
			return nil, fmt.Errorf("logical pool %q: view %q: viewee %d is nil", lp.Key(), view, i)
		case d.pool != lp && (d.pool == nil || d.pool != lp.Inner()):
			where := "no pool"
			if d.pool != nil {
				where = fmt.Sprintf("pool %q", d.pool.Key())
			}
			return nil, fmt.Errorf("logical pool %q: view %q: viewee %d (%q) is declared in %s, not in the logical pool or its inner pool", lp.Key(), view, i, d.Key(), where)
		case slices.Contains(viewees[:i], d):
			return nil, fmt.Errorf("logical pool %q: view %q: viewee %d is viewee %d again", lp.Key(), view, i, slices.Index(viewees, d))
		}
		if keys[i] = d.Key(); keys[i] == "" {
			keys[i] = fmt.Sprintf("%s.%d", view, i)
		}
	}
	return keys, nil
}

// NameViewees gives each unnamed viewee the key VieweeKeys chose for it.
func NameViewees(viewees []*Decl, keys []string) {
	for i, d := range viewees {
		d.NameIfEmpty(keys[i])
	}
}
