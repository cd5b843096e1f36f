package logicalpool

import (
	"errors"
	"fmt"
	"slices"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
)

// New returns a logical pool under key over inner: it holds no data. Its
// keys name inner's pends and the views defined with the functions of this
// package; its size, limit and high-water mark are inner's.
// A runlet over chips that name the logical pool's pends uses inner too;
// chips reach inner's pends through either pool.
func New(key string, inner *pool.Pool) *pool.Pool {
	return (*pool.Pool)(engine.NewLogical(key, (*engine.Pool)(inner)))
}

// pends gets the typed viewees of a view.
func pends[T any](inner *engine.Pool, keys []string) ([]*engine.Pend[T], error) {
	out := make([]*engine.Pend[T], len(keys))
	for i, k := range keys {
		p, err := engine.Get[T](inner, k)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// define checks and names the viewees, installs the view in lp, and
// returns its declaration.
func define[T any](lp *pool.Pool, view string, viewees []*pool.Pend[T], push bool, make func([]*engine.Pend[T]) engine.View[T]) (*pool.Pend[T], error) {
	ds := decls(viewees)
	keys, err := engine.VieweeKeys((*engine.Pool)(lp), view, ds)
	if err != nil {
		return nil, fmt.Errorf("logicalpool: %w", err)
	}
	err = engine.DefineView((*engine.Pool)(lp), view, keys, ds, push, func(inner *engine.Pool) (engine.View[T], error) {
		ps, err := pends[T](inner, keys)
		if err != nil {
			return nil, err
		}
		return make(ps), nil
	})
	if err != nil {
		return nil, err
	}
	engine.NameViewees(ds, keys)
	return pool.NewPend[T](lp, view), nil
}

// decls returns the engine's declarations of viewees.
func decls[T any](viewees []*pool.Pend[T]) []*engine.Decl {
	ds := make([]*engine.Decl, len(viewees))
	for i, v := range viewees {
		ds[i] = engine.DeclOf((*engine.PendDecl[T])(v))
	}
	return ds
}

// Duplicate makes view, in logical pool lp, and returns its declaration: a
// push-only view that puts every
// pack pushed into it into every viewee: each consumer of a viewee gets its
// own copy of every value and exactly one END. The view is limited while any
// viewee is limited, so the slowest consumer sets the pace and no branch
// buffers past its pend's limit: the bound is the pool's, not a growing
// buffer for the slower branch.
//
// Packs are values, so each viewee gets its own Pack; a value that holds
// references (a slice, a map, a pointer) is shared unless clone, when not
// nil, makes the copies (called for every viewee after the first). Byte
// chunks lent by a pool.Buffers need a clone that copies into a fresh buffer,
// since a buffer has one holder.
func Duplicate[T any](lp *pool.Pool, view string, viewees []*pool.Pend[T], clone func(T) T) (*pool.Pend[T], error) {
	return define(lp, view, viewees, true, func(ps []*engine.Pend[T]) engine.View[T] { return &dupView[T]{pends: ps, clone: clone, name: view} })
}

type dupView[T any] struct {
	pends []*engine.Pend[T]
	clone func(T) T
	name  string
}

func (v *dupView[T]) Limited() bool {
	for _, p := range v.pends {
		if p.Limited() {
			return true
		}
	}
	return false
}

func (v *dupView[T]) Len() int { return 0 }

func (v *dupView[T]) Push(pk hints.Pack[T]) error {
	for i, p := range v.pends {
		c := pk
		if i > 0 && v.clone != nil && pk.Hint == hints.None {
			var err error
			if c.Value, err = call(v.name, "clone", v.clone, pk.Value); err != nil {
				return err
			}
		}
		if err := p.Push(c); err != nil {
			return err
		}
	}
	return nil
}

func (v *dupView[T]) Pull() (hints.Pack[T], bool) { return hints.Pack[T]{}, false }
func (v *dupView[T]) Peek() (hints.Pack[T], bool) { return hints.Pack[T]{}, false }

// Strategy picks the viewee of a [LoadBalance] view for each data pack.
//
// A Strategy is a plain value, safe to copy; the zero value is [RoundRobin].
type Strategy uint8

const (
	// RoundRobin takes the viewees in turn, skipping limited ones.
	RoundRobin Strategy = iota
	// LeastFilled takes, among the viewees that are not limited, the one
	// holding the fewest packs (the first from the turn of round robin among
	// equals).
	LeastFilled
)

// String returns "RoundRobin" or "LeastFilled", or "Strategy(n)" for a
// value that is neither.
func (s Strategy) String() string {
	switch s {
	case RoundRobin:
		return "RoundRobin"
	case LeastFilled:
		return "LeastFilled"
	}
	return fmt.Sprintf("Strategy(%d)", uint8(s))
}

// LoadBalance makes view (and returns its declaration), a push-only view that puts each data pack into one
// viewee, chosen by strategy, and every END into every viewee (each consumer
// gets exactly one). The view is limited only while every viewee is limited.
// A viewee whose consumer ended early (a Take) is abandoned by the runlet and
// skipped from then on; what it held is dropped with it.
//
// The viewee is picked when a pack is pushed. An async producer hands out
// work while any viewee has room; if every viewee has filled up by the time
// the results are pushed, they go to the least filled. So a viewee may hold
// more than pool's bound for a pend, max(private, limit) + one pack per
// worker of the producer + its END: up to one more pack per worker.
func LoadBalance[T any](lp *pool.Pool, view string, viewees []*pool.Pend[T], strategy Strategy) (*pool.Pend[T], error) {
	if strategy > LeastFilled {
		return nil, fmt.Errorf("logicalpool: view %q: unknown strategy %d", view, strategy)
	}
	return define(lp, view, viewees, true, func(ps []*engine.Pend[T]) engine.View[T] { return &lbView[T]{pends: ps, strategy: strategy} })
}

// LoadBalanceWeighted is [LoadBalance] with weights: each data pack goes to
// one viewee, in proportion to weights[i] (a viewee of weight 2 gets twice
// the packs of one of weight 1), and every END to every viewee. The picks
// are smooth, as nginx's weighted round robin makes them: weights 5, 1, 1
// give a a b a c a a rather than a a a a a b c, so no consumer gets a burst.
//
// A limited viewee is skipped, as by RoundRobin, and its share goes to the
// others until it has room; the view is limited only while every viewee of
// weight above zero is. A viewee of weight 0 gets only the END. A viewee
// whose consumer ended early is skipped from then on. The bound is
// LoadBalance's: an async producer may put up to one more pack per worker
// into a viewee.
//
// weights must have one entry per viewee, none negative and not all zero,
// adding up to at most 1<<30.
func LoadBalanceWeighted[T any](lp *pool.Pool, view string, viewees []*pool.Pend[T], weights []int) (*pool.Pend[T], error) {
	if len(weights) != len(viewees) {
		return nil, fmt.Errorf("logicalpool: view %q: %d weights for %d viewees", view, len(weights), len(viewees))
	}
	sum := 0
	for i, w := range weights {
		if w < 0 {
			return nil, fmt.Errorf("logicalpool: view %q: viewee %d has a negative weight %d", view, i, w)
		}
		if w > maxWeight-sum {
			return nil, fmt.Errorf("logicalpool: view %q: weights add up to more than %d", view, maxWeight)
		}
		sum += w
	}
	if sum == 0 {
		return nil, fmt.Errorf("logicalpool: view %q: every weight is zero (no viewee would get a pack)", view)
	}
	ws := slices.Clone(weights)
	return define(lp, view, viewees, true, func(ps []*engine.Pend[T]) engine.View[T] {
		return &wlbView[T]{lbView: &lbView[T]{pends: ps, weights: ws}, current: make([]int, len(ps))}
	})
}

// maxWeight bounds the sum of a weighted view's weights, so that its
// running totals cannot overflow.
const maxWeight = 1 << 30

// LoadBalanceByKey makes view (and returns its declaration), a push-only view that puts each data pack into
// viewee key(value) mod len(viewees), so equal keys always reach the same
// consumer, and every END into every viewee. The next pack's viewee is not
// known before it is made, so the view is limited while any viewee is.
// Values whose key picks a viewee whose consumer ended early are dropped.
func LoadBalanceByKey[T any](lp *pool.Pool, view string, viewees []*pool.Pend[T], key func(T) uint64) (*pool.Pend[T], error) {
	if key == nil {
		return nil, errors.New("logicalpool: LoadBalanceByKey with a nil key function")
	}
	return define(lp, view, viewees, true, func(ps []*engine.Pend[T]) engine.View[T] { return &lbView[T]{pends: ps, key: key, name: view} })
}

type lbView[T any] struct {
	pends    []*engine.Pend[T]
	strategy Strategy
	key      func(T) uint64
	name     string // the view, for errors of key
	turn     int    // round robin: the next viewee to try

	weights []int // a weighted view's weights (see wlbView); nil otherwise
}

// idle reports whether viewee i takes no data at all: its consumer ended
// early, or its weight is 0.
func (v *lbView[T]) idle(i int) bool {
	return v.pends[i].Abandoned() || (v.weights != nil && v.weights[i] == 0)
}

func (v *lbView[T]) Limited() bool {
	any, all := false, true
	for _, p := range v.pends {
		if p.Abandoned() {
			continue // never limited, and never picked while another is open
		}
		l := p.Limited()
		any, all = any || l, all && l
	}
	if v.key != nil {
		return any
	}
	return all
}

func (v *lbView[T]) Len() int { return 0 }

func (v *lbView[T]) Push(pk hints.Pack[T]) error {
	if pk.Hint == hints.End {
		for _, p := range v.pends {
			if err := p.Push(pk); err != nil {
				return err
			}
		}
		return nil
	}
	if v.key != nil {
		k, err := call(v.name, "key", v.key, pk.Value)
		if err != nil {
			return err
		}
		return v.pends[k%uint64(len(v.pends))].Push(pk)
	}
	return v.pends[v.pick()].Push(pk)
}

// wlbView is a weighted load-balancing view ([LoadBalanceWeighted]): an
// lbView whose data packs are picked by weight. It is a type of its own so
// that the unweighted views' per-pack checks stay as they are.
type wlbView[T any] struct {
	*lbView[T]
	current []int // each viewee's running total, as smooth weighted round robin keeps them
}

// Limited is lbView's, over the viewees that take data (weight above 0).
func (v *wlbView[T]) Limited() bool {
	for i, p := range v.pends {
		if !v.idle(i) && !p.Limited() {
			return false
		}
	}
	return true
}

func (v *wlbView[T]) Push(pk hints.Pack[T]) error {
	if pk.Hint == hints.End {
		return v.lbView.Push(pk)
	}
	return v.pends[v.pickWeighted()].Push(pk)
}

// pickWeighted chooses the viewee for a data value by smooth weighted round
// robin over the viewees that are not limited: each adds its weight to its
// running total, the highest total wins and gives back the sum of the
// weights that took part.
func (v *wlbView[T]) pickWeighted() int {
	best, sum := -1, 0
	for i, p := range v.pends {
		if v.idle(i) || p.Limited() {
			continue
		}
		v.current[i] += v.weights[i]
		sum += v.weights[i]
		if best < 0 || v.current[i] > v.current[best] {
			best = i
		}
	}
	if best < 0 { // all limited: the scheduler still lets one result bust
		return v.leastFilled()
	}
	v.current[best] -= sum
	return best
}

// pick chooses the viewee for a data value by strategy.
func (v *lbView[T]) pick() int {
	n := len(v.pends)
	best, bestLimited := -1, true
	for k := range n {
		i := (v.turn + k) % n
		p := v.pends[i]
		if p.Abandoned() {
			continue
		}
		limited := p.Limited()
		if v.strategy == RoundRobin {
			if !limited {
				best = i
				break
			}
			continue
		}
		// LeastFilled: the fewest packs among the viewees not limited, or
		// among all when every one is (a single bust).
		switch {
		case best < 0, bestLimited && !limited, bestLimited == limited && p.Len() < v.pends[best].Len():
			best, bestLimited = i, limited
		}
	}
	if best < 0 { // round robin, all limited: the scheduler still lets one result bust
		best = v.leastFilled()
	}
	v.turn = best + 1
	return best
}

// leastFilled returns the viewee to bust when every one is limited: the
// least filled of those that take data (from the turn of round robin among
// equals), so that results landing while every viewee is full spread out
// instead of piling onto one.
func (v *lbView[T]) leastFilled() int {
	n := len(v.pends)
	best := v.turn % n
	for k := range n {
		i := (v.turn + k) % n
		if !v.idle(i) && (v.idle(best) || v.pends[i].Len() < v.pends[best].Len()) {
			best = i
		}
	}
	return best
}

func (v *lbView[T]) Pull() (hints.Pack[T], bool) { return hints.Pack[T]{}, false }
func (v *lbView[T]) Peek() (hints.Pack[T], bool) { return hints.Pack[T]{}, false }

// call returns f(x), or an error naming the view and the function if f
// panics: the panic then fails the producer's runlet (whichever goroutine
// pushes) instead of the program.
func call[T, R any](view, what string, f func(T) R, x T) (r R, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("logicalpool: view %q: %s: %w", view, what, engine.NewPanicError(p))
		}
	}()
	return f(x), nil
}

// Merge makes view (and returns its declaration), a pull-only view that reads its viewees as one stream,
// taking them in turn, and gives one END once every viewee has delivered its
// END (the others are swallowed): a merge of N producers needs no END
// regulator. Order between viewees is not kept; order within each is.
func Merge[T any](lp *pool.Pool, view string, viewees []*pool.Pend[T]) (*pool.Pend[T], error) {
	return define(lp, view, viewees, false, func(ps []*engine.Pend[T]) engine.View[T] {
		return &mergeView[T]{pends: ps, ended: make([]bool, len(ps))}
	})
}

type mergeView[T any] struct {
	pends []*engine.Pend[T]
	ended []bool // viewees whose END has been taken
	ends  int    // how many
	turn  int    // the viewee to try first
	pick  int    // the viewee Peek chose
}

func (v *mergeView[T]) Limited() bool { return true }
func (v *mergeView[T]) Push(hints.Pack[T]) error {
	return errors.New("a merge view cannot be pushed to")
}

func (v *mergeView[T]) Len() int {
	n := 0
	for i, p := range v.pends {
		if !v.ended[i] {
			n += p.Len()
		}
	}
	return n
}

// Peek finds the next pack: data from the next viewee in turn that has some,
// or the END once it is the last one. An END that is not the last is taken
// and swallowed here; no reader could ever see it. A viewee whose END was
// taken is read no more: its producers have all ended, and ENDs it still
// holds (an END with a count) are for no one.
func (v *mergeView[T]) Peek() (hints.Pack[T], bool) {
	n := len(v.pends)
	for k := range n {
		i := (v.turn + k) % n
		if v.ended[i] {
			continue
		}
		pk, ok := v.pends[i].Peek()
		if !ok {
			continue
		}
		if pk.Hint == hints.End && v.ends+1 < n {
			v.pends[i].Pull()
			v.ended[i] = true
			v.ends++
			continue
		}
		v.pick = i
		return pk, true
	}
	return hints.Pack[T]{}, false
}

func (v *mergeView[T]) Pull() (hints.Pack[T], bool) {
	pk, ok := v.Peek()
	if !ok {
		return pk, false
	}
	v.pends[v.pick].Pull()
	v.turn = v.pick + 1
	if pk.Hint == hints.End {
		v.ended[v.pick] = true
		v.ends++
	}
	return pk, true
}

// Pair is the tuple a [Join2] view gives: one value from each side. It is
// chip.Pair (an alias), so a pair made by a view and one made by a chip
// (chip.Pairwise) are one type; String returns "(a, b)".
type Pair[A, B any] = chip.Pair[A, B]

// Join2 makes view (and returns its declaration), a pull-only view that gives one Pair for each pack taken
// from viewee a and viewee b together: it has a pack only while both have
// one. END on either side ends the join (zip semantics): once either viewee
// shows END at its head, the view gives END, taking the END of every side
// that shows one; packs still queued on the other side stay in its pend, and
// its producer is stopped with the rest of the runlet when the flow ends.
func Join2[A, B any](lp *pool.Pool, view string, a *pool.Pend[A], b *pool.Pend[B]) (*pool.Pend[Pair[A, B]], error) {
	da, db := engine.DeclOf((*engine.PendDecl[A])(a)), engine.DeclOf((*engine.PendDecl[B])(b))
	ds := []*engine.Decl{da, db}
	keys, err := engine.VieweeKeys((*engine.Pool)(lp), view, ds)
	if err != nil {
		return nil, fmt.Errorf("logicalpool: %w", err)
	}
	err = engine.DefineView((*engine.Pool)(lp), view, keys, ds, false, func(inner *engine.Pool) (engine.View[Pair[A, B]], error) {
		pa, err := engine.Get[A](inner, keys[0])
		if err != nil {
			return nil, err
		}
		pb, err := engine.Get[B](inner, keys[1])
		if err != nil {
			return nil, err
		}
		return &joinView[A, B]{a: pa, b: pb}, nil
	})
	if err != nil {
		return nil, err
	}
	engine.NameViewees(ds, keys)
	return pool.NewPend[Pair[A, B]](lp, view), nil
}

type joinView[A, B any] struct {
	a *engine.Pend[A]
	b *engine.Pend[B]
}

func (v *joinView[A, B]) Limited() bool { return true }
func (v *joinView[A, B]) Push(hints.Pack[Pair[A, B]]) error {
	return errors.New("a join view cannot be pushed to")
}

func (v *joinView[A, B]) Len() int {
	if pk, ok := v.Peek(); ok && pk.Hint == hints.End {
		return 1
	}
	return min(v.a.Len(), v.b.Len())
}

func (v *joinView[A, B]) Peek() (hints.Pack[Pair[A, B]], bool) {
	ha, oka := v.a.Peek()
	hb, okb := v.b.Peek()
	switch {
	case (oka && ha.Hint == hints.End) || (okb && hb.Hint == hints.End):
		return hints.Pack[Pair[A, B]]{Hint: hints.End}, true
	case oka && okb:
		return hints.Pack[Pair[A, B]]{Value: Pair[A, B]{A: ha.Value, B: hb.Value}}, true
	}
	return hints.Pack[Pair[A, B]]{}, false
}

func (v *joinView[A, B]) Pull() (hints.Pack[Pair[A, B]], bool) {
	pk, ok := v.Peek()
	if !ok {
		return pk, false
	}
	if pk.Hint == hints.End {
		if h, ok := v.a.Peek(); ok && h.Hint == hints.End {
			v.a.Pull()
		}
		if h, ok := v.b.Peek(); ok && h.Hint == hints.End {
			v.b.Pull()
		}
		return pk, true
	}
	v.a.Pull()
	v.b.Pull()
	return pk, true
}
