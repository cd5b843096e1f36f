package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// FuzzAttach decodes its input into a runlet configuration (pools, logical
// pools and views, chips over typed pend declarations, passive handles),
// with faults of every kind Attach is meant to catch mixed in, and checks:
//
//   - nothing panics, and Attach and Run return (a deadlock fails the
//     synctest bubble; a watchdog in real time fails a spin);
//   - every fault the decoder injected is reported, naming its culprit (the
//     chip, pool or pend key, or "#i" for a nil or keyless one), and every
//     problem Attach lists names some chip, pool or pend of the config;
//   - a config Attach accepts runs to an end: nil, a [runlet.ChipError] of one
//     of its chips, or a stall whose message shows every chip; a graph without
//     a cycle never needs more than a fixed number of chip runs; no goroutine
//     is left behind (the bubble would not end).
//
// The input is a program of fixed-size instructions (see fz* below), so that
// seeds read as configs and mutations stay meaningful.
func FuzzAttach(f *testing.F) {
	for _, s := range attachSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAttach(t, data)
	})
}

// Instructions. Each starts with an opcode byte (taken mod fzOps) and has a
// fixed number of argument bytes; a short input reads zeros past its end.
const (
	fzPool   = iota // kind, key, limit, inner: a pool (see pk*)
	fzChip          // kind, key, prev (pool, pend, size), next (pool, pend, size), a, b: a chip (see ck*, fzRef)
	fzView          // pool, kind, name, n, viewee×3: a view of a logical pool (see vk*, fzViewee)
	fzHandle        // in/out, pool, pend: PendInput or PendOutput of ints (see fzRef)
	fzOps
)

// Pool kinds.
const (
	pkCount   = iota
	pkBytes   // holds ints, which a byte pool cannot size
	pkLogical // over pools[inner], or nil, or a pool no reference names
	pkNil     // no runlet can hold it: a logical pool over it, a view in it
	pkIO
	pkKinds
)

// Chip kinds. a and b are parameters.
const (
	ckSource    = iota // FromSlice of a%8 ints into next
	ckMap              // +1 map; a: flags mf*, b: concurrency (fzConc)
	ckFlat             // FlatMap to 0, 1 or 2 values
	ckFilter           // keeps odd values
	ckTake             // Take a%4 (-1 for a%4 == 3)
	ckSink             // output chip of ints, from prev
	ckStrSource        // FromSlice of strings: a type clash with int chips
	ckRegulator        // ENDRegulator, counts fzCounts[a%4], fzCounts[b%4]
	ckNil              // a nil Chip
	ckTypedNil         // a nil *chip.Func: Spec panics
	ckPairSink         // output chip of logicalpool.Pair[int, int] (a Join2 reader)
	ckKinds
)

// Map flags.
const (
	mfAsync      = 1 << iota
	mfOrdered    // on a sync chip too
	mfNilProcess // no Process
	mfError      // fails on value 3
	mfPanic      // panics on value 4
	mfBadState   // the State factory panics (at Bind)
)

// View kinds.
const (
	vkDuplicate = iota
	vkRoundRobin
	vkLeastFilled
	vkMerge
	vkJoin2
	vkBadStrategy
	vkKinds
)

var (
	fzPoolKeys = []string{"p", "q", "L", "", "p\u0301", "\x00\xff", pool.IOKey, "r"}
	// References may name pools that are not there (see fzDecl).
	fzRefPools = []string{"p", "q", "L", "r", "", fzNope, pool.IOKey, "\x00\xff"}
	fzPendKeys = []string{"a", "b", "c", "d", "v", "w", "", "é", "\u202e", pool.InputKey, pool.OutputKey}
	fzChipKeys = []string{"c0", "c1", "c2", "c3", "c4", "", "c0", "\u00e9\t"}
	fzLimits   = []int{pool.Unlimited, 0, 1, 2, 3, 16, -1, math.MinInt}
	fzSizes    = [][2]int{{0, 0}, {0, 0}, {1, 0}, {0, 2}, {2, 4}, {-1, 0}, {0, -3}, {5, 1},
		{math.MaxInt, 0}, {0, math.MaxInt}, {math.MaxInt, math.MaxInt}}
	fzConc   = []int{0, 1, 2, 3, -1, math.MinInt, 1 << 40, math.MaxInt}
	fzCounts = []int{1, 2, 0, -1}
)

// Limits on what one input builds, to keep each run short.
const (
	fzMaxPools, fzMaxChips, fzMaxViews, fzMaxHandles = 6, 8, 4, 3
	// fzDAGRuns bounds the chip runs and process calls of a finite graph
	// (see fzConfig.endless): its sources hold at most 7 values each and no
	// chip makes more than 2 outputs per input, so a few thousand is
	// plenty; more means the scheduler spins.
	fzDAGRuns = 1 << 16
	// fzCycleRuns bounds a graph whose flow may never end.
	fzCycleRuns = 2000
)

// fzReader hands out the input's bytes; past the end it reads zeros.
type fzReader struct {
	b []byte
	i int
}

func (r *fzReader) next() int {
	if r.i >= len(r.b) {
		r.i++
		return 0
	}
	c := r.b[r.i]
	r.i++
	return int(c)
}

func (r *fzReader) done() bool { return r.i >= len(r.b) }

func fzPick[T any](r *fzReader, from []T) T { return from[r.next()%len(from)] }

// fzConfig is a decoded configuration and what the decoder knows about it.
type fzConfig struct {
	pools    []*pool.Pool          // as decoded; the runlet holds those its chips and handles name
	limits   map[*pool.Pool]int    // each decoded pool's limit
	io       *pool.Pool            // the IO pool references make when no decoded pool has its key
	unnamed  map[fzUnnamedKey]any  // the one unnamed *pool.Pend[T] of each pool and T
	reg      map[string]*pool.Pool // pools Attach registers, by key (see analyze)
	chips    []chip.Chip
	keys     []string // chip keys, "" for nil chips
	views    map[*pool.Pool]map[string]fzViewDef
	names    []string // every non-empty chip, pool, pend and view name, for culprit checks
	faults   []fzFault
	handles  []fzHandleSpec
	spinning *atomic.Int64  // chip runs and process calls so far
	limit    *atomic.Int64  // chip runs allowed before errRunaway
	prevRefs []chip.PendRef // the chips' Specs, once runlet.New named their pends
	nextRefs []chip.PendRef
	bound    []bool // the chip has a Spec: Attach binds it
	source   []bool // a FromSlice: it ends by itself
}

// fzFault is an injected problem and the texts its report must contain.
type fzFault struct {
	what string
	want []string
}

func (c *fzConfig) fault(want []string, format string, a ...any) {
	c.faults = append(c.faults, fzFault{what: fmt.Sprintf(format, a...), want: want})
}

// fzNope is the reference pool that stands for the zero pool.Pend: no pool
// and no key.
const fzNope = "nope"

var (
	errValue   = errors.New("fuzz: value 3 fails")
	errRunaway = errors.New("fuzz: too many chip runs")
)

func decodeAttach(data []byte) *fzConfig {
	r := &fzReader{b: data}
	c := &fzConfig{
		limits:   map[*pool.Pool]int{},
		unnamed:  map[fzUnnamedKey]any{},
		views:    map[*pool.Pool]map[string]fzViewDef{},
		spinning: new(atomic.Int64),
		limit:    new(atomic.Int64),
	}
	// Chips and handles are made once every pool is known: a reference
	// resolves its pool key among all the decoded pools.
	type chipArgs struct {
		kind       int
		key        string
		prev, next fzRef
		a, b       int
	}
	var chips []chipArgs
	var handles []fzRef
	var handleIn []bool
	var views int
	for !r.done() {
		switch r.next() % fzOps {
		case fzPool:
			kind, key, limit, inner := r.next()%pkKinds, fzPick(r, fzPoolKeys), fzPick(r, fzLimits), r.next()
			if len(c.pools) < fzMaxPools {
				c.addPool(kind, key, limit, inner)
			}
		case fzChip:
			kind, key := r.next()%ckKinds, fzPick(r, fzChipKeys)
			prev, next := fzReadRef(r), fzReadRef(r)
			a, b := r.next(), r.next()
			if len(chips) < fzMaxChips {
				chips = append(chips, chipArgs{kind, key, prev, next, a, b})
			}
		case fzView:
			p, kind, name, n := r.next(), r.next()%vkKinds, fzPick(r, fzPendKeys), r.next()%4
			viewees := []fzViewee{fzReadViewee(r), fzReadViewee(r), fzReadViewee(r)}[:n]
			if views < fzMaxViews && len(c.pools) > 0 {
				views++
				c.addView(c.pools[p%len(c.pools)], kind, name, viewees)
			}
		case fzHandle:
			in := r.next()%2 == 0
			ref := fzRef{pool: r.next()}
			ref.pend = fzPick(r, fzPendKeys)
			if len(handles) < fzMaxHandles {
				handles, handleIn = append(handles, ref), append(handleIn, in)
			}
		}
	}
	for _, a := range chips {
		c.addChip(a.kind, a.key, a.prev, a.next, a.a, a.b)
	}
	for i, ref := range handles {
		c.handles = append(c.handles, fzHandleSpec{in: handleIn[i], d: fzDecl[int](c, ref, "")})
	}
	return c
}

// fzRef is a decoded pend reference: pool is a byte whose residue picks a
// key of fzRefPools and whose quotient picks among the decoded pools with
// that key (so that a chip may name the second of two pools with one key);
// fzDecl turns it into a declaration of the element type its chip needs.
type fzRef struct {
	pool int
	pend string
	size [2]int
}

func fzReadRef(r *fzReader) fzRef {
	return fzRef{pool: r.next(), pend: fzPick(r, fzPendKeys), size: fzPick(r, fzSizes)}
}

// fzUnnamedKey is what an unnamed declaration is shared by.
type fzUnnamedKey struct {
	p    *pool.Pool
	elem string
}

// fzDecl declares the pend ref names, with element type T, for the side of a
// chip whose IO pend is io ("" for a passive handle):
//
//   - the IO pend, unsized, is nil: an input chip's prev, an output chip's
//     next;
//   - a pool key no decoded pool has is a declaration of no pool (the zero
//     Pend for fzNope), except the IO key: a pend of an IO pool (IO misuse);
//   - an empty pend key is the one unnamed declaration of that pool and T,
//     so that chips may share it (runlet.New names it after its producer,
//     or its first consumer; a keyless chip names nothing);
//   - else a declaration of its own: two of one key are one pend, and may
//     differ in element type and sizes.
//
// A reference sizes its pend when its sizes are not zero (a shared unnamed
// declaration keeps the last sizes given).
func fzDecl[T any](c *fzConfig, ref fzRef, io string) *pool.Pend[T] {
	key := fzRefPools[ref.pool%len(fzRefPools)]
	if io != "" && key == pool.IOKey && ref.pend == io && ref.size == [2]int{} {
		return nil
	}
	var with []*pool.Pool
	for _, p := range c.pools {
		if p != nil && p.Key() == key {
			with = append(with, p)
		}
	}
	var d *pool.Pend[T]
	switch {
	case len(with) > 0:
		p := with[ref.pool/len(fzRefPools)%len(with)]
		if ref.pend != "" {
			d = pool.NewPend[T](p, ref.pend)
			break
		}
		k := fzUnnamedKey{p, fmt.Sprintf("%T", new(T))}
		var ok bool
		if d, ok = c.unnamed[k].(*pool.Pend[T]); !ok {
			d = pool.NewPend[T](p, "")
			c.unnamed[k] = d
		}
	case key == pool.IOKey:
		if c.io == nil {
			c.io = pool.NewIO()
		}
		d = pool.NewPend[T](c.io, ref.pend)
	case key == fzNope:
		d = new(pool.Pend[T])
	default:
		d = pool.NewPend[T](nil, ref.pend)
	}
	if ref.size != [2]int{} {
		d.Size(ref.size[0], ref.size[1])
	}
	return d
}

// fzViewee is a decoded viewee: a byte whose residue picks its key of
// fzPendKeys and whose quotient's parity says whether it is declared in the
// logical pool or in its inner pool.
type fzViewee struct {
	key   string
	inner bool
}

func fzReadViewee(r *fzReader) fzViewee {
	b := r.next()
	return fzViewee{key: fzPendKeys[b%len(fzPendKeys)], inner: b/len(fzPendKeys)%2 == 1}
}

// analyze learns, once runlet.New has named the chips' pends and the handles
// are open, the runlet's pools (in the order New and the handles add them),
// the pools Attach registers, their faults, and the faults in the chips'
// references.
func (c *fzConfig) analyze() {
	var pools []*pool.Pool
	use := func(p *pool.Pool) {
		if p != nil && !slices.Contains(pools, p) {
			pools = append(pools, p)
		}
	}
	c.prevRefs, c.nextRefs = make([]chip.PendRef, len(c.chips)), make([]chip.PendRef, len(c.chips))
	for i, ch := range c.chips {
		if !c.bound[i] {
			continue
		}
		sp := ch.Spec()
		c.prevRefs[i], c.nextRefs[i] = sp.Prev, sp.Next
		for _, ref := range []chip.PendRef{sp.Prev, sp.Next} {
			if ref.Decl != nil {
				use((*pool.Pool)(ref.Decl.Pool()))
			}
		}
	}
	// runlet.New adds the inner pools of the chips' logical pools after
	// them; a handle adds its pool, then that pool's inner pool.
	for _, p := range slices.Clone(pools) {
		use(innerOf(p))
	}
	for _, h := range c.handles {
		if h.opened {
			use(h.d.Pool())
			if p := h.d.Pool(); p != nil {
				use(innerOf(p))
			}
		}
	}
	c.reg = map[string]*pool.Pool{}
	for i, p := range pools {
		c.checkPool(i, p)
	}
	c.checkRefs()
}

// checkPool records the faults of the runlet's pool #i.
func (c *fzConfig) checkPool(i int, p *pool.Pool) {
	key := p.Key()
	if p.Kind() == pool.Logical {
		if in := innerOf(p); in == nil || in.Kind() == pool.Logical || in.Kind() == pool.IO {
			c.fault([]string{culprit("pool", i, key), "logical pool"}, "logical pool #%d over %v", i, in)
			return
		}
	}
	switch {
	case key == "":
		c.fault([]string{culprit("pool", i, key)}, "pool #%d with an empty key", i)
	case p.Kind() != pool.Logical && p.Kind() != pool.IO && c.limits[p] < 0:
		c.fault([]string{culprit("pool", i, key), "negative limit"}, "pool #%d with limit %d", i, c.limits[p])
	case c.reg[key] != nil:
		c.fault([]string{"duplicate pool key " + strconv.Quote(key)}, "pool #%d duplicates key %q", i, key)
	case key == pool.IOKey && p.Kind() != pool.IO:
		c.fault([]string{strconv.Quote(key), "reserved"}, "pool #%d posing as the IO pool", i)
	default:
		c.reg[key] = p
	}
}

// checkRefs records the faults in the chips' references.
func (c *fzConfig) checkRefs() {
	for i := range c.chips {
		if !c.bound[i] {
			continue
		}
		who := culprit("chip", i, c.keys[i])
		for _, side := range []struct {
			what string
			ref  chip.PendRef
			io   string
		}{{"prev", c.prevRefs[i], pool.InputKey}, {"next", c.nextRefs[i], pool.OutputKey}} {
			ref := side.ref
			c.name(ref.Pend)
			switch {
			case ref.Pool == pool.IOKey && ref.Pend != side.io:
				c.fault([]string{who, "IO pool"}, "chip #%d: %s %v", i, side.what, ref)
			case ref.Pool == pool.IOKey && (ref.SizePrivate != 0 || ref.SizeLimit != 0):
				c.fault([]string{who, "IO pends take no sizes"}, "chip #%d: %s %v sized", i, side.what, ref)
			case ref.Pool == pool.IOKey:
			case ref.Decl != nil && ref.Decl.Pool() == nil:
				c.fault([]string{who, "has no pool"}, "chip #%d: %s %v: a pend of no pool", i, side.what, ref)
			case c.reg[ref.Pool] == nil:
				c.fault([]string{who, "unknown pool " + strconv.Quote(ref.Pool)}, "chip #%d: %s %v: no such pool", i, side.what, ref)
			case ref.Pend == "":
				c.fault([]string{who, "empty key"}, "chip #%d: %s pend with no key", i, side.what)
			case ref.SizePrivate < 0 || ref.SizeLimit < 0:
				c.fault([]string{who, "negative size"}, "chip #%d: %s %v: negative size", i, side.what, ref)
			}
			if vw, ok := c.views[c.reg[ref.Pool]][ref.Pend]; ok {
				if ref.SizePrivate != 0 || ref.SizeLimit != 0 {
					c.fault([]string{who, "takes no sizes"}, "chip #%d: %s %v: a sized view", i, side.what, ref)
				}
				if vw.push != (side.what == "next") {
					c.fault([]string{who, strconv.Quote(ref.Pend)}, "chip #%d: %s %v: a view used the wrong way", i, side.what, ref)
				}
			}
		}
	}
}

// culprit is how Attach must name pool or chip #i: by its quoted key, or
// by its index when it has none.
func culprit(what string, i int, key string) string {
	if key == "" {
		return fmt.Sprintf("#%d", i)
	}
	return strconv.Quote(key)
}

// addPool adds a decoded pool. Its faults are known only once the runlet
// is built, from the pools its chips and handles name (see analyze).
func (c *fzConfig) addPool(kind int, key string, limit, inner int) {
	var p *pool.Pool
	switch kind {
	case pkCount:
		p = pool.New(key, limit)
	case pkBytes:
		p = pool.NewBytes(key, limit)
	case pkLogical:
		var in *pool.Pool
		switch j := inner % (len(c.pools) + 2); {
		case j < len(c.pools):
			in = c.pools[j]
		case j == len(c.pools):
			in = pool.New(fzPoolKeys[inner%len(fzPoolKeys)], pool.Unlimited) // no reference names it
			c.name(in.Key())
		}
		p = logicalpool.New(key, in)
	case pkNil:
		c.pools = append(c.pools, nil)
		return
	case pkIO:
		p = pool.NewIO()
		key = pool.IOKey
	}
	c.pools = append(c.pools, p)
	c.limits[p] = limit
	c.name(key)
}

func (c *fzConfig) name(s string) {
	if s != "" {
		c.names = append(c.names, s)
	}
}

// addChip adds a decoded chip, its pends declared with the element types
// it takes (a source uses only next, an output chip only prev).
func (c *fzConfig) addChip(kind int, key string, prevRef, nextRef fzRef, a, b int) {
	i := len(c.chips)
	who := culprit("chip", i, key)
	prev := func() *pool.Pend[int] { return fzDecl[int](c, prevRef, pool.InputKey) }
	next := func() *pool.Pend[int] { return fzDecl[int](c, nextRef, pool.OutputKey) }
	var ch chip.Chip
	switch kind {
	case ckSource:
		ch = chip.FromSlice(key, next(), ints(a%8))
	case ckStrSource:
		ch = chip.FromSlice(key, fzDecl[string](c, nextRef, pool.OutputKey), []string{"x", "y"}[:a%3%2+1])
	case ckMap:
		conc := fzConc[b%len(fzConc)]
		cfg := chip.Config[int, int, int]{
			Key: key, Prev: prev(), Next: next(),
			Async: a&mfAsync != 0, Ordered: a&mfOrdered != 0, Concurrency: conc,
		}
		if a&mfNilProcess == 0 {
			fail, panics := a&mfError != 0, a&mfPanic != 0
			cfg.Process = func(_ context.Context, in hints.Pack[int], _ *int) (hints.Pack[int], error) {
				if in.Hint == hints.End {
					return hints.EndOf[int](1), nil
				}
				switch {
				case fail && in.Value == 3:
					return hints.Pack[int]{}, errValue
				case panics && in.Value == 4:
					panic("fuzz: value 4 panics")
				}
				return hints.Data(in.Value + 1), nil
			}
		} else {
			want := []string{who, "nil process"}
			if cfg.Async && conc > 1<<16 {
				want = want[:1] // Attach does not bind a chip it cannot afford: Bind's findings wait
			}
			c.fault(want, "chip #%d without a process", i)
		}
		if a&mfBadState != 0 {
			cfg.State = func() int { panic("fuzz: state factory") }
			c.fault([]string{who}, "chip #%d with a panicking state factory", i) // "panicked" unless Bind fails sooner
		}
		if cfg.Async && conc < 0 {
			c.fault([]string{who, "concurrency"}, "chip #%d with concurrency %d", i, conc)
		}
		ch = chip.New(cfg)
	case ckFlat:
		ch = chip.FlatMap(key, prev(), next(), func(v int) ([]int, error) { return []int{v, v * 10}[:v%3%2+v%2], nil })
	case ckFilter:
		ch = chip.Filter(key, prev(), next(), func(v int) (bool, error) { return v%2 == 1, nil })
	case ckTake:
		n := []int{0, 1, 2, -1}[a%4]
		if n < 0 {
			c.fault([]string{who, "negative"}, "chip #%d takes %d", i, n)
		}
		ch = chip.Take(key, prev(), next(), n)
	case ckSink:
		ch = chip.ForEach(key, prev(), func(int) error { return nil })
	case ckPairSink:
		ch = chip.ForEach(key, fzDecl[logicalpool.Pair[int, int]](c, prevRef, pool.InputKey), func(logicalpool.Pair[int, int]) error { return nil })
	case ckRegulator:
		in, out := fzCounts[a%4], fzCounts[b%4]
		if in < 1 || out < 1 {
			c.fault([]string{who, "END regulator"}, "chip #%d regulates %d to %d", i, in, out)
		}
		ch = chip.ENDRegulator(key, prev(), next(), in, out)
	case ckNil:
		c.fault([]string{fmt.Sprintf("chip #%d is nil", i)}, "nil chip #%d", i)
		c.chips = append(c.chips, nil)
		c.keys, c.bound, c.source = append(c.keys, ""), append(c.bound, false), append(c.source, false)
		return
	case ckTypedNil:
		c.fault([]string{fmt.Sprintf("chip #%d: Spec panicked", i)}, "typed nil chip #%d", i)
		c.chips = append(c.chips, (*chip.Func[int, int, struct{}])(nil))
		c.keys, c.bound, c.source = append(c.keys, ""), append(c.bound, false), append(c.source, false)
		return
	}
	c.source = append(c.source, kind == ckSource || kind == ckStrSource)
	c.chips = append(c.chips, &spinGuard{Chip: ch, c: c})
	c.keys, c.bound = append(c.keys, key), append(c.bound, true)
	c.name(key)
	if key == "" {
		c.fault([]string{who, "empty key"}, "chip #%d without a key", i)
	}
	for j, k := range c.keys[:i] {
		if k == key && key != "" && c.bound[j] {
			c.fault([]string{"duplicate chip key " + strconv.Quote(key)}, "chip #%d duplicates key %q", i, key)
			break
		}
	}
}

// addView defines a view in lp over pends of ints declared in lp or in its
// inner pool (an unnamed one is named "<view>.<i>" by the view).
func (c *fzConfig) addView(lp *pool.Pool, kind int, name string, viewees []fzViewee) {
	if lp == nil {
		return // DefineView on a nil pool is a nil dereference, not Attach's business
	}
	if kind == vkJoin2 {
		viewees = append(viewees, fzViewee{key: "a"}, fzViewee{key: "b"})[:2]
	}
	ds := make([]*pool.Pend[int], len(viewees))
	for i, v := range viewees {
		in := lp
		if v.inner {
			in = innerOf(lp) // nil for a pool that is not logical: a viewee of no pool
		}
		ds[i] = pool.NewPend[int](in, v.key)
	}
	var err error
	switch kind {
	case vkDuplicate:
		_, err = logicalpool.Duplicate(lp, name, ds, nil)
	case vkRoundRobin:
		_, err = logicalpool.LoadBalance(lp, name, ds, logicalpool.RoundRobin)
	case vkLeastFilled:
		_, err = logicalpool.LoadBalance(lp, name, ds, logicalpool.LeastFilled)
	case vkMerge:
		_, err = logicalpool.Merge(lp, name, ds)
	case vkJoin2:
		_, err = logicalpool.Join2(lp, name, ds[0], ds[1])
	case vkBadStrategy:
		_, err = logicalpool.LoadBalance(lp, name, ds, logicalpool.Strategy(7))
	}
	if err != nil {
		// A refused view names its culprit: the view, or the pool that
		// cannot hold views.
		if !strings.Contains(err.Error(), strconv.Quote(name)) && !strings.Contains(err.Error(), strconv.Quote(lp.Key())) {
			panic(fmt.Sprintf("view error names neither view %q nor pool %q: %v", name, lp.Key(), err))
		}
		return
	}
	c.name(name)
	keys := make([]string, len(ds))
	for i, d := range ds {
		keys[i] = d.Key()
		c.name(keys[i])
	}
	if c.views[lp] == nil {
		c.views[lp] = map[string]fzViewDef{}
	}
	c.views[lp][name] = fzViewDef{keys, kind != vkMerge && kind != vkJoin2}
}

// fzHandleSpec is a passive handle of ints on pend d; opened once
// PendInput or PendOutput added d's pool to the runlet.
type fzHandleSpec struct {
	in     bool
	d      *pool.Pend[int]
	opened bool
}

// fzViewDef is a view the decoder defined.
type fzViewDef struct {
	viewees []string
	push    bool
}

// spinGuard counts a chip's runs and process calls (its Hits) against the
// config's limit, so that a flow that never ends (a cycle) stops with
// errRunaway instead of spinning on.
type spinGuard struct {
	chip.Chip
	c *fzConfig
}

func (g *spinGuard) Bind(b engine.Binding) (engine.Runner, error) {
	run, err := g.Chip.Bind(b)
	if err != nil {
		return nil, err
	}
	return &spinRunner{Runner: run, c: g.c}, nil
}

type spinRunner struct {
	engine.Runner
	c *fzConfig
}

func (r *spinRunner) Run(budget int) engine.Result {
	if r.c.spinning.Load() > r.c.limit.Load() {
		return engine.Result{Err: errRunaway}
	}
	res := r.Runner.Run(budget)
	r.c.spinning.Add(int64(res.Hits) + 1)
	return res
}

func checkAttach(t *testing.T, data []byte) {
	// A spin that synctest cannot see (a loop that never blocks) is caught
	// in real time: the panic fails the fuzz run with this input.
	watchdog := time.AfterFunc(20*time.Second, func() {
		panic(fmt.Sprintf("FuzzAttach: input %q has run for 20s", data))
	})
	defer watchdog.Stop()
	synctest.Test(t, func(t *testing.T) {
		c := decodeAttach(data)
		r := runlet.New(c.chips, runlet.Config{OnError: func(error) {}})
		c.openHandles(t, r)
		c.analyze()
		err := r.Attach()
		if len(c.faults) > 0 && err == nil {
			t.Fatalf("Attach accepted a config with faults %v", c.faultList())
		}
		// A cycle is refused; with nothing else wrong, only a cycle is. (With
		// other faults, a chip Attach drops may break or make no cycle.)
		if cyclic := c.cyclic(); len(c.faults) == 0 && cyclic != errors.Is(err, runlet.ErrCycle) {
			t.Fatalf("Attach of a config (cycle %v) = %v", cyclic, err)
		}
		if err != nil {
			c.checkAttachError(t, err)
			if err2 := r.Run(t.Context()); err2 == nil {
				t.Fatalf("Run after a failed Attach succeeded (Attach: %v)", err)
			}
			return
		}
		if err := r.Attach(); !errors.Is(err, runlet.ErrAttached) {
			t.Fatalf("second Attach = %v, want ErrAttached", err)
		}
		if len(c.handles) > 0 {
			return // a passive runlet runs until its handles end it
		}
		endless := c.endless()
		if endless {
			c.limit.Store(fzCycleRuns)
		} else {
			c.limit.Store(fzDAGRuns)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour) // fake time: passes only if every goroutine is blocked
		defer cancel()
		err = r.Run(ctx)
		c.checkRunError(t, r, err, endless)
		for _, p := range c.reg {
			if p.Size() < 0 {
				t.Errorf("pool %q: size %d after Run (an overflow?)\n%s", p.Key(), p.Size(), r.Describe())
			}
		}
	})
}

// openHandles creates the passive handles the decoder asked for; a refused
// one must name the pend asked for, or say that it has no key.
func (c *fzConfig) openHandles(t *testing.T, r *runlet.Runlet) {
	for i := range c.handles {
		h := &c.handles[i]
		var err error
		if h.in {
			_, err = runlet.PendInput(r, h.d)
		} else {
			_, err = runlet.PendOutput(r, h.d)
		}
		// Both add the pend's pool to the runlet once it has a pool and a
		// key, even when the pend is refused then.
		h.opened = h.d.Pool() != nil && h.d.Key() != ""
		key := h.d.Key()
		c.name(key)
		if h.d.Pool() != nil {
			c.name(h.d.Pool().Key())
		}
		// The culprit may be the pend, its pool, or the pool under a
		// logical one: the pend asked for comes first.
		if err != nil && !strings.Contains(err.Error(), strconv.Quote(key)) && !(key == "" && strings.Contains(err.Error(), "has no key")) {
			t.Errorf("handle on pend %v: error does not name the pend: %v", h.d, err)
		}
	}
}

func (c *fzConfig) faultList() string {
	var b strings.Builder
	for _, f := range c.faults {
		fmt.Fprintf(&b, "\n\t%s (want %q)", f.what, f.want)
	}
	return b.String()
}

// checkAttachError checks that every injected fault is reported with its
// culprit, and that every problem listed names a chip, pool or pend.
func (c *fzConfig) checkAttachError(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "runlet: attach: ") {
		t.Errorf("Attach error does not say where it comes from: %v", err)
	}
	for _, f := range c.faults {
		for _, w := range f.want {
			if !strings.Contains(msg, w) {
				t.Errorf("fault %s: error lacks %q:\n%v", f.what, w, err)
			}
		}
	}
	joined, ok := errors.Unwrap(err).(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("Attach error does not wrap its list of problems: %T %v", errors.Unwrap(err), err)
	}
	for _, e := range joined.Unwrap() {
		// Each line, so that a problem a chip's Bind found does not hang
		// below another without its chip's name.
		for line := range strings.Lines(e.Error()) {
			if !c.namesSomething(line) {
				t.Errorf("problem names no chip, pool or pend of the config: %q\n(names %q)\nin %v", line, c.names, err)
			}
		}
	}
}

func (c *fzConfig) namesSomething(msg string) bool {
	if strings.TrimSpace(msg) == "no chips" || strings.Contains(msg, "#") {
		return true
	}
	// A pend or pool without a key is named by what it is: the problem
	// of its missing key is listed on its own.
	if strings.Contains(msg, `pend ""`) || strings.Contains(msg, `pool ""`) {
		return true
	}
	for _, n := range c.names {
		if strings.Contains(msg, strconv.Quote(n)) {
			return true
		}
	}
	return false
}

// checkRunError checks how an accepted config's run ended.
func (c *fzConfig) checkRunError(t *testing.T, r *runlet.Runlet, err error, endless bool) {
	t.Helper()
	var stall *runlet.StallError
	var ce *runlet.ChipError
	switch {
	case err == nil:
	case errors.As(err, &stall):
		if !errors.Is(err, runlet.ErrStalled) {
			t.Errorf("a StallError that is not ErrStalled: %v", err)
		}
		for i, k := range c.keys {
			if c.bound[i] && !strings.Contains(stall.State, "#"+k) {
				t.Errorf("stall does not show chip %q:\n%v", k, err)
			}
		}
	case errors.As(err, &ce):
		known := false
		for i, k := range c.keys {
			known = known || c.bound[i] && k == ce.Chip
		}
		if !known {
			t.Errorf("ChipError names chip %q, which is not in the config: %v", ce.Chip, err)
		}
		if errors.Is(err, errRunaway) && !endless {
			t.Errorf("a finite graph made over %d chip runs (a spin?):\n%v", fzDAGRuns, r.Describe())
		}
	default:
		t.Errorf("Run of an accepted config = %v, want nil, a ChipError or a stall\n%s", err, r.Describe())
	}
}

type fzStore struct {
	p    *pool.Pool
	pend string
}

// stores resolves a reference to the storage pends it stands for, by pool
// key as Attach does.
func (c *fzConfig) stores(ref chip.PendRef) []fzStore {
	p := c.reg[ref.Pool]
	if p == nil || p.Kind() == pool.IO {
		return nil
	}
	if p.Kind() != pool.Logical {
		return []fzStore{{p, ref.Pend}}
	}
	if vw, ok := c.views[p][ref.Pend]; ok {
		out := make([]fzStore, len(vw.viewees))
		for i, v := range vw.viewees {
			out[i] = fzStore{innerOf(p), v}
		}
		return out
	}
	return []fzStore{{innerOf(p), ref.Pend}}
}

// endless reports whether the flow may never end: a chip other than a
// source reads the IO input (an endless supply of SKIP packs that only a
// source turns into an END), or some chip's output can come back to it.
func (c *fzConfig) endless() bool {
	for i := range c.chips {
		if c.bound[i] && !c.source[i] && c.prevRefs[i].Pool == pool.IOKey {
			return true
		}
	}
	return c.cyclic()
}

// cyclic reports whether some chip's output can come back to it.
func (c *fzConfig) cyclic() bool {
	readers := map[fzStore][]int{}
	for i := range c.chips {
		if c.bound[i] {
			for _, s := range c.stores(c.prevRefs[i]) {
				readers[s] = append(readers[s], i)
			}
		}
	}
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(c.chips))
	var visit func(i int) bool
	visit = func(i int) bool {
		color[i] = grey
		for _, s := range c.stores(c.nextRefs[i]) {
			for _, j := range readers[s] {
				if color[j] == grey || color[j] == white && visit(j) {
					return true
				}
			}
		}
		color[i] = black
		return false
	}
	for i := range c.chips {
		if c.bound[i] && color[i] == white && visit(i) {
			return true
		}
	}
	return false
}

// attachSeeds are configs of every class of fault, and some good ones.
func attachSeeds() [][]byte {
	// Argument bytes are indexes into the fz* tables.
	const (
		kp, kq, kL, kEmpty = 0, 1, 2, 3 // fzPoolKeys
		rp, rq, rL, rr     = 0, 1, 2, 3 // fzRefPools
		rEmpty, rNope, rIO = 4, 5, 6
		rp2                = rp + 8     // the second pool "p" (8: len(fzRefPools))
		inner              = 11         // a viewee declared in the inner pool (11: len(fzPendKeys))
		pa, pb, pc, pd     = 0, 1, 2, 3 // fzPendKeys
		pv, pw, pEmpty     = 4, 5, 6
		pIn, pOut          = 9, 10
		unl, lim0, lim1    = 0, 1, 2 // fzLimits
		lim2, limNeg       = 3, 6
		s0, sPriv, sLimit  = 0, 2, 3 // fzSizes
		sBoth, sNeg        = 4, 5
		sHuge              = 8
		c0, c1, c2, c3, c4 = 0, 1, 2, 3, 4 // fzChipKeys
		cEmpty, c0again    = 5, 6
	)
	P := func(kind, key, limit, inner byte) []byte { return []byte{fzPool, kind, key, limit, inner} }
	C := func(kind, key, prevPool, prevPend, prevSize, nextPool, nextPend, nextSize, a, b byte) []byte {
		return []byte{fzChip, kind, key, prevPool, prevPend, prevSize, nextPool, nextPend, nextSize, a, b}
	}
	V := func(p, kind, name, n, v1, v2, v3 byte) []byte { return []byte{fzView, p, kind, name, n, v1, v2, v3} }
	H := func(out, p, pend byte) []byte { return []byte{fzHandle, out, p, pend} }
	src := func(key, pend, n byte) []byte { return C(ckSource, key, 0, 0, 0, rp, pend, s0, n, 0) }
	sink := func(key, pend byte) []byte { return C(ckSink, key, rp, pend, s0, 0, 0, 0, 0, 0) }
	mp := func(key, from, to, flags, conc byte) []byte {
		return C(ckMap, key, rp, from, s0, rp, to, s0, flags, conc)
	}
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	good := P(pkCount, kp, unl, 0)
	return [][]byte{
		// Good: source -> map -> sink; the same with an async, ordered map
		// over a lock-step pool; a sync map marked Ordered.
		cat(good, src(c0, pa, 5), mp(c1, pa, pb, 0, 0), sink(c2, pb)),
		cat(P(pkCount, kp, lim0, 0), src(c0, pa, 7), mp(c1, pa, pb, mfAsync|mfOrdered, 3), sink(c2, pb)),
		cat(good, src(c0, pa, 5), mp(c1, pa, pb, mfOrdered, 0), sink(c2, pb)),
		// Errors and panics in process.
		cat(good, src(c0, pa, 7), mp(c1, pa, pb, mfError, 0), sink(c2, pb)),
		cat(good, src(c0, pa, 7), mp(c1, pa, pb, mfAsync|mfPanic, 2), sink(c2, pb)),
		// Pools (a pool the chips do not name is not the runlet's): a logical
		// pool over a nil pool, an empty key, a negative limit, a duplicate
		// key (the second "p" named by rp2), posing as IO, a byte pool of
		// ints; a logical pool over a pool only it names, and one no chip
		// names, are fine.
		cat(P(pkNil, 0, 0, 0), good, P(pkLogical, kL, 0, 0), src(c0, pa, 1), C(ckSink, c1, rL, pa, s0, 0, 0, 0, 0, 0)),
		cat(P(pkCount, kEmpty, unl, 0), good, C(ckSource, c0, 0, 0, 0, rEmpty, pa, s0, 1, 0), C(ckSink, c1, rEmpty, pa, s0, 0, 0, 0, 0, 0)),
		cat(P(pkCount, kp, limNeg, 0), src(c0, pa, 1), sink(c1, pa)),
		cat(good, P(pkCount, kp, lim1, 0), src(c0, pa, 1), C(ckSink, c1, rp2, pa, s0, 0, 0, 0, 0, 0)),
		cat(good, P(pkCount, 6, lim1, 0), C(ckSource, c0, 0, 0, 0, rIO, pa, s0, 1, 0), sink(c1, pa)),
		cat(P(pkBytes, kp, unl, 0), src(c0, pa, 1), sink(c1, pa)),
		cat(good, P(pkLogical, kL, 0, 1), C(ckSource, c0, 0, 0, 0, rL, pa, s0, 3, 0), C(ckSink, c1, rL, pa, s0, 0, 0, 0, 0, 0)),
		cat(P(pkNil, 0, 0, 0), P(pkCount, kEmpty, limNeg, 0), good, src(c0, pa, 1), sink(c1, pa)),
		// Chips: nil, typed nil, empty key, duplicate key, nil process, bad
		// concurrency, a panicking state factory, bad counts.
		cat(good, C(ckNil, c0, 0, 0, 0, 0, 0, 0, 0, 0), src(c1, pa, 1), sink(c2, pa)),
		cat(good, C(ckTypedNil, c0, 0, 0, 0, 0, 0, 0, 0, 0), src(c1, pa, 1), sink(c2, pa)),
		cat(good, src(cEmpty, pa, 1), mp(cEmpty, pa, pb, mfNilProcess, 0), sink(c2, pb)),
		cat(good, src(c0, pa, 1), mp(c0again, pa, pb, 0, 0), sink(c2, pb)),
		cat(good, src(c0, pa, 1), mp(c1, pa, pb, mfNilProcess|mfAsync, 4), sink(c2, pb)),
		cat(good, src(c0, pa, 1), mp(c1, pa, pb, mfAsync, 5), sink(c2, pb)),
		cat(good, src(c0, pa, 1), mp(c1, pa, pb, mfAsync, 6), sink(c2, pb)),
		cat(good, src(c0, pa, 1), mp(c1, pa, pb, mfAsync, 7), sink(c2, pb)),
		cat(good, src(c0, pa, 1), mp(c1, pa, pb, mfBadState, 0), sink(c2, pb)),
		cat(good, src(c0, pa, 1), C(ckRegulator, c1, rp, pa, s0, rp, pb, s0, 2, 3), sink(c2, pb)),
		cat(good, src(c0, pa, 1), C(ckTake, c1, rp, pa, s0, rp, pb, s0, 3, 0), sink(c2, pb)),
		// References: the zero Pend (no pool), a pool key no pool has (no
		// pool either), a pend of a refused pool (unknown), an unnamed pend
		// two chips share (named "c0.out"), one only a keyless chip uses (an
		// empty key), negative and conflicting and huge sizes, IO misuse.
		cat(good, src(c0, pa, 1), C(ckMap, c1, rNope, pa, s0, rp, pb, s0, 0, 0), sink(c2, pb)),
		cat(good, src(c0, pa, 1), C(ckMap, c1, rp, pa, s0, rr, pb, s0, 0, 0), C(ckSink, c2, rr, pb, s0, 0, 0, 0, 0, 0)),
		cat(P(pkCount, kq, limNeg, 0), good, src(c0, pa, 1), C(ckMap, c1, rp, pa, s0, rq, pb, s0, 0, 0), C(ckSink, c2, rq, pb, s0, 0, 0, 0, 0, 0)),
		cat(good, src(c0, pEmpty, 1), sink(c1, pEmpty)),
		cat(good, src(c0, pa, 2), mp(cEmpty, pa, pEmpty, 0, 0), sink(c1, pb)),
		cat(good, C(ckSource, c0, 0, 0, 0, rp, pa, sNeg, 1, 0), sink(c1, pa)),
		cat(good, C(ckSource, c0, 0, 0, 0, rp, pa, sPriv, 1, 0), C(ckSink, c1, rp, pa, sBoth, 0, 0, 0, 0, 0)),
		cat(good, C(ckSource, c0, 0, 0, 0, rp, pa, sHuge, 3, 0), C(ckMap, c1, rp, pa, s0, rp, pb, sHuge, 0, 0), sink(c2, pb)),
		cat(good, C(ckMap, c0, rIO, pOut, s0, rIO, pIn, s0, 0, 0), C(ckMap, c1, rIO, pIn, sPriv, rp, pa, s0, 0, 0), sink(c2, pa)),
		cat(good, C(ckSource, c0, 0, 0, 0, rp, pa, s0, 1, 0), C(ckMap, c1, rp, pa, s0, rIO, pOut, s0, 0, 0)),
		// Topology: no producer, no consumer, a pend as its own prev and
		// next, two readers of one pend, a cycle, a type clash, no chips.
		cat(good, mp(c0, pa, pb, 0, 0), sink(c1, pb)),
		cat(good, src(c0, pa, 1), mp(c1, pa, pb, 0, 0)),
		cat(good, src(c0, pa, 3), mp(c1, pa, pa, 0, 0), sink(c2, pa)),
		cat(good, src(c0, pa, 3), sink(c1, pa), sink(c2, pa)),
		cat(good, src(c0, pa, 3), mp(c1, pa, pb, 0, 0), mp(c2, pb, pa, 0, 0), sink(c3, pb)),
		cat(good, C(ckStrSource, c0, 0, 0, 0, rp, pa, s0, 1, 0), sink(c1, pa)),
		good,
		// Logical pools and views: a duplicate to two sinks, a merge of two
		// sources, a join, a view read the wrong way, a sized view, a view
		// over a pend of a pool not given to the runlet.
		cat(good, P(pkLogical, kL, 0, 0), V(1, vkDuplicate, pv, 2, pa, pb, 0),
			C(ckSource, c0, 0, 0, 0, rL, pv, s0, 4, 0), sink(c1, pa), C(ckSink, c2, rL, pb, s0, 0, 0, 0, 0, 0)),
		cat(good, P(pkLogical, kL, 0, 0), V(1, vkMerge, pv, 2, pa, pb, 0),
			src(c0, pa, 2), src(c1, pb, 3), C(ckSink, c2, rL, pv, s0, 0, 0, 0, 0, 0)),
		cat(good, P(pkLogical, kL, 0, 0), V(1, vkJoin2, pv, 2, pa, pb, 0),
			src(c0, pa, 2), src(c1, pb, 3), C(ckPairSink, c2, rL, pv, s0, 0, 0, 0, 0, 0)),
		cat(good, P(pkLogical, kL, 0, 0), V(1, vkMerge, pv, 2, pa, pb, 0),
			C(ckSource, c0, 0, 0, 0, rL, pv, sPriv, 2, 0), sink(c1, pa), sink(c2, pb)),
		cat(good, P(pkLogical, kL, 0, 0), V(1, vkRoundRobin, pv, 2, pa, pb, 0), V(1, vkLeastFilled, pw, 2, pb, pc, 0),
			C(ckSource, c0, 0, 0, 0, rL, pv, s0, 5, 0), C(ckSource, c1, 0, 0, 0, rL, pw, s0, 5, 0),
			sink(c2, pa), sink(c3, pb), sink(c4, pc)),
		cat(good, P(pkLogical, kL, 0, 1), V(1, vkDuplicate, pv, 2, pa, pb, 0),
			C(ckSource, c0, 0, 0, 0, rL, pv, s0, 4, 0), C(ckSink, c1, rL, pa, s0, 0, 0, 0, 0, 0), C(ckSink, c2, rL, pb, s0, 0, 0, 0, 0, 0)),
		// Viewees declared in the inner pool, and unnamed ones (named "v.0",
		// "v.1" by the view, so that no chip reads them).
		cat(good, P(pkLogical, kL, 0, 0), V(1, vkDuplicate, pv, 2, pa+inner, pb, 0),
			C(ckSource, c0, 0, 0, 0, rL, pv, s0, 4, 0), sink(c1, pa), C(ckSink, c2, rL, pb, s0, 0, 0, 0, 0, 0)),
		cat(good, P(pkLogical, kL, 0, 0), V(1, vkDuplicate, pv, 2, pEmpty, pEmpty+inner, 0), C(ckSource, c0, 0, 0, 0, rL, pv, s0, 4, 0)),
		// Passive handles: a good one, on a pool key no pool has, on the IO
		// pool, on an unnamed pend a chip names, on one no chip names.
		cat(good, H(0, rp, pa), sink(c0, pa)),
		cat(good, H(1, rNope, pa), H(0, rIO, pb), src(c0, pa, 1), sink(c1, pa)),
		cat(good, H(1, rp, pEmpty), src(c0, pEmpty, 3)),
		cat(good, H(0, rp, pEmpty), H(1, rp, pa), src(c0, pa, 1)),
	}
}

// Regression tests for what FuzzAttach found; its corpus in
// testdata/fuzz/FuzzAttach replays the inputs themselves.

// attachErr returns Attach's error for chips, failing if there is none.
func attachErr(t *testing.T, chips ...chip.Chip) string {
	t.Helper()
	err := runlet.New(chips, runlet.Config{}).Attach()
	if err == nil {
		t.Fatal("Attach succeeded")
	}
	return err.Error()
}

func wantLines(t *testing.T, msg string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
}

func asyncMap(key string, prev, next *pool.Pend[int], conc int, process bool) chip.Chip {
	cfg := chip.Config[int, int, struct{}]{Key: key, Prev: prev, Next: next, Async: true, Concurrency: conc}
	if process {
		cfg.Process = func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) { return in, nil }
	}
	return chip.New(cfg)
}

// A concurrency of 1<<40 crashed Attach with "fatal error: out of memory"
// (Bind made room for that many batches): now it is refused, unbound.
func TestAttachRefusesHugeConcurrency(t *testing.T) {
	p := pool.New(pk, 1)
	a, b := ip(p, "a"), ip(p, "b")
	for _, n := range []int{1 << 40, math.MaxInt, 1<<16 + 1} {
		msg := attachErr(t, source("in", a, []int{1}), asyncMap("wide", a, b, n, true), (&sink[int]{}).output("out", b))
		wantLines(t, msg, fmt.Sprintf(`chip "wide": concurrency %d is above 65536`, n))
	}
	// The most allowed is accepted (not run: -race allows 8128 goroutines).
	p = pool.New(pk, 4)
	a, b = ip(p, "a"), ip(p, "b")
	r := newRunlet(source("in", a, ints(5)), asyncMap("wide", a, b, 1<<16, true), (&sink[int]{}).output("out", b))
	if err := r.Attach(); err != nil {
		t.Errorf("Attach with concurrency 1<<16: %v", err)
	}
}

// Problems found after the key check named a keyless chip `chip ""`; now
// every line says "#i", and the problems Bind lists each get their own line
// with the chip's name.
func TestAttachNamesEveryLine(t *testing.T) {
	p := pool.New(pk, 1)
	a, b := ip(p, "a"), ip(p, "b")
	msg := attachErr(t, source("in", a, []int{1}), asyncMap("", a, b, -1, false), (&sink[int]{}).output("out", b))
	wantLines(t, msg, `chip #1 has an empty key`, `chip "#1": concurrency -1 is below 1`, `chip "#1": nil process`)
	if strings.Contains(msg, "negative concurrency") {
		t.Errorf("concurrency is checked twice (by Bind as well as Attach):\n%s", msg)
	}
	if strings.Contains(msg, `chip ""`) {
		t.Errorf("a keyless chip is named by its empty key:\n%s", msg)
	}
	// The runlet's pools are its pends' pools, in the order its chips name
	// them: the keyless pool is #0.
	bad := pool.New("", -1)
	c := ip(bad, "c")
	msg = attachErr(t, source("in", c, []int{1}), mapper("m", c, a, false, 0, func(v int) int { return v }), (&sink[int]{}).output("out", a))
	wantLines(t, msg, "pool #0: pool with an empty key", `pool #0: pool "": negative limit -1`)
}

// Private sizes of MaxInt made a pool's size wrap to -2 (and a wrapped pool
// is never full again); now Attach refuses reservations past MaxInt/2.
func TestAttachRefusesOverflowingReservations(t *testing.T) {
	same := func(v int) int { return v }
	p := pool.New(pk, pool.Unlimited)
	a, b := ip(p, "a").Size(math.MaxInt, 0), ip(p, "b").Size(math.MaxInt, 0)
	msg := attachErr(t, source("in", a, []int{1}), mapper("c", a, b, false, 0, same), (&sink[int]{}).output("out", b))
	wantLines(t, msg, `pool "default": pend "b": private size 9223372036854775807 (chip "c") takes the pool's reserved total past`)
	var out sink[int]
	p = pool.New(pk, 8)
	a, b = ip(p, "a").Size(math.MaxInt/4, 0), ip(p, "b").Size(math.MaxInt/4, 0)
	r := newRunlet(source("in", a, ints(3)), mapper("c", a, b, false, 0, same), out.output("out", b))
	mustRun(t, r)
	equal(t, "output", out.values(), []int{1, 2, 3})
}

// A handle on a pend without a key got through unless a view had that name,
// and then its message named neither pool nor pend; a handle over a broken
// logical pool named only the pool beneath. A pend without a key is now
// named by the chips that use it; a handle on one no chip uses is refused
// by PendOutput, naming its pool.
func TestAttachHandleProblemsNameTheirPend(t *testing.T) {
	p := pool.New(pk, 1)
	a := ip(p, "a")
	r := newRunlet(source("in", a, []int{1}), (&sink[int]{}).output("out", a))
	_, err := runlet.PendOutput(r, ip(p, ""))
	if err == nil || !strings.Contains(err.Error(), `PendOutput: pend in pool "default" has no key`) {
		t.Errorf("PendOutput = %v", err)
	}

	broken := logicalpool.New("under", nil)
	lp := logicalpool.New("top", broken)
	v := ip(lp, "v")
	r = newRunlet((&sink[int]{}).output("out", v))
	_, err = runlet.PendInput(r, v)
	if err == nil || !strings.Contains(err.Error(), `PendInput: pend "v" of pool "top": pool "under"`) {
		t.Errorf("PendInput = %v", err)
	}
}
