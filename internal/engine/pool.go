package engine

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
)

// Unlimited is the limit that never binds: a pool or pend with no limit.
const Unlimited = math.MaxInt

// Keys of the IO pool and its two pends.
const (
	IOKey     = "runlet:pool:io"     // the IO pool's key
	InputKey  = "runlet:pend:input"  // an input chip's prev pend
	OutputKey = "runlet:pend:output" // an output chip's next pend
)

// Kind says how a pool measures packs.
//
// A Kind is a plain value, safe to copy and use from any goroutine; the zero
// value is [Count].
type Kind uint8

const (
	Count Kind = iota // each pack counts 1
	Bytes             // each pack counts its value's byte length
	IO                // the IO pool: holds nothing
)

// String returns "count", "bytes", "io" or "logical", or "Kind(n)" for a
// value that is none of them.
func (k Kind) String() string {
	switch k {
	case Count:
		return "count"
	case Bytes:
		return "bytes"
	case IO:
		return "io"
	case Logical:
		return "logical"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Sizer is implemented by element types of byte pools that are neither
// []byte nor string. Size returns the byte length to account for a value.
// A value type with a value receiver is boxed to call Size, which may
// allocate; a pointer element type or a pointer receiver does not.
type Sizer interface{ Size() int }

// Pool is a shared size budget split into pends.
//
// A Pool is created with [NewPool] or [NewLogical] (package pool's
// constructors call them; pool.Pool is defined on this type); the zero value is not
// usable. It must not be copied after first use. It is not safe for
// concurrent use: inside a runlet only the scheduler calls it.
type Pool struct {
	key    string
	kind   Kind
	limit  int
	size   int // Σ private + Σ max(0, size-private)
	high   int // highest size seen
	expect int // packs producers are making for its pends (Pend.Expect)

	pends map[string]*acct // by pend key
	order []*acct          // in configuration order, for Snapshot

	inner   *Pool               // Logical: the pool that stores the packs
	views   map[string]*viewDef // Logical: views by pend key
	groupOf map[string]string   // storage pools: pend key -> wake group of views over it
	sched   *group              // the scheduling group of the runlets using it, under regMu (group.go)
}

// NewPool returns a pool of the given kind (Count, Bytes or IO; a logical
// pool comes from [NewLogical]). Package pool's constructors call it.
func NewPool(key string, kind Kind, limit int) *Pool {
	return &Pool{key: key, kind: kind, limit: limit, pends: map[string]*acct{}}
}

// Key returns the pool's key.
func (p *Pool) Key() string { return p.key }

// Kind returns how the pool measures packs.
func (p *Pool) Kind() Kind { return p.kind }

// Limit returns the shared limit ([Unlimited] for none); a logical pool's is
// its inner pool's.
func (p *Pool) Limit() int {
	if p.inner != nil {
		return p.inner.Limit()
	}
	return p.limit
}

// Size returns the accounted size: every private size plus every pend's share
// above its private size (a logical pool: its inner pool's).
func (p *Pool) Size() int {
	if p.inner != nil {
		return p.inner.Size()
	}
	return p.size
}

// High returns the highest Size seen since the pool was created (a logical
// pool: its inner pool's).
func (p *Pool) High() int {
	if p.inner != nil {
		return p.inner.High()
	}
	return p.high
}

// Check reports a problem with the pool's own settings: an empty key or a
// negative limit.
func (p *Pool) Check() error {
	var errs []error
	if p.key == "" {
		errs = append(errs, errors.New("pool with an empty key"))
	}
	if p.limit < 0 {
		errs = append(errs, fmt.Errorf("pool %q: negative limit %d", p.key, p.limit))
	}
	if p.kind == Logical && (p.inner == nil || p.inner.kind == Logical || p.inner.kind == IO) {
		errs = append(errs, fmt.Errorf("pool %q: a logical pool needs an inner count or byte pool", p.key))
	}
	return errors.Join(errs...)
}

// Configure sets a pend's private (reserved) size and its pend limit; a limit
// of 0 means none (a limit at or below private+1 already means "no shared
// space", so 0 is free to mean unlimited). The private size counts toward the
// pool from now on. Configure must happen before the pend holds packs; it
// fails for negative sizes, for a pend that is not empty, and on the IO pool
// for anything but zero sizes on its two pends.
func (p *Pool) Configure(pend string, private, limit int) error {
	if p.kind == Logical {
		if p.views[pend] != nil {
			if private != 0 || limit != 0 {
				return fmt.Errorf("pool %q: view %q holds nothing and takes no sizes (size its viewees)", p.key, pend)
			}
			return nil
		}
		if p.inner == nil {
			return fmt.Errorf("pool %q: logical pool without an inner pool", p.key)
		}
		return p.inner.Configure(pend, private, limit)
	}
	if p.kind == IO {
		if pend != InputKey && pend != OutputKey {
			return fmt.Errorf("pool %q: no pend %q (the IO pool has only %q and %q)", p.key, pend, InputKey, OutputKey)
		}
		if private != 0 || limit != 0 {
			return fmt.Errorf("pool %q: pend %q takes no sizes (got private %d, limit %d)", p.key, pend, private, limit)
		}
		return nil
	}
	if private < 0 || limit < 0 {
		return fmt.Errorf("pool %q: pend %q: negative size (private %d, limit %d)", p.key, pend, private, limit)
	}
	if limit == 0 {
		limit = Unlimited
	}
	a := p.acct(pend)
	if a.packs != 0 {
		return fmt.Errorf("pool %q: pend %q: configured while holding %d packs", p.key, pend, a.packs)
	}
	p.size += private - a.private
	a.private, a.limit = private, limit
	p.noteHigh()
	return nil
}

// acct returns the accounting record of a pend, creating it with no private
// size and no limit.
func (p *Pool) acct(pend string) *acct {
	a := p.pends[pend]
	if a == nil {
		a = &acct{pool: p, key: pend, limit: Unlimited}
		p.pends[pend] = a
		p.order = append(p.order, a)
	}
	return a
}

func (p *Pool) noteHigh() {
	if p.size > p.high {
		p.high = p.size
	}
}

// Get returns the pend of pool p under key, holding packs of T, creating it on
// first use. It fails when the pend already holds another element type, when
// a byte pool cannot size T, and on the IO pool for keys other than
// [InputKey] and [OutputKey]. Each call on the IO pool returns a fresh view,
// so every input and output chip may use its own element type.
func Get[T any](p *Pool, key string) (*Pend[T], error) {
	if p.kind == Logical {
		if d := p.views[key]; d != nil {
			return getView[T](p, key, d)
		}
		if p.inner == nil {
			return nil, fmt.Errorf("pool %q: logical pool without an inner pool", p.key)
		}
		return Get[T](p.inner, key)
	}
	typ := reflect.TypeFor[T]()
	if p.kind == IO {
		var m mode
		switch key {
		case InputKey:
			m = modeInput
		case OutputKey:
			m = modeOutput
		default:
			return nil, fmt.Errorf("pool %q: no pend %q (the IO pool has only %q and %q)", p.key, key, InputKey, OutputKey)
		}
		return &Pend[T]{acct: acct{pool: p, key: key, mode: m, elem: typ}}, nil
	}
	a := p.acct(key)
	if a.typed != nil {
		if pt, ok := a.typed.(*Pend[T]); ok {
			return pt, nil
		}
		return nil, fmt.Errorf("pool %q: pend %q holds %v, not %v", p.key, key, a.elem, typ)
	}
	// The typed pend embeds its accounting by value (one pointer hop less on
	// every push and pull); the pool's records now point into it.
	pt := &Pend[T]{acct: *a, pointers: hasPointers(typ)}
	p.pends[key] = &pt.acct
	for i := range p.order {
		if p.order[i] == a {
			p.order[i] = &pt.acct
		}
	}
	a = &pt.acct
	if p.kind == Bytes {
		sz := sizerFor[T]()
		if sz == nil {
			return nil, fmt.Errorf("pool %q: pend %q: byte pool cannot size %v (use []byte, string or a pool.Sizer)", p.key, key, typ)
		}
		pt.sizeOf = sz
	}
	a.typed, a.elem, a.show, a.drop = pt, typ, pt.describe, pt.dropAll
	return pt, nil
}

// Snapshot is a copy of a pool's state for Describe and tools.
//
// A Snapshot is a plain value that shares nothing with the pool: it may be
// kept, copied and read from any goroutine. The zero value describes nothing.
type Snapshot struct {
	Key   string         `json:"key"`
	Kind  string         `json:"kind"`
	Size  int            `json:"size"`
	Limit int            `json:"limit"` // -1 for none
	High  int            `json:"high"`
	Inner string         `json:"inner,omitempty"` // a logical pool's inner pool
	Pends []PendSnapshot `json:"pends,omitempty"` // a logical pool: its views
}

// PendSnapshot is a copy of one pend's state.
//
// Like [Snapshot], it is a plain value, safe to copy and read from any
// goroutine.
type PendSnapshot struct {
	Key     string   `json:"key"`
	Type    string   `json:"type,omitempty"`
	Size    int      `json:"size"`
	Private int      `json:"private"`
	Limit   int      `json:"limit"` // -1 for none
	Packs   int      `json:"packs"`
	Limited bool     `json:"limited"`
	Queued  []string `json:"queued,omitempty"`  // the first packs, as Pack.String
	Viewees []string `json:"viewees,omitempty"` // a view: the pends it is over
}

// MaxQueued is how many queued packs a [PendSnapshot] describes.
const MaxQueued = 8

// Snapshot returns a copy of the pool's state, pends in configuration order.
func (p *Pool) Snapshot() Snapshot {
	s := Snapshot{Key: p.key, Kind: p.kind.String(), Size: p.Size(), Limit: shownLimit(p.Limit()), High: p.High()}
	if p.kind == Logical {
		if p.inner != nil {
			s.Inner = p.inner.key
		}
		keys := make([]string, 0, len(p.views))
		for k := range p.views {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			d := p.views[k]
			ps := PendSnapshot{Key: k, Type: d.elem.String(), Limit: -1, Viewees: slices.Clone(d.viewees)}
			if pt, ok := d.made.(interface{ viewState() (int, bool) }); ok {
				ps.Packs, ps.Limited = pt.viewState()
			}
			s.Pends = append(s.Pends, ps)
		}
		return s
	}
	for _, a := range p.order {
		ps := PendSnapshot{Key: a.key, Size: a.size, Private: a.private, Limit: shownLimit(a.limit), Packs: a.packs, Limited: a.Limited()}
		if a.elem != nil {
			ps.Type = a.elem.String()
		}
		if a.show != nil {
			ps.Queued = a.show(MaxQueued)
		}
		s.Pends = append(s.Pends, ps)
	}
	return s
}

func shownLimit(l int) int {
	if l == Unlimited {
		return -1
	}
	return l
}

// Abandon drops what pend holds and makes it discard every pack pushed to it
// from then on; it is never limited meanwhile. It is for a pend nobody will
// read any more (its readers ended early, say after a Take), so that its
// packs do not hold the pool's budget and a view that also feeds it (a
// Duplicate) is not held back by it. A load-balancing view skips abandoned
// viewees. [Pool.Restore] undoes it. Views, IO pends and unknown keys are
// left alone.
func (p *Pool) Abandon(pend string) {
	if p.kind == Logical && p.inner != nil {
		p.inner.Abandon(pend)
		return
	}
	a := p.pends[pend]
	if a == nil || a.mode != modeQueue {
		return
	}
	if a.drop != nil {
		a.drop()
	}
	a.sub(a.size) // units reserved for a reorder buffer
	a.mode = modeGone
	a.producers, a.chipFed = 0, false // the next runlet to attach counts them
}

// Restore makes an abandoned pend an ordinary, empty one again.
func (p *Pool) Restore(pend string) {
	if p.kind == Logical && p.inner != nil {
		p.inner.Restore(pend)
		return
	}
	if a := p.pends[pend]; a != nil && a.mode == modeGone {
		a.mode = modeQueue
	}
}
