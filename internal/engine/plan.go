package engine

import (
	"fmt"
	"maps"
	"slices"
)

// plan is what Attach compiles a runlet's pools and chips into: the
// scheduler's record of every chip, pend and storage pool, and the indexes
// that let it find, in time proportional to the answer, who reads or feeds a
// pend and who waits on it. Attach builds it once and installs it whole; the
// scheduler then changes only the records' run-time fields (wait lists,
// ended, timers), never the shape.
type plan struct {
	slots       []slot              // one per chip, in chip order
	pends       []pendSlot          // one per home: a pend, or a view group
	pslots      []poolSlot          // one per storage pool
	poolIdx     map[string]int32    // pool key -> index in Runlet.pools
	pendIdx     map[PendName]int32  // (pool key, pend key) as chips and handles name it -> index in pends
	pslotIdx    map[*Pool]int32     // storage pool -> index in pslots
	homeIdx     map[storage]int32   // a pend's home -> index in pends
	readIdx     map[storage][]int32 // a storage pend's home -> the chips that read a pend of it, in chip order
	pendReaders [][]int32           // per pend: the chips whose prev it is, in chip order
	pendFeeders [][]int32           // per pend: the chips whose next it is, in chip order
}

// stores resolves a reference to the storage pends it stands for, and
// reports a view used the wrong way (who names the user, next tells the
// side).
func (c *compiler) stores(who string, ref PendRef, next bool) []storage {
	p := c.poolOf(ref.Pool)
	if p == nil || p.Kind() == IO {
		return nil
	}
	if _, push, pull, ok := p.ViewOf(ref.Pend); ok {
		switch {
		case next && !push:
			c.bad("%s: next %s: view %q is read by chips and cannot be pushed to", who, ref, ref.Pend)
		case !next && !pull:
			c.bad("%s: prev %s: view %q is pushed to by chips and cannot be read", who, ref, ref.Pend)
		}
		if ref.SizePrivate != 0 || ref.SizeLimit != 0 {
			c.bad("%s: %s: a view holds nothing and takes no sizes (size its viewees)", who, ref)
		}
	}
	return storesIn(p, ref.Pend)
}

// use returns the record of storage pend k, making it on first use.
func (c *compiler) use(k storage) *pendUse {
	u := c.uses[k]
	if u == nil {
		u = &pendUse{}
		c.uses[k] = u
		c.storeOrder = append(c.storeOrder, k)
	}
	return u
}

// resolveViews resolves every chip's and passive handle's references to the
// storage pends they stand for (a view stands for its viewees; a logical
// pool's other keys name its inner pool's pends), records who feeds, reads
// and sizes each, and reports a pend nobody feeds or nobody reads.
func (c *compiler) resolveViews() {
	c.uses = map[storage]*pendUse{}
	for i, sp := range c.specs {
		if c.chips[i] == nil {
			continue
		}
		for side := range 3 { // prev, next, dead letters
			next, ref := side > 0, sp.Prev
			if side == 1 {
				ref = sp.Next
			} else if side == 2 {
				if !hasDead(sp) {
					continue
				}
				ref = sp.Dead
			}
			for _, k := range c.stores(fmt.Sprintf("chip %q", c.names[i]), ref, next) {
				u := c.use(k)
				if next {
					u.producers = append(u.producers, c.names[i])
				} else {
					u.consumers = append(u.consumers, c.names[i])
				}
				if _, _, _, view := c.poolOf(ref.Pool).ViewOf(ref.Pend); !view && (ref.SizePrivate != 0 || ref.SizeLimit != 0) {
					u.sizes = append(u.sizes, sizing{c.names[i], ref.SizePrivate, ref.SizeLimit})
				}
			}
			c.sizeViewees(ref)
		}
	}
	c.resolveHandles()
	for _, k := range c.storeOrder {
		u := c.uses[k]
		switch {
		case len(u.producers) == 0:
			c.bad("pool %q: pend %q has no producer (read by chip %q); feed it with a chip or PendInput%s",
				k.p.Key(), k.pend, u.consumers[0], c.typoOf(k, false))
		case len(u.consumers) == 0:
			c.bad("pool %q: pend %q has no consumer (fed by chip %q); drain it with a chip or PendOutput%s",
				k.p.Key(), k.pend, u.producers[0], c.typoOf(k, true))
		}
	}
}

// sizeViewees records the sizes declared on the viewees of the view ref
// names, if it names one, so that a viewee no chip names is sized by its
// declaration (pool.Pend.Size) as one a chip names is.
func (c *compiler) sizeViewees(ref PendRef) {
	p := c.poolOf(ref.Pool)
	if p == nil || p.kind != Logical || p.views[ref.Pend] == nil {
		return
	}
	v := p.views[ref.Pend]
	for j, d := range v.decls {
		if d == nil || j >= len(v.viewees) {
			continue
		}
		if private, limit := d.Sizes(); private != 0 || limit != 0 {
			u := c.use(storage{p.inner, v.viewees[j]})
			u.sizes = append(u.sizes, sizing{"view " + ref.String(), private, limit})
		}
	}
}

// typoOf returns a hint naming the pend that storage pend k's key is likely
// a typo of, or "": for a pend with no consumer (fed), the nearest pend of
// its pool that has no producer; for one with no producer, the nearest that
// has no consumer. A pend key mistyped on one side gives exactly that pair.
func (c *compiler) typoOf(k storage, fed bool) string {
	var cands []string
	for _, o := range c.storeOrder {
		u := c.uses[o]
		unfed, unread := len(u.producers) == 0, len(u.consumers) == 0
		if o.p == k.p && unfed != unread && unfed == fed {
			cands = append(cands, o.pend)
		}
	}
	n := nearest(k.pend, cands)
	switch {
	case n == "":
		return ""
	case fed:
		return fmt.Sprintf(" (did you mean %q, which has no producer?)", n)
	}
	return fmt.Sprintf(" (did you mean %q, which has no consumer?)", n)
}

// resolveHandles records the passive handles as producers and consumers.
func (c *compiler) resolveHandles() {
	ext := c.r.ext
	c.extKeys = slices.SortedFunc(maps.Keys(ext), func(a, b PendName) int {
		return a.compare(b)
	})
	for _, k := range c.extKeys {
		e := ext[k]
		if _, ok := c.poolIdx[k.Pool]; !ok {
			c.bad("passive handle on pend %q: unknown pool %q%s", k.Pend, k.Pool, didYouMean(k.Pool, c.poolKeys()))
			continue
		}
		if k.Pend == "" {
			c.bad("passive handle on pool %q: the pend has an empty key", k.Pool)
			continue
		}
		ref := PendRef{Pool: k.Pool, Pend: k.Pend}
		if e.in {
			for _, st := range c.stores(fmt.Sprintf("PendInput on pool %q", k.Pool), ref, true) {
				u := c.use(st)
				u.producers = append(u.producers, "(passive input)")
			}
		}
		if e.out {
			for _, st := range c.stores(fmt.Sprintf("PendOutput on pool %q", k.Pool), ref, false) {
				u := c.use(st)
				u.consumers = append(u.consumers, "(passive output)")
			}
		}
	}
}

// sizePends reconciles the sizes each storage pend is given (chips that size
// one pend must agree), keeps every pool's private total within maxReserved,
// and configures the pends. Negative sizes were reported by the check phase.
func (c *compiler) sizePends() {
	reserved := map[*Pool]int{} // private sizes so far, by storage pool
	for _, k := range c.storeOrder {
		sizes := c.uses[k].sizes
		if len(sizes) == 0 {
			continue
		}
		s := sizes[0] // the first chip's sizes apply; a chip that disagrees is reported
		for _, o := range sizes[1:] {
			if o.private != s.private || o.limit != s.limit {
				c.bad("pool %q: pend %q sized twice: chip %q says private %d, limit %d; chip %q says private %d, limit %d",
					k.p.Key(), k.pend, s.chip, s.private, s.limit, o.chip, o.private, o.limit)
			}
		}
		switch {
		case s.private < 0 || s.limit < 0:
			continue
		case s.private > maxReserved-reserved[k.p]:
			// Past this the pool's accounting could overflow (a pool
			// whose size wraps to negative is never full again).
			c.bad("pool %q: pend %q: private size %d (chip %q) takes the pool's reserved total past %d",
				k.p.Key(), k.pend, s.private, s.chip, maxReserved)
			continue
		}
		reserved[k.p] += s.private
		if err := k.p.Configure(k.pend, s.private, s.limit); err != nil {
			c.errs = append(c.errs, err)
		}
	}
}

// pslotOf returns the index of storage pool p's record, making it on first
// use.
func (c *compiler) pslotOf(p *Pool) int32 {
	pl := &c.plan
	i, ok := pl.pslotIdx[p]
	if !ok {
		i = int32(len(pl.pslots))
		pl.pslotIdx[p] = i
		pl.pslots = append(pl.pslots, poolSlot{key: p.Key(), pool: p})
	}
	return i
}

// pendOf returns the index of the record of the pend that (poolKey, pend)
// names, making it on first use. A pend is its home (the storage pool and,
// for views and viewees, the view's group), so every name of one place
// shares its waiters.
func (c *compiler) pendOf(poolKey, pend string) int32 {
	pl := &c.plan
	k := PendName{Pool: poolKey, Pend: pend}
	if i, ok := pl.pendIdx[k]; ok {
		return i
	}
	p := c.poolOf(poolKey)
	if p == nil {
		return 0
	}
	home := homeOf(p, pend)
	i, ok := pl.homeIdx[home]
	if !ok {
		i = int32(len(pl.pends))
		pl.homeIdx[home] = i
		pl.pends = append(pl.pends, pendSlot{pool: c.pslotOf(home.p), key: home.pend, home: home})
	}
	pl.pendIdx[k] = i
	pl.pends[i].members = append(pl.pends[i].members, k)
	return i
}

// indexWakes builds the scheduler's records: a slot per chip with the
// indexes of its pends and pools, a record per pend home and per storage
// pool (every key of one budget shares the chips waiting for room in it),
// and the reverse indexes (each pend's readers and producers, each storage
// home's readers) that make ending a chip cost what it touches, not the
// graph's size.
func (c *compiler) indexWakes() {
	pl := &c.plan
	pl.poolIdx = c.poolIdx
	pl.pendIdx, pl.homeIdx = map[PendName]int32{}, map[storage]int32{}
	pl.pslotIdx, pl.readIdx = map[*Pool]int32{}, map[storage][]int32{}
	pl.slots = make([]slot, len(c.chips))
	for i, ch := range c.chips {
		if ch == nil {
			continue
		}
		sp := c.specs[i]
		s := &pl.slots[i]
		*s = slot{
			key: sp.Key, spec: sp,
			prevPend: c.pendOf(sp.Prev.Pool, sp.Prev.Pend),
			nextPend: c.pendOf(sp.Next.Pool, sp.Next.Pend),
			// Output chips end the flow: those that feed the IO output, and
			// those that feed a pend drained from outside (a PendOutput).
			output: sp.Next.Pool == IOKey || c.r.ext[sp.Next.Name()].out,
			host:   host{r: c.r, idx: int32(i)},
		}
		s.deadPend = -1
		if hasDead(sp) {
			s.deadPend = c.pendOf(sp.Dead.Pool, sp.Dead.Pend)
		}
		if len(pl.pends) > 0 {
			s.prevPool, s.nextPool = pl.pends[s.prevPend].pool, pl.pends[s.nextPend].pool
		}
	}
	for _, k := range c.extKeys {
		c.pendOf(k.Pool, k.Pend)
	}
	pl.pendReaders, pl.pendFeeders = make([][]int32, len(pl.pends)), make([][]int32, len(pl.pends))
	for i, ch := range c.chips {
		if ch == nil || len(pl.pends) == 0 {
			continue
		}
		s := &pl.slots[i]
		pl.pendReaders[s.prevPend] = append(pl.pendReaders[s.prevPend], int32(i))
		pl.pendFeeders[s.nextPend] = append(pl.pendFeeders[s.nextPend], int32(i))
		s.reads = storesIn(c.poolOf(s.spec.Prev.Pool), s.spec.Prev.Pend)
		for _, st := range s.reads {
			home := homeOf(st.p, st.pend)
			if rd := pl.readIdx[home]; len(rd) == 0 || rd[len(rd)-1] != int32(i) {
				pl.readIdx[home] = append(rd, int32(i))
			}
		}
	}
}

// deadPool returns the pool of sp's dead-letter pend, nil for none.
func deadPool(c *compiler, sp Spec) *Pool {
	if !hasDead(sp) {
		return nil
	}
	return c.poolOf(sp.Dead.Pool)
}

// bindChips binds every chip that the check phase did not rule out to its
// pools. Bind reports what only the chip knows (a nil process, an element
// type that does not match the pend's), each line named with the chip.
func (c *compiler) bindChips() {
	for i, ch := range c.chips {
		if ch == nil || c.unbound[i] {
			continue
		}
		s := &c.plan.slots[i]
		s.binding = Binding{
			Prev: c.poolOf(s.spec.Prev.Pool), Next: c.poolOf(s.spec.Next.Pool),
			Dead: deadPool(c, s.spec),
			Ctx:  c.r.ctx, Host: &s.host, Drain: &c.r.draining,
		}
		run, err := safeBind(ch, s.binding)
		if err != nil {
			c.errs = append(c.errs, named(fmt.Sprintf("chip %q", c.names[i]), err)...)
			continue
		}
		s.run = run
	}
}
