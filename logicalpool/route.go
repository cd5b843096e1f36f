package logicalpool

import (
	"fmt"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
)

// The routing views below split one stream in two (Partition), read
// several one after the other (Concat), zip several (ZipN, Join3), pair the
// latest of two (CombineLatest), or cut a stream when another shows a pack
// (Until). They share the contract of the views above:
//
//   - A view holds no packs: its viewees, pends of the inner pool, hold them
//     and are accounted as usual, so the bound is the pool's; a view keeps
//     at most what its doc names (CombineLatest the latest value of each
//     side, ZipN one tuple shown and not yet taken).
//   - The scheduler calls a view on its goroutine only, one call at a time:
//     a view needs no lock.
//   - Each consumer gets exactly one END; nothing is lost or duplicated
//     except what the doc says a view drops (a pull view's unread packs
//     stay in their pends when it ends, as [Join2]'s do).
//   - A user function's panic becomes an error naming the view and the
//     function, which fails the runlet of the chip that pushed.

// defineTyped is define for views whose viewees hold other types than the
// view: it checks and names the viewees ds, installs the view in lp, and
// returns its declaration. build gets the inner pool and the viewees' keys.
func defineTyped[V any](lp *pool.Pool, view string, ds []*engine.Decl, push bool, build func(inner *engine.Pool, keys []string) (engine.View[V], error)) (*pool.Pend[V], error) {
	keys, err := engine.VieweeKeys((*engine.Pool)(lp), view, ds)
	if err != nil {
		return nil, fmt.Errorf("logicalpool: %w", err)
	}
	err = engine.DefineView((*engine.Pool)(lp), view, keys, ds, push, func(inner *engine.Pool) (engine.View[V], error) {
		return build(inner, keys)
	})
	if err != nil {
		return nil, err
	}
	engine.NameViewees(ds, keys)
	return pool.NewPend[V](lp, view), nil
}

// pullOnly is the Push of the pull-only views below.
func pullOnly(kind string) error { return fmt.Errorf("a %s view cannot be pushed to", kind) }

// Partition makes view (and returns its declaration), a push-only view that
// puts each data pack into yes when pred reports true for its value and into
// no otherwise (1:1, each value to exactly one side), and every END into
// both, so each side's consumer gets exactly one END.
//
// The next value's side is not known before it is made, so the view is
// limited while either side is: the slower consumer sets the pace, and
// neither side buffers past its pend's limit. A side whose consumer ended
// early (a Take) is abandoned by the runlet: values for it are dropped from
// then on, and the view is limited by the other side only.
//
// pred runs on the goroutine of the producer's push (the scheduler's) once
// per data value, and must not block. A panic in pred fails the producer's
// runlet with an error naming the view ("pred"), matched by errors.As with
// *chip.PanicError; the value is not pushed. pred cannot return an error:
// to fail on bad input, panic or check it upstream. The view allocates
// nothing per value.
func Partition[T any](lp *pool.Pool, view string, yes, no *pool.Pend[T], pred func(T) bool) (*pool.Pend[T], error) {
	if pred == nil {
		return nil, fmt.Errorf("logicalpool: view %q: Partition with a nil predicate", view)
	}
	return define(lp, view, []*pool.Pend[T]{yes, no}, true, func(ps []*engine.Pend[T]) engine.View[T] {
		return &partView[T]{yes: ps[0], no: ps[1], pred: pred, name: view}
	})
}

type partView[T any] struct {
	yes, no *engine.Pend[T]
	pred    func(T) bool
	name    string
}

func (v *partView[T]) Limited() bool {
	return (!v.yes.Abandoned() && v.yes.Limited()) || (!v.no.Abandoned() && v.no.Limited())
}

func (v *partView[T]) Len() int { return 0 }

func (v *partView[T]) Push(pk hints.Pack[T]) error {
	if pk.Hint == hints.End {
		if err := v.yes.Push(pk); err != nil {
			return err
		}
		return v.no.Push(pk)
	}
	ok, err := call(v.name, "pred", v.pred, pk.Value)
	if err != nil {
		return err
	}
	if ok {
		return v.yes.Push(pk) // an abandoned side discards it
	}
	return v.no.Push(pk)
}

func (v *partView[T]) Pull() (hints.Pack[T], bool) { return hints.Pack[T]{}, false }
func (v *partView[T]) Peek() (hints.Pack[T], bool) { return hints.Pack[T]{}, false }

// Concat makes view (and returns its declaration), a pull-only view that
// gives every data pack of viewees[0], then every one of viewees[1], and so
// on (1:1, order kept), and one END once the last viewee has delivered its
// END; the other ENDs are taken and swallowed, so a concatenation of N
// producers needs no END regulator.
//
// Viewee i+1 is not read before viewee i has ended, so its producer fills
// its pend up to the pool's bound and then waits: a viewee that never ends
// holds the ones after it back forever, and a pool whose budget the later
// viewees have taken still lets the current one's producer push one pack
// at a time (a pend holding nothing is never limited). The view allocates
// nothing.
func Concat[T any](lp *pool.Pool, view string, viewees []*pool.Pend[T]) (*pool.Pend[T], error) {
	return define(lp, view, viewees, false, func(ps []*engine.Pend[T]) engine.View[T] {
		return &concatView[T]{pends: ps}
	})
}

type concatView[T any] struct {
	pends []*engine.Pend[T]
	cur   int  // the viewee being read
	done  bool // the last END has been taken
}

func (v *concatView[T]) Limited() bool            { return true }
func (v *concatView[T]) Push(hints.Pack[T]) error { return pullOnly("concat") }

// Len is the current viewee's length (its END included): an estimate.
func (v *concatView[T]) Len() int {
	if _, ok := v.Peek(); !ok {
		return 0
	}
	return v.pends[v.cur].Len()
}

// Peek shows the current viewee's head; an END that is not the last viewee's
// is taken and swallowed here (no reader could ever see it), moving on.
func (v *concatView[T]) Peek() (hints.Pack[T], bool) {
	for !v.done {
		pk, ok := v.pends[v.cur].Peek()
		if !ok {
			break
		}
		if pk.Hint == hints.End && v.cur+1 < len(v.pends) {
			v.pends[v.cur].Pull()
			v.cur++
			continue
		}
		return pk, true
	}
	return hints.Pack[T]{}, false
}

func (v *concatView[T]) Pull() (hints.Pack[T], bool) {
	pk, ok := v.Peek()
	if !ok {
		return pk, false
	}
	v.pends[v.cur].Pull()
	v.done = pk.Hint == hints.End
	return pk, true
}

// ZipN makes view (and returns its declaration), a pull-only view that
// gives one slice for each pack taken from every viewee together: element
// i is viewee i's value. It has a pack only while every viewee has one. END
// on any side ends the zip, as [Join2]'s does: once any viewee shows END at
// its head, the view gives END, taking the END of every viewee that shows
// one; packs still queued elsewhere stay in their pends, and their
// producers are stopped with the rest of the runlet when the flow ends.
//
// Each tuple is a new slice of len(viewees), owned by the consumer: the one
// allocation per tuple the view makes. It keeps the tuple its Peek made
// until Pull takes it, so a Peek and its Pull allocate once.
func ZipN[T any](lp *pool.Pool, view string, viewees []*pool.Pend[T]) (*pool.Pend[[]T], error) {
	ds := decls(viewees)
	return defineTyped(lp, view, ds, false, func(inner *engine.Pool, keys []string) (engine.View[[]T], error) {
		ps, err := pends[T](inner, keys)
		if err != nil {
			return nil, err
		}
		return &zipView[T]{pends: ps}, nil
	})
}

type zipView[T any] struct {
	pends []*engine.Pend[T]
	shown []T // the tuple Peek made, until Pull takes it
}

func (v *zipView[T]) Limited() bool              { return true }
func (v *zipView[T]) Push(hints.Pack[[]T]) error { return pullOnly("zip") }

func (v *zipView[T]) Len() int {
	n := -1
	for _, p := range v.pends {
		if pk, ok := p.Peek(); ok && pk.Hint == hints.End {
			return 1
		}
		if l := p.Len(); n < 0 || l < n {
			n = l
		}
	}
	return n
}

func (v *zipView[T]) Peek() (hints.Pack[[]T], bool) {
	all := true
	for _, p := range v.pends {
		pk, ok := p.Peek()
		if ok && pk.Hint == hints.End {
			return hints.Pack[[]T]{Hint: hints.End}, true
		}
		all = all && ok
	}
	if !all {
		return hints.Pack[[]T]{}, false
	}
	if v.shown == nil {
		v.shown = make([]T, len(v.pends))
		for i, p := range v.pends {
			pk, _ := p.Peek()
			v.shown[i] = pk.Value
		}
	}
	return hints.Pack[[]T]{Value: v.shown}, true
}

func (v *zipView[T]) Pull() (hints.Pack[[]T], bool) {
	pk, ok := v.Peek()
	if !ok {
		return pk, false
	}
	for _, p := range v.pends {
		if pk.Hint != hints.End {
			p.Pull()
		} else if h, ok := p.Peek(); ok && h.Hint == hints.End {
			p.Pull()
		}
	}
	v.shown = nil
	return pk, true
}

// Triple is the tuple a [Join3] view gives: one value from each of three
// sides.
//
// A Triple is a plain value, safe to copy; the zero value holds three zero
// values.
type Triple[A, B, C any] struct {
	A A
	B B
	C C
}

// String returns "(a, b, c)", each side formatted with fmt's %v.
func (t Triple[A, B, C]) String() string { return fmt.Sprintf("(%v, %v, %v)", t.A, t.B, t.C) }

// Join3 is [Join2] over three viewees of their own types: a pull-only view
// that gives one Triple for each pack taken from a, b and c together, and
// ends (zip semantics) once any side shows END, taking the END of every
// side that shows one. It allocates nothing.
func Join3[A, B, C any](lp *pool.Pool, view string, a *pool.Pend[A], b *pool.Pend[B], c *pool.Pend[C]) (*pool.Pend[Triple[A, B, C]], error) {
	ds := []*engine.Decl{
		engine.DeclOf((*engine.PendDecl[A])(a)),
		engine.DeclOf((*engine.PendDecl[B])(b)),
		engine.DeclOf((*engine.PendDecl[C])(c)),
	}
	return defineTyped(lp, view, ds, false, func(inner *engine.Pool, keys []string) (engine.View[Triple[A, B, C]], error) {
		pa, err := engine.Get[A](inner, keys[0])
		if err != nil {
			return nil, err
		}
		pb, err := engine.Get[B](inner, keys[1])
		if err != nil {
			return nil, err
		}
		pc, err := engine.Get[C](inner, keys[2])
		if err != nil {
			return nil, err
		}
		return &join3View[A, B, C]{a: pa, b: pb, c: pc}, nil
	})
}

type join3View[A, B, C any] struct {
	a *engine.Pend[A]
	b *engine.Pend[B]
	c *engine.Pend[C]
}

func (v *join3View[A, B, C]) Limited() bool { return true }
func (v *join3View[A, B, C]) Push(hints.Pack[Triple[A, B, C]]) error {
	return pullOnly("join")
}

func (v *join3View[A, B, C]) Len() int {
	if pk, ok := v.Peek(); ok && pk.Hint == hints.End {
		return 1
	}
	return min(v.a.Len(), v.b.Len(), v.c.Len())
}

func (v *join3View[A, B, C]) Peek() (hints.Pack[Triple[A, B, C]], bool) {
	ha, oka := v.a.Peek()
	hb, okb := v.b.Peek()
	hc, okc := v.c.Peek()
	switch {
	case (oka && ha.Hint == hints.End) || (okb && hb.Hint == hints.End) || (okc && hc.Hint == hints.End):
		return hints.Pack[Triple[A, B, C]]{Hint: hints.End}, true
	case oka && okb && okc:
		return hints.Pack[Triple[A, B, C]]{Value: Triple[A, B, C]{A: ha.Value, B: hb.Value, C: hc.Value}}, true
	}
	return hints.Pack[Triple[A, B, C]]{}, false
}

func (v *join3View[A, B, C]) Pull() (hints.Pack[Triple[A, B, C]], bool) {
	pk, ok := v.Peek()
	if !ok {
		return pk, false
	}
	end := pk.Hint == hints.End
	pullIf(v.a, end)
	pullIf(v.b, end)
	pullIf(v.c, end)
	return pk, true
}

// pullIf takes p's head: a data pack when end is false (the caller saw one),
// or p's END, if it shows one, when end is true.
func pullIf[T any](p *engine.Pend[T], end bool) {
	if !end {
		p.Pull()
	} else if h, ok := p.Peek(); ok && h.Hint == hints.End {
		p.Pull()
	}
}

// CombineLatest makes view (and returns its declaration), a pull-only view
// that, once both a and b have given a value, gives a Pair of the latest
// value of each every time either side has a new one. Values that arrive
// before the other side's first are taken and folded into the latest (so
// the first Pair holds the latest of each), which makes the ratio up to 1:1
// from then on, N:1 before.
//
// The sides are read in turn, each pack taken the moment it is shown, so
// what "latest" means is the order the view takes packs in, not wall-clock
// time: a side whose producer runs ahead is read one pack per turn while
// the other has packs too, so neither starves.
//
// END: the view gives one END once both sides have ended, taking both ENDs;
// after one side has ended, each new value of the other still gives a Pair
// with the ended side's last value. If a side ends before giving any value,
// no Pair can ever be made, and the view gives END at once, taking that
// side's END (the other's packs stay in its pend, as [Join2]'s do).
//
// The view holds the latest value of each side (one A and one B; a value
// holding references keeps what they point to alive) and allocates nothing.
func CombineLatest[A, B any](lp *pool.Pool, view string, a *pool.Pend[A], b *pool.Pend[B]) (*pool.Pend[Pair[A, B]], error) {
	ds := []*engine.Decl{engine.DeclOf((*engine.PendDecl[A])(a)), engine.DeclOf((*engine.PendDecl[B])(b))}
	return defineTyped(lp, view, ds, false, func(inner *engine.Pool, keys []string) (engine.View[Pair[A, B]], error) {
		pa, err := engine.Get[A](inner, keys[0])
		if err != nil {
			return nil, err
		}
		pb, err := engine.Get[B](inner, keys[1])
		if err != nil {
			return nil, err
		}
		return &latestView[A, B]{a: side[A]{p: pa}, b: side[B]{p: pb}}, nil
	})
}

// side is one side of a CombineLatest view: its pend, its latest value, and
// how far it has got.
type side[T any] struct {
	p      *engine.Pend[T]
	latest T
	has    bool // latest holds a value
	ended  bool // its END has been taken
}

// look shows side s's head as the view sees it. show: a pack for the
// reader (its own value, or END); took: s took a pack itself (a value
// before the other side's first, or an END that is not the last), so the
// view looks again; neither: s has nothing now. otherHas, otherEnded tell
// the other side's state.
func (s *side[T]) look(otherHas, otherEnded bool) (v T, end, show, took bool) {
	if s.ended {
		return v, false, false, false
	}
	pk, ok := s.p.Peek()
	switch {
	case !ok:
		return v, false, false, false
	case pk.Hint == hints.End:
		if otherEnded || !s.has {
			return v, true, true, false
		}
		s.p.Pull()
		s.ended = true
		return v, false, false, true
	case !otherHas:
		s.p.Pull()
		s.latest, s.has = pk.Value, true
		return v, false, false, true
	}
	return pk.Value, false, true, false
}

// take takes the head look showed.
func (s *side[T]) take() {
	pk, _ := s.p.Pull()
	if pk.Hint == hints.End {
		s.ended = true
		return
	}
	s.latest, s.has = pk.Value, true
}

type latestView[A, B any] struct {
	a    side[A]
	b    side[B]
	turn int  // the side to look at first
	pick int  // the side whose head Peek showed
	done bool // END given
}

func (v *latestView[A, B]) Limited() bool                     { return true }
func (v *latestView[A, B]) Push(hints.Pack[Pair[A, B]]) error { return pullOnly("combine-latest") }

// Len is an estimate: the packs queued on both sides, when a Pull would give
// one.
func (v *latestView[A, B]) Len() int {
	if _, ok := v.Peek(); !ok {
		return 0
	}
	return max(1, v.a.p.Len()+v.b.p.Len())
}

func (v *latestView[A, B]) Peek() (hints.Pack[Pair[A, B]], bool) {
	for !v.done {
		took := false
		for k := range 2 {
			i := (v.turn + k) % 2
			var pk hints.Pack[Pair[A, B]]
			var end, show, t bool
			if i == 0 {
				pk.Value.B = v.b.latest
				pk.Value.A, end, show, t = v.a.look(v.b.has, v.b.ended)
			} else {
				pk.Value.A = v.a.latest
				pk.Value.B, end, show, t = v.b.look(v.a.has, v.a.ended)
			}
			if show {
				if end {
					pk = hints.Pack[Pair[A, B]]{Hint: hints.End}
				}
				v.pick = i
				return pk, true
			}
			if t {
				took = true
				break
			}
		}
		if !took {
			break
		}
	}
	return hints.Pack[Pair[A, B]]{}, false
}

func (v *latestView[A, B]) Pull() (hints.Pack[Pair[A, B]], bool) {
	pk, ok := v.Peek()
	if !ok {
		return pk, false
	}
	if v.pick == 0 {
		v.a.take()
	} else {
		v.b.take()
	}
	v.turn = v.pick + 1
	v.done = pk.Hint == hints.End
	return pk, true
}

// Until makes view (and returns its declaration), a pull-only view over
// (data, stop) that gives data's packs (1:1, order kept) until stop shows a
// data pack, then one END: the predicate-free form of take-until, where
// another stream says when to stop. What stop holds is never given; its
// values say only "stop". If stop ends without a value, it is taken and
// forgotten and data flows on to its own END.
//
// stop is looked at before every data pack given, so a value of data is
// given only while stop holds no value at that moment: "until" is the order
// the scheduler sees the packs in, not wall-clock time. On the stop, data's
// packs still queued stay in its pend, and the producers of both are
// stopped with the rest of the runlet when the flow ends (as [Join2]'s
// other side). The view allocates nothing.
func Until[T, S any](lp *pool.Pool, view string, data *pool.Pend[T], stop *pool.Pend[S]) (*pool.Pend[T], error) {
	ds := []*engine.Decl{engine.DeclOf((*engine.PendDecl[T])(data)), engine.DeclOf((*engine.PendDecl[S])(stop))}
	return defineTyped(lp, view, ds, false, func(inner *engine.Pool, keys []string) (engine.View[T], error) {
		pd, err := engine.Get[T](inner, keys[0])
		if err != nil {
			return nil, err
		}
		ps, err := engine.Get[S](inner, keys[1])
		if err != nil {
			return nil, err
		}
		return &untilView[T, S]{data: pd, stop: ps}, nil
	})
}

type untilView[T, S any] struct {
	data      *engine.Pend[T]
	stop      *engine.Pend[S]
	stopEnded bool // stop ended without a value: never looked at again
	stopped   bool // Peek showed the END stop caused
	done      bool // END given
}

func (v *untilView[T, S]) Limited() bool            { return true }
func (v *untilView[T, S]) Push(hints.Pack[T]) error { return pullOnly("until") }

func (v *untilView[T, S]) Len() int {
	pk, ok := v.Peek()
	switch {
	case !ok:
		return 0
	case pk.Hint == hints.End:
		return 1
	}
	return v.data.Len()
}

func (v *untilView[T, S]) Peek() (hints.Pack[T], bool) {
	if v.done {
		return hints.Pack[T]{}, false
	}
	if !v.stopEnded {
		sp, ok := v.stop.Peek()
		switch {
		case ok && sp.Hint == hints.End:
			v.stop.Pull()
			v.stopEnded = true
		case ok:
			v.stopped = true
			return hints.Pack[T]{Hint: hints.End}, true
		}
	}
	v.stopped = false
	return v.data.Peek()
}

func (v *untilView[T, S]) Pull() (hints.Pack[T], bool) {
	pk, ok := v.Peek()
	if !ok {
		return pk, false
	}
	if !v.stopped {
		v.data.Pull()
	}
	v.done = pk.Hint == hints.End
	return pk, true
}
