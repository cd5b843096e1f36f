package engine

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Attach checks the runlet and wires its chips to their pends. It returns one
// error listing every problem, each naming its chip, pool or pend: a nil or
// duplicate pool or chip, an unknown pool key, a pend with no producer or no
// consumer (except pends a passive handle feeds or drains), negative or
// conflicting sizes, private sizes of one pool that add up past half the int
// range, a nil process, a pend used with two element types, an
// END regulator count below 1, an async chip's concurrency outside 1 to
// 65536, and misuse of the IO pool. A chip without a key is named by its
// index ("#2") throughout. An unknown pool key, and a pend with no producer
// or no consumer, add the name it is a likely typo of (`did you mean
// "words"`) when one is clearly nearest. After an error the
// runlet (and pends its pools created while checking) should be dropped and
// the graph built anew; after success a second call returns [ErrAttached].
//
// Attach is a compiler from pools and chips to a plan (plan.go), in phases
// that each add their problems to one list: check (pools, chips, and every
// setting of a chip's Spec), resolve views (each reference to the storage
// pends it stands for, with their producers and consumers), size pends
// (reconcile and configure sizes), wire ENDs (refuse a cycle, count each
// pend's producers: fanin.go), index wakes (the scheduler's slots, pend
// and pool records and their indexes) and bind (each chip to its typed
// pends). Every phase runs even after problems, so that one error lists them
// all; the plan is installed only when there are none.
func (r *Runlet) Attach() error {
	r.g.mu.Lock()
	defer r.release()
	if r.attached {
		return ErrAttached
	}
	c := &compiler{r: r, poolIdx: map[string]int32{}}
	c.checkPools()
	c.checkChips()
	c.resolveViews()
	c.sizePends()
	c.wireEnds()
	c.indexWakes()
	c.bindChips()
	if len(c.errs) > 0 {
		return fmt.Errorf("runlet: attach: %w", errors.Join(c.errs...))
	}
	r.install(c)
	return nil
}

// compiler is Attach's working state: what the check phase accepted, the
// problems found so far, and the plan being built.
type compiler struct {
	r       *Runlet
	errs    []error
	pools   []*Pool          // the runlet's pools, then the IO pool if a chip names it
	poolIdx map[string]int32 // pool key -> index in pools

	chips   []Chip // the runlet's chips; nil where the chip is nil or its Spec failed
	specs   []Spec
	names   []string // the key, or "#i" for a chip without one
	unbound []bool   // checked but never bound (Bind could not survive it)

	uses       map[storage]*pendUse // per storage pend: who feeds, reads and sizes it
	storeOrder []storage            // uses' keys in the order first met
	extKeys    []PendName           // the passive handles' pends, sorted
	ends       []endCount           // producers per storage pend, for the pools

	plan plan
}

// pendUse is what the resolve phase learns about one storage pend.
type pendUse struct {
	producers, consumers []string // chip names, or "(passive input)" and "(passive output)"
	sizes                []sizing // every chip reference that sizes it, in chip order
}

// sizing is one chip's sizes for a pend.
type sizing struct {
	chip           string
	private, limit int
}

func (c *compiler) bad(format string, a ...any) { c.errs = append(c.errs, fmt.Errorf(format, a...)) }

// poolOf returns the pool with key, or nil.
func (c *compiler) poolOf(key string) *Pool {
	if i, ok := c.poolIdx[key]; ok {
		return c.pools[i]
	}
	return nil
}

// checkPools accepts the runlet's pools: not nil, valid (Pool.Check),
// one per key, and the IO key for the IO pool only.
func (c *compiler) checkPools() {
	for i, p := range c.r.pools {
		if p == nil {
			c.bad("pool #%d is nil", i)
			continue
		}
		if err := p.Check(); err != nil {
			if p.Key() == "" { // the message cannot name it: give its index
				c.errs = append(c.errs, named(fmt.Sprintf("pool #%d", i), err)...)
			} else {
				c.errs = append(c.errs, err)
			}
			continue
		}
		if _, dup := c.poolIdx[p.Key()]; dup {
			c.bad("duplicate pool key %q", p.Key())
			continue
		}
		if p.Key() == IOKey && p.Kind() != IO {
			c.bad("pool %q: the key is reserved for the IO pool (use pool.NewIO)", p.Key())
			continue
		}
		c.poolIdx[p.Key()] = int32(len(c.pools))
		c.pools = append(c.pools, p)
	}
	if c.r.groupErr != "" {
		c.bad("pool %q is shared with runlets that share no pool with this runlet's other pools: runlets that share pools must share them through one group", c.r.groupErr)
	}
}

// checkChips checks every chip's Spec: the one place its key, references,
// sizes and concurrency are checked (Bind reports only what the chip alone
// knows). A chip whose Spec panics is dropped from the copy, not from the
// caller's slice.
func (c *compiler) checkChips() {
	c.chips = slices.Clone(c.r.chips)
	n := len(c.chips)
	if n == 0 {
		c.bad("no chips")
	}
	c.specs, c.names, c.unbound = make([]Spec, n), make([]string, n), make([]bool, n)
	seen := map[string]bool{}
	for i, ch := range c.chips {
		if ch == nil {
			c.bad("chip #%d is nil", i)
			continue
		}
		sp, err := safeSpec(ch)
		if err != nil {
			c.bad("chip #%d: %v", i, err)
			c.chips[i] = nil // not bound below
			continue
		}
		c.specs[i] = sp
		name := sp.Key
		if name == "" {
			c.bad("chip #%d has an empty key", i)
			name = fmt.Sprintf("#%d", i)
		} else if seen[name] {
			c.bad("duplicate chip key %q", name)
		}
		seen[name] = true
		c.names[i] = name
		c.checkRef(name, "prev", sp.Prev, InputKey)
		c.checkRef(name, "next", sp.Next, OutputKey)
		c.checkDead(name, sp)
		switch {
		case sp.Async && sp.Concurrency < 1:
			c.bad("chip %q: concurrency %d is below 1", name, sp.Concurrency)
		case sp.Async && sp.Concurrency > maxConcurrency:
			// Bind would make room for that many batches, and Run start
			// that many workers: an out-of-memory crash, not an error.
			c.bad("chip %q: concurrency %d is above %d", name, sp.Concurrency, maxConcurrency)
			c.unbound[i] = true
		}
	}
}

// checkRef checks one side (what: "prev" or "next") of chip name: a known
// pool, a pend key, no negative sizes; on the IO pool (added here when a chip
// names it and the runlet has none) only the pend io and no sizes.
func (c *compiler) checkRef(name, what string, ref PendRef, io string) {
	if ref.Pool == IOKey {
		if _, ok := c.poolIdx[IOKey]; !ok {
			c.poolIdx[IOKey] = int32(len(c.pools))
			c.pools = append(c.pools, NewPool(IOKey, IO, 0))
		}
		if ref.Pend != io {
			c.bad("chip %q: %s %s: on the IO pool a chip's %s pend must be %q", name, what, ref, what, io)
		}
		if ref.SizePrivate != 0 || ref.SizeLimit != 0 {
			c.bad("chip %q: %s %s: IO pends take no sizes", name, what, ref)
		}
		return
	}
	if ref.Decl != nil && ref.Decl.pool == nil {
		if ref.Pend != "" {
			c.bad("chip %q: %s pend %q has no pool: declare it with pool.NewPend", name, what, ref.Pend)
		} else {
			c.bad("chip %q: %s pend has no pool (a zero pool.Pend?): declare it with pool.NewPend", name, what)
		}
		return
	}
	if _, ok := c.poolIdx[ref.Pool]; !ok {
		c.bad("chip %q: %s %s: unknown pool %q%s", name, what, ref, ref.Pool, didYouMean(ref.Pool, c.poolKeys()))
	}
	if ref.Pend == "" {
		c.bad("chip %q: %s pend in pool %q has an empty key", name, what, ref.Pool)
	}
	if ref.SizePrivate < 0 || ref.SizeLimit < 0 {
		c.bad("chip %q: %s %s: negative size (private %d, limit %d)", name, what, ref, ref.SizePrivate, ref.SizeLimit)
	}
}

// checkDead checks chip name's dead-letter pend, if it has one: a pend of
// a known pool like any other, but neither the IO pool's nor the chip's own
// prev or next pend (dead letters are a second output, not the first).
func (c *compiler) checkDead(name string, sp Spec) {
	d := sp.Dead
	if !hasDead(sp) {
		return
	}
	if d.Pool == IOKey {
		c.bad("chip %q: dead-letter pend %s: the IO pool takes no dead letters; declare a pend with pool.NewPend", name, d)
		return
	}
	c.checkRef(name, "dead-letter", d, "")
	if d.Name() == sp.Next.Name() || d.Name() == sp.Prev.Name() {
		c.bad("chip %q: dead-letter pend %s is the chip's own prev or next pend", name, d)
	}
}

// hasDead reports whether sp names a dead-letter pend.
func hasDead(sp Spec) bool { return sp.Dead.Decl != nil || sp.Dead.Pend != "" || sp.Dead.Pool != "" }

// poolKeys returns the keys of the pools accepted so far, sorted: the
// candidates an unknown pool key is a likely typo of.
func (c *compiler) poolKeys() []string {
	return slices.Sorted(maps.Keys(c.poolIdx))
}

// install makes c's plan the runlet's: from here on the scheduler reads it.
func (r *Runlet) install(c *compiler) {
	// Inner pools nobody named still show in Describe.
	pools := c.pools
	for _, p := range pools {
		if in := p.Inner(); in != nil && !slices.Contains(pools, in) {
			pools = append(pools, in)
		}
	}
	r.pools, r.plan = pools, c.plan
	r.initSupervisor()
	for i := range r.slots {
		if r.slots[i].output {
			r.outputs++
			r.anyOutput = true
		}
	}
	for _, e := range c.ends {
		e.st.p.ShareProducers(e.st.pend, e.chips, e.passive)
	}
	r.attached = true
	r.initStats()
	close(r.attachCh)
}

// maxConcurrency is the most process calls in flight an async chip may ask
// for: far more workers than cores, and bounded, so that a typo (1<<40)
// is an error from Attach rather than a crash.
const maxConcurrency = 1 << 16

// maxReserved is the most a pool's private sizes may add up to in one
// runlet: half the int range, so that packs queued past their private
// sizes cannot overflow the pool's size.
const maxReserved = math.MaxInt / 2

// named prefixes each of err's problems with prefix: a joined error (Bind's
// or Check's list) is split, so that every line of Attach's error names its
// chip or pool.
func named(prefix string, err error) []error {
	// Split only what errors.Join made (its text is its errors' texts, one
	// per line): an error that wraps several with words of its own, like
	// fmt.Errorf("ctx: %w, %w", a, b), keeps its words.
	if j, ok := err.(interface{ Unwrap() []error }); ok && isJoin(err, j.Unwrap()) {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, named(prefix, e)...)
		}
		return out
	}
	return []error{fmt.Errorf("%s: %w", prefix, err)}
}

// isJoin reports whether err's text is the texts of errs, one per line, as
// errors.Join writes it.
func isJoin(err error, errs []error) bool {
	texts := make([]string, 0, len(errs))
	for _, e := range errs {
		if e != nil {
			texts = append(texts, e.Error())
		}
	}
	return err.Error() == strings.Join(texts, "\n")
}

// safeSpec and safeBind turn a panic in a chip's Spec or Bind (a typed nil
// chip, a state factory that panics) into an error for Attach's list.
func safeSpec(c Chip) (sp Spec, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("Spec panicked: %v", v)
		}
	}()
	return c.Spec(), nil
}

func safeBind(c Chip, b Binding) (run Runner, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("bind panicked (a State factory?): %v", v)
		}
	}()
	return c.Bind(b)
}
