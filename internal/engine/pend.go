package engine

import (
	"fmt"
	"math"
	"reflect"
	"unsafe"

	"github.com/runlet/runlet/hints"
)

type mode uint8

const (
	modeQueue  mode = iota // an ordinary pend
	modeInput              // IO input: endless Skip packs, never pushed to
	modeOutput             // IO output: accepts END only, never pulled from
	modeView               // a view of a logical pool: every call goes to the View
	modeGone               // abandoned: nobody reads it; pushes are discarded
)

// acct is a pend's accounting, shared by the pool (for Snapshot) and the
// typed Pend. Only the scheduler touches it.
type acct struct {
	pool    *Pool
	key     string
	mode    mode
	size    int // accounted size of the queued packs
	private int
	limit   int
	packs   int // number of queued packs
	expect  int // packs producers are making for this pend (Pend.Expect)

	// END fan-in (Pool.SetProducers) and END packs that carry a count.
	producers int  // END pushes that make one queued END; below 2, each is queued
	endsIn    int  // END pushes held back so far
	endsHeld  int  // the END count they carry together
	chipFed   bool // producers was set by a runlet's chips (Pool.ShareProducers)
	counted   int  // queued END packs whose Count is 2 or more

	view  viewBase               // modeView: the view (also a View[T])
	typed any                    // the *Pend[T], to check the element type
	elem  reflect.Type           // T, for messages
	show  func(max int) []string // describes the first max queued packs
	drop  func()                 // empties the typed ring, accounting included
}

// Limited reports whether the pend is busted: it holds more than its private
// size and the pool is at its limit or the pend at its own. An empty pend is
// never limited. The IO input pend is always limited (nothing may be pushed
// to it) and the IO output pend never is.
func (a *acct) Limited() bool {
	if a.mode != modeQueue {
		if a.mode == modeView {
			return a.view.Limited()
		}
		return a.mode == modeInput
	}
	return a.size > a.private && (a.pool.size+a.pool.expect >= a.pool.limit || a.size >= a.limit)
}

// add accounts n more units in the pend.
func (a *acct) add(n int) {
	before := max(0, a.size-a.private)
	a.size += n
	p := a.pool
	p.size += max(0, a.size-a.private) - before
	if p.size > p.high {
		p.high = p.size
	}
}

// sub accounts n fewer units in the pend.
func (a *acct) sub(n int) {
	before := max(0, a.size-a.private)
	a.size -= n
	a.pool.size += max(0, a.size-a.private) - before
}

// Pend is a FIFO ring buffer of packs of one element type inside a [Pool].
//
// Obtain one with [Get]; the zero value is not usable. A Pend must not be
// copied. It is not safe for concurrent use: inside a runlet only the
// scheduler calls it. Only data (None) and END packs are queued.
type Pend[T any] struct {
	acct
	ring  []hints.Pack[T] // len is 0 or a power of two
	head  int
	skips []hints.Pack[T] // IO pends: Skip packs for Span, scratch for Slots
	// pointers is whether T holds pointers, so that pulled slots must be
	// cleared for the GC.
	pointers bool
	sizeOf   func(T) int // nil in count pools: each pack counts 1
	tview    View[T]     // modeView: the typed view
	// drain is the runlet's drain flag (Binding.Drain) on an input chip's
	// IO input pend: once it is true, Pull and Span serve END packs.
	drain *bool
}

// Key returns the pend's key.
func (p *Pend[T]) Key() string { return p.key }

// Pool returns the pool the pend belongs to.
func (p *Pend[T]) Pool() *Pool { return p.pool }

// Len returns the number of queued packs; the IO input pend, an endless
// supply, reports [Unlimited].
func (p *Pend[T]) Len() int {
	switch p.mode {
	case modeInput:
		return Unlimited
	case modeView:
		return p.acct.view.Len()
	}
	return p.packs
}

// Size returns the accounted size of the queued packs.
func (p *Pend[T]) Size() int { return p.size }

// Room estimates how many more packs may be pushed before the pend is
// limited, for callers that hand out work in batches. It is 0 when the pend is
// limited. Byte pools cannot know the size of packs not yet made and answer 1.
func (p *Pend[T]) Room() int {
	if p.Limited() {
		return 0
	}
	if p.mode == modeOutput || p.mode == modeGone {
		return Unlimited
	}
	if p.sizeOf != nil || p.mode == modeView {
		return 1
	}
	// Pushes below the private size are free; past it each push costs one
	// unit of the pool's and the pend's remaining budget. The push that
	// reaches a limit is still allowed, hence the +1, once: packs expected
	// in this pend have used it. Packs expected anywhere in the pool count
	// as pushed, so producers sharing a pool do not each take its room.
	size, bust := p.size+p.expect, 1
	if p.expect > 0 {
		bust = 0
	}
	free := max(0, p.private-size)
	shared := max(0, min(p.pool.limit-(p.pool.size+p.pool.expect), p.limit-max(size, p.private)))
	if shared >= Unlimited-free-1 { // no limit binds: do not overflow
		return Unlimited
	}
	return free + shared + bust
}

// Expect counts n packs that a producer is making for this pend (an async
// chip's batch in flight), or with n < 0 that it made or dropped. Expected
// packs count as if pushed in [Pend.Room] of this pend and of every pend of
// the pool, in [Pend.Free], and in the pool-size half of [Pend.Limited]
// (size > private is still this pend's own queue, so a pend that queues
// nothing is never limited); never in Size. It reports whether the pend counts
// them: only the pends of a count pool do; views, byte pools and the IO
// pends do not, so their producers must keep count themselves.
func (p *Pend[T]) Expect(n int) bool {
	if p.sizeOf != nil || (p.mode != modeQueue && p.mode != modeGone) {
		return false
	}
	p.expect += n
	p.pool.expect += n
	return true
}

// Free returns how many more times in a row [Pend.Limited] is sure to report
// false, provided each step adds at most one unit to this pend and to the
// pool (one push of a count pool) and nothing else pushes into the pool
// meanwhile. A sync chip checks the limit only when this window is used up.
// It is 0 when the pend is limited and in byte pools, where a push may add
// more than one unit.
func (p *Pend[T]) Free() int {
	switch {
	case p.mode == modeOutput || p.mode == modeGone:
		return Unlimited
	case p.mode != modeQueue || p.sizeOf != nil:
		return 0
	}
	// Limited is false while size <= private, or while pool size < pool
	// limit and size < pend limit; after j pushes both sizes grew by <= j.
	return max(0, p.private-p.size+1, min(p.pool.limit-(p.pool.size+p.pool.expect), p.limit-p.size))
}

// units is what a pack of v counts: 1 in a count pool, its bytes in a byte
// pool.
func (p *Pend[T]) units(v T) int {
	if p.sizeOf == nil {
		return 1
	}
	return p.sizeOf(v)
}

// Units returns what a pack of v counts in this pend: 1 in a count pool,
// its byte length in a byte pool.
func (p *Pend[T]) Units(v T) int { return p.units(v) }

// Reserve counts n units in the pend as if packs of that size were queued,
// without queuing anything: for outputs that wait somewhere else (an
// ordered chip's reorder buffer) but must still press on the limits. Release
// gives them back. The IO pends ignore both.
func (p *Pend[T]) Reserve(n int) {
	if p.mode == modeQueue {
		p.add(n)
	}
}

// Release undoes Reserve(n).
func (p *Pend[T]) Release(n int) {
	if p.mode == modeQueue {
		p.sub(n)
	}
}

// Push appends pk. It fails for Skip and Redo packs (only data and END packs
// travel through pends), and on the IO pends for anything but END into
// [OutputKey]. Push does not check [Pend.Limited]: the scheduler checks before
// a chip runs, and one result may bust the limit.
//
// An END pack is queued as one pack that keeps its count ([hints.Pack.Ends]);
// readers take one END from it at a time. A pend with several producers
// ([Pool.SetProducers]) queues nothing for each END pushed but the last,
// which carries the counts of all of them.
func (p *Pend[T]) Push(pk hints.Pack[T]) error {
	if p.mode != modeQueue || pk.Hint != hints.None {
		return p.pushSlow(pk)
	}
	if p.packs == len(p.ring) {
		p.grow()
	}
	p.ring[(p.head+p.packs)&(len(p.ring)-1)] = pk
	p.packs++
	p.add(p.units(pk.Value))
	return nil
}

// PushFront puts pk back at the head of the pend, as if it had never been
// pulled. It is for chips that pulled more than they could use.
func (p *Pend[T]) PushFront(pk hints.Pack[T]) error {
	if p.mode == modeView {
		return fmt.Errorf("pool %q: view %q: packs cannot be put back into a view", p.pool.key, p.key)
	}
	if p.mode == modeQueue && pk.Hint == hints.End { // given back: no fan-in
		p.queueEnd(pk, true)
		return nil
	}
	if p.mode != modeQueue || pk.Hint != hints.None {
		return p.pushSlow(pk)
	}
	if p.packs == len(p.ring) {
		p.grow()
	}
	p.head = (p.head - 1) & (len(p.ring) - 1)
	p.ring[p.head] = pk
	p.packs++
	p.add(p.units(pk.Value))
	return nil
}

func (p *Pend[T]) pushSlow(pk hints.Pack[T]) error {
	switch {
	case p.mode == modeQueue && pk.Hint == hints.End:
		p.queueEnd(pk, false)
		return nil
	case p.mode == modeView && pk.Hint <= hints.End:
		return p.tview.Push(pk)
	case p.mode == modeView:
		return fmt.Errorf("pool %q: view %q: cannot push a %v pack (only data and END packs travel through pends)", p.pool.key, p.key, pk.Hint)
	case p.mode == modeOutput && pk.Hint == hints.End, p.mode == modeGone && pk.Hint <= hints.End:
		return nil
	case p.mode == modeOutput:
		return fmt.Errorf("pool %q: pend %q accepts only END, got %v (an output chip returns SKIP for data)", p.pool.key, p.key, pk.Hint)
	case p.mode == modeInput:
		return fmt.Errorf("pool %q: pend %q cannot be pushed to (it is an input chip's source)", p.pool.key, p.key)
	}
	return fmt.Errorf("pool %q: pend %q: cannot queue a %v pack (only data and END packs travel through pends)", p.pool.key, p.key, pk.Hint)
}

// queueEnd queues an END pack on an ordinary pend, at the front when it is
// given back. The pack keeps its count: one pack, whatever the count. Of the
// END pushes to a pend with several producers, only the last is queued, with
// the counts of all.
func (p *Pend[T]) queueEnd(pk hints.Pack[T], front bool) {
	n := pk.Ends()
	if !front && p.producers > 1 {
		p.endsIn++
		p.endsHeld = min(p.endsHeld+n, math.MaxInt32)
		if p.endsIn < p.producers {
			return
		}
		n, p.endsIn, p.endsHeld = p.endsHeld, 0, 0
	}
	pk.Count = 0
	if n >= 2 {
		pk.Count = int32(n)
		p.counted++
	}
	if p.packs == len(p.ring) {
		p.grow()
	}
	i := (p.head + p.packs) & (len(p.ring) - 1)
	if front {
		p.head = (p.head - 1) & (len(p.ring) - 1)
		i = p.head
	}
	p.ring[i] = pk
	p.packs++
	p.add(p.units(pk.Value))
}

// countedHead reports whether the pend's head is an END pack whose count is
// 2 or more: readers take one END from it and leave the rest queued.
func (p *Pend[T]) countedHead() bool {
	if p.counted == 0 || p.packs == 0 {
		return false
	}
	pk := &p.ring[p.head]
	return pk.Hint == hints.End && pk.Count >= 2
}

// takeEnd takes one END from the counted END pack at the head, which stays
// queued, and returns it as a plain END pack.
func (p *Pend[T]) takeEnd() hints.Pack[T] {
	h := &p.ring[p.head]
	h.Count--
	pk := *h
	if h.Count < 2 {
		h.Count = 0
		p.counted--
	}
	pk.Count = 0
	return pk
}

// spanCounted is Span on a pend that holds a counted END pack: the packs
// before it, or, at the head, one plain END taken from it by Drop(1).
func (p *Pend[T]) spanCounted(max int) []hints.Pack[T] {
	if p.countedHead() {
		if len(p.skips) == 0 {
			p.skips = make([]hints.Pack[T], 1)
		}
		p.skips[0] = p.ring[p.head]
		p.skips[0].Count = 0
		return p.skips[:1]
	}
	run := p.ring[p.head : p.head+min(max, p.packs, len(p.ring)-p.head)]
	for i := range run {
		if run[i].Hint == hints.End && run[i].Count >= 2 {
			return run[:i]
		}
	}
	return run
}

// SetProducers says how many producers push into pend, each ending with one
// END push (whatever its count). With n >= 2 the pend queues no END until
// all n have pushed theirs, then one END pack carrying the sum of their
// counts, so that its readers take their ENDs after every producer's last
// value; END packs it already holds (pushed from outside before the runlet
// was attached) count as pushes. With n < 2 each END push is queued as it
// comes. It forgets ENDs held back from before. A logical pool's key is set
// on its inner pool's pend; views, the IO pool and unknown pools are left
// alone.
func (p *Pool) SetProducers(pend string, n int) {
	switch {
	case p.kind == Logical && p.inner != nil && p.views[pend] == nil:
		p.inner.SetProducers(pend, n)
	case p.kind == Count || p.kind == Bytes:
		a := p.acct(pend)
		a.producers, a.endsIn, a.endsHeld = n, 0, 0
		if t, ok := a.typed.(interface{ holdEnds() }); ok && n > 1 && a.mode == modeQueue {
			t.holdEnds()
		}
	}
}

// ShareProducers is SetProducers for a pend that runlets of one scheduling
// group may share, said by one runlet as it attaches: chips is how many of
// its chips push into pend, passive 1 if it also feeds pend from outside (a
// PendInput), else 0. A runlet whose chips do not feed pend (chips 0) while
// another runlet's chips do reads pend through that runlet's edge: its
// PendInput is no producer, and the count is left as the chips set it.
// Otherwise the count becomes chips+passive. ENDs already held back are kept
// (unless the new count leaves too few producers to wait for, when they are
// forgotten, as SetProducers does); [Pool.Abandon] forgets the count.
func (p *Pool) ShareProducers(pend string, chips, passive int) {
	switch {
	case p.kind == Logical && p.inner != nil && p.views[pend] == nil:
		p.inner.ShareProducers(pend, chips, passive)
	case p.kind == Count || p.kind == Bytes:
		a := p.acct(pend)
		if chips == 0 && a.chipFed {
			return
		}
		n := chips + passive
		a.chipFed = chips > 0
		if a.endsIn >= n {
			a.endsIn, a.endsHeld = 0, 0
		}
		a.producers = n
		if t, ok := a.typed.(interface{ holdEnds() }); ok && n > 1 && a.mode == modeQueue {
			t.holdEnds()
		}
	}
}

// holdEnds takes the END packs out of the queue and pushes them again, so
// that they count toward the pend's producers.
func (p *Pend[T]) holdEnds() {
	var ends []hints.Pack[T]
	k, mask := 0, len(p.ring)-1
	for i := range p.packs {
		pk := p.ring[(p.head+i)&mask]
		if pk.Hint == hints.End {
			ends = append(ends, pk)
			p.sub(p.units(pk.Value))
			continue
		}
		p.ring[(p.head+k)&mask] = pk
		k++
	}
	for i := k; i < p.packs; i++ {
		p.ring[(p.head+i)&mask] = hints.Pack[T]{}
	}
	p.packs, p.counted = k, 0
	for _, pk := range ends {
		p.queueEnd(pk, false)
	}
}

// Span returns up to max queued packs from the head, contiguous in the ring,
// without removing them; [Pend.Drop] removes them. The IO input pend returns
// Skip packs. The slice is valid until the next call that changes the pend.
// Span and Drop, with [Pend.Slots] and [Pend.Commit], let a chip process a
// run of packs with the bookkeeping done once per run.
func (p *Pend[T]) Span(max int) []hints.Pack[T] {
	if p.mode == modeView { // a view serves one pack at a time
		pk, ok := p.tview.Peek()
		if !ok || max <= 0 {
			return nil
		}
		if p.skips == nil {
			p.skips = make([]hints.Pack[T], 1)
		}
		p.skips[0] = pk
		return p.skips[:1]
	}
	if p.mode == modeInput {
		if p.drain != nil && *p.drain {
			return p.ends()
		}
		if p.skips == nil {
			p.skips = make([]hints.Pack[T], 64)
			for i := range p.skips {
				p.skips[i].Hint = hints.Skip
			}
		}
		return p.skips[:min(max, len(p.skips))]
	}
	if p.packs == 0 || max <= 0 {
		return nil
	}
	if p.counted > 0 {
		return p.spanCounted(max)
	}
	return p.ring[p.head : p.head+min(max, p.packs, len(p.ring)-p.head)]
}

// Drop removes the first n queued packs, as n pulls would. n must not exceed
// what the last Span returned.
func (p *Pend[T]) Drop(n int) {
	if p.mode == modeView {
		for range n {
			p.tview.Pull()
		}
		return
	}
	if p.mode != modeQueue || n <= 0 {
		return
	}
	if p.counted > 0 && p.countedHead() { // Span gave one END of it
		p.takeEnd()
		return
	}
	span := p.ring[p.head : p.head+n]
	units := n
	if p.sizeOf != nil {
		units = 0
		for i := range span {
			units += p.units(span[i].Value)
		}
	}
	if p.pointers {
		clear(span) // drop references for the GC
	}
	p.head = (p.head + n) & (len(p.ring) - 1)
	p.packs -= n
	p.sub(units)
}

// Slots returns at least one and at most max free slots at the tail,
// contiguous in the ring (growing it if full), for [Pend.Commit]. The IO
// output pend returns scratch slots.
func (p *Pend[T]) Slots(max int) []hints.Pack[T] {
	max = min(max, 256) // the most one Commit needs to hold; keeps a full ring from growing without need
	if p.mode != modeQueue {
		if len(p.skips) < max {
			p.skips = make([]hints.Pack[T], max)
		}
		return p.skips[:max]
	}
	if p.packs == len(p.ring) {
		p.grow()
	}
	tail := (p.head + p.packs) & (len(p.ring) - 1)
	n := len(p.ring) - p.packs // free slots
	if tail >= p.head {
		n = min(n, len(p.ring)-tail) // up to the end of the ring
	}
	return p.ring[tail : tail+min(max, n)]
}

// Commit appends the first n packs written into the last Slots, as n pushes
// would. The caller must have written only data packs on an ordinary pend:
// unlike Push, Commit does not look at each pack's hint there (that is the
// point of it), so an END, which the pend counts, goes through Push. On the
// IO output pend it pushes each pack, so anything but END is an error.
func (p *Pend[T]) Commit(n int) error {
	if n <= 0 {
		return nil
	}
	if p.mode != modeQueue {
		for i := range n {
			if err := p.Push(p.skips[i]); err != nil {
				return err
			}
		}
		return nil
	}
	units := n
	if p.sizeOf != nil {
		tail := (p.head + p.packs) & (len(p.ring) - 1)
		units = 0
		for _, pk := range p.ring[tail : tail+n] {
			units += p.sizeOf(pk.Value)
		}
	}
	p.packs += n
	p.add(units)
	return nil
}

// Pull removes and returns the oldest pack; ok is false when the pend is
// empty. The IO input pend returns a fresh Skip pack every time; the IO
// output pend is always empty.
func (p *Pend[T]) Pull() (pk hints.Pack[T], ok bool) {
	if p.packs == 0 {
		switch p.mode {
		case modeInput:
			if p.drain != nil && *p.drain {
				return hints.EndOf[T](1), true
			}
			return hints.Pack[T]{Hint: hints.Skip}, true
		case modeView:
			return p.tview.Pull()
		}
		return pk, false
	}
	if p.counted > 0 && p.countedHead() {
		return p.takeEnd(), true
	}
	pk = p.ring[p.head]
	if p.pointers {
		p.ring[p.head] = hints.Pack[T]{} // drop the reference for the GC
	}
	p.head = (p.head + 1) & (len(p.ring) - 1)
	p.packs--
	p.sub(p.units(pk.Value))
	return pk, true
}

// Peek returns the oldest pack without removing it; ok is false when the pend
// is empty (the IO input pend peeks a Skip pack).
func (p *Pend[T]) Peek() (pk hints.Pack[T], ok bool) {
	if p.packs == 0 {
		switch p.mode {
		case modeInput:
			return hints.Pack[T]{Hint: hints.Skip}, true
		case modeView:
			return p.tview.Peek()
		}
		return pk, false
	}
	pk = p.ring[p.head]
	if p.counted > 0 && p.countedHead() {
		pk.Count = 0
	}
	return pk, true
}

func (p *Pend[T]) grow() {
	n := max(16, 2*len(p.ring))
	ring := make([]hints.Pack[T], n)
	for i := range p.packs {
		ring[i] = p.ring[(p.head+i)&(len(p.ring)-1)]
	}
	p.ring, p.head = ring, 0
}

// dropAll empties the pend, accounting included.
func (p *Pend[T]) dropAll() {
	clear(p.ring)
	p.head, p.packs, p.counted = 0, 0, 0
	p.endsIn, p.endsHeld = 0, 0 // ENDs held back count as queued
	p.sub(p.size)
}

// Abandoned reports whether the pend was abandoned ([Pool.Abandon]): nobody
// reads it any more and what is pushed to it is discarded.
func (p *Pend[T]) Abandoned() bool { return p.mode == modeGone }

func (p *Pend[T]) describe(maxPacks int) []string {
	if p.packs == 0 {
		return nil
	}
	out := make([]string, 0, min(p.packs, maxPacks+1))
	for i := range min(p.packs, maxPacks) {
		pk := p.ring[(p.head+i)&(len(p.ring)-1)]
		s := pk.String() + "|IDLE"
		if n := pk.Ends(); n >= 2 {
			s += fmt.Sprintf(" x%d", n)
		}
		out = append(out, s)
	}
	if p.packs > maxPacks {
		out = append(out, fmt.Sprintf("...+%d", p.packs-maxPacks))
	}
	return out
}

// sizerFor returns how a byte pool measures a T, or nil if it cannot.
func sizerFor[T any]() func(T) int {
	t := reflect.TypeFor[T]()
	switch {
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return func(v T) int { return len(*(*[]byte)(unsafe.Pointer(&v))) }
	case t.Kind() == reflect.String:
		return func(v T) int { return len(*(*string)(unsafe.Pointer(&v))) }
	case t.Implements(reflect.TypeFor[Sizer]()) && t.Kind() == reflect.Pointer:
		return func(v T) int { return any(v).(Sizer).Size() }
	case reflect.PointerTo(t).Implements(reflect.TypeFor[Sizer]()):
		return func(v T) int { return any(&v).(Sizer).Size() }
	}
	return nil
}

// viewState is a view's Len and Limited, for Snapshot.
func (p *Pend[T]) viewState() (int, bool) { return p.acct.view.Len(), p.acct.view.Limited() }

// hasPointers reports whether values of t hold pointers the GC follows.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	}
	return true
}
