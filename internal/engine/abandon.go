package engine

// A pend whose readers have all ended early (a Take, or a join ended by its
// shorter side) will never be read again. Its packs would hold the pool's
// budget for good, and a Duplicate that also feeds it would be held back by
// its limit, stalling the branches still reading. So the scheduler abandons
// it (Pool.Abandon): its packs are dropped, later pushes are
// discarded, and a load-balancing view stops picking it. Abandoned pends are
// restored when the runlet stops, so that a pool can serve another runlet.

// storage is the one identity of a pend from Attach on: a count or byte
// pool where packs live and a key there. The key is a pend's own, or, for a
// pend's home (homeOf), the view group it belongs to: chips that wait on
// any pend of the group wait on its home.
type storage struct {
	p    *Pool
	pend string
}

// storesOf resolves a chip's pend reference to the pends its packs live in
// (see storesIn); nothing for an unknown pool.
func (r *Runlet) storesOf(poolKey, pend string) []storage {
	i, ok := r.poolIdx[poolKey]
	if !ok {
		return nil
	}
	return storesIn(r.pools[i], pend)
}

// storesIn resolves pend of pool p to the pends its packs live in: a view's
// viewees, a logical pool's key in its inner pool, or the pend itself;
// nothing for the IO pool or a nil pool.
func storesIn(p *Pool, pend string) []storage {
	switch {
	case p == nil || p.Kind() == IO:
		return nil
	case p.Kind() != Logical:
		return []storage{{p, pend}}
	}
	if viewees, _, _, ok := p.ViewOf(pend); ok {
		out := make([]storage, len(viewees))
		for j, v := range viewees {
			out[j] = storage{p.Inner(), v}
		}
		return out
	}
	return []storage{{p.Inner(), pend}}
}

// abandonReads abandons each pend chip i read that no chip reads any more
// and no PendOutput drains, while its view group is still read elsewhere
// (another viewee of a Duplicate or LoadBalance, so its producer goes on),
// and wakes the chips waiting for room in its pool. Chip i has just ended
// before the flow did. A plain pend is left as it is: endUpstream stops its
// producers, and what it holds stays for Describe.
func (r *Runlet) abandonReads(i int32) {
	s := &r.slots[i]
	for _, st := range s.reads {
		if self, group := r.readers(st); self || !group {
			continue
		}
		st.p.Abandon(st.pend)
		r.abandoned = append(r.abandoned, st)
		if k, ok := r.pslotIdx[st.p]; ok {
			r.wakePool(k)
		}
	}
}

// readers reports whether a chip that has not ended, or a PendOutput, reads
// st itself, and whether one reads another pend of st's view group. It looks
// only at the chips that read a pend of st's home (plan.readIdx), so ending
// every chip of a graph costs time linear in its size.
func (r *Runlet) readers(st storage) (self, group bool) {
	home := homeOf(st.p, st.pend)
	see := func(stores []storage) {
		for _, o := range stores {
			switch {
			case o == st:
				self = true
			case homeOf(o.p, o.pend) == home:
				group = true
			}
		}
	}
	r.endScans += len(r.readIdx[home])
	for _, j := range r.readIdx[home] {
		if s := &r.slots[j]; !s.ended {
			see(s.reads)
		}
	}
	for k, e := range r.ext {
		if e.out {
			see(r.storesOf(k.Pool, k.Pend))
		}
	}
	return self, group
}

// homeOf returns where pend of p lives, as a storage pend or view group.
func homeOf(p *Pool, pend string) storage {
	hp, name := p.Home(pend)
	return storage{hp, name}
}

// restoreAbandoned undoes abandonReads once the runlet has stopped.
func (r *Runlet) restoreAbandoned() {
	for _, st := range r.abandoned {
		st.p.Restore(st.pend)
	}
	r.abandoned = nil
}
