package engine

import (
	"sync"
	"sync/atomic"
)

// group is the runlets that share storage pools: they share one lock, since
// a pool is not safe for concurrent use, and they wake each other's chips
// when one of them pushes into or pulls from a pool they share. A runlet with
// pools of its own is a group of one.
//
// Every runlet of the group uses its lock from New on, but only the active
// ones are members (see Runlet.join): a runlet joins when it is first sent
// mail (Run's Trigger, an async completion) or first waits through a passive
// handle, and leaves for good when it settles. So a runlet never run is no
// member and can be collected, and a group over a pool used by many runlets
// one after the other holds only the ones running.
type group struct {
	// mu is held by whichever goroutine runs a member's scheduler loop; it
	// protects every member's scheduling state and the pools. The hot path
	// (a sync chip's burst) runs under it without taking any other lock.
	mu      sync.Mutex
	members atomic.Pointer[[]*Runlet] // copy on write, under memMu
	memMu   sync.Mutex                // serialises changes to members; taken last

	// observers counts observers (snapshots, hand-on goroutines) between
	// trying mu and letting it go: one that holds mu does not run every
	// member's loop after (see kick).
	observers atomic.Int32
	// released counts observers' unlocks, each bumped after Unlock and
	// before the observer stops counting: leaveMail tells by it an observer
	// that let go between the poster's TryLock and its look at observers.
	released atomic.Uint64
	// handoff is set by a poster that may have found an observer holding
	// mu: the observer hands the mail on as it lets go (see observed).
	handoff atomic.Bool
	want    atomic.Bool // a member's observer asked for a fresh snapshot
}

// kickGap, when set, is called in leaveMail, between a failed TryLock and
// the look at the observers, to widen that window. Only tests set it (SetKickGap);
// otherwise it is nil and costs one atomic load on kick's slow path.
var kickGap atomic.Pointer[func()]

// Membership states of a runlet (Runlet.member).
const (
	memberNot  int32 = iota // not joined yet
	memberIn                // in group.members
	memberGone              // settled: left, and never joins again
)

// noMembers is the member list of a group with none; it is never written.
var noMembers []*Runlet

// regMu serialises joining groups: reading and writing pools' sched field.
var regMu sync.Mutex

// joinGroup gives r the group of the pools it uses (their storage pools), or
// a new one, without making r a member. Pools already in two different
// groups cannot join one runlet: that is reported by Attach.
func joinGroup(r *Runlet) {
	regMu.Lock()
	defer regMu.Unlock()
	var stores []*Pool
	for _, p := range r.pools {
		if p == nil {
			continue
		}
		stores = append(stores, p)
		if in := p.Inner(); in != nil {
			stores = append(stores, in)
		}
	}
	var g *group
	for _, p := range stores {
		pg := p.sched
		switch {
		case pg == nil:
		case g == nil:
			g = pg
		case pg != g:
			r.groupErr = p.Key()
		}
	}
	if g == nil {
		g = &group{}
		g.members.Store(&noMembers)
	}
	for _, p := range stores {
		if p.sched == nil {
			p.sched = g
		}
	}
	r.g = g
}

// join makes r a member of its group, unless it is one or has settled. It is
// called before r's mail is looked for (see kick) and before a passive handle
// waits for a wake from another member, from any goroutine, with or without
// mu held.
func (r *Runlet) join() {
	if r.member.Load() != memberNot {
		return
	}
	g := r.g
	g.memMu.Lock()
	defer g.memMu.Unlock()
	if r.member.Load() != memberNot {
		return
	}
	old := *g.members.Load()
	members := append(append(make([]*Runlet, 0, len(old)+1), old...), r)
	g.members.Store(&members)
	r.member.Store(memberIn)
}

// unjoin takes r, which is not attached, out of its group's members, so
// that mail sent before Attach (a Trigger) does not keep it there for
// good; it joins again when next sent mail. Only the holder of mu calls it.
func (r *Runlet) unjoin() {
	g := r.g
	g.memMu.Lock()
	defer g.memMu.Unlock()
	if r.member.Load() != memberIn {
		return
	}
	g.drop(r)
	r.member.Store(memberNot)
}

// leave removes r from its group for good. r has settled: it takes no mail,
// wakes nobody and moves no pool any more.
func (r *Runlet) leave() {
	g := r.g
	g.memMu.Lock()
	defer g.memMu.Unlock()
	if r.member.Swap(memberGone) != memberIn {
		return
	}
	g.drop(r)
}

// drop stores g's member list without r. Only the holder of memMu calls it.
func (g *group) drop(r *Runlet) {
	old := *g.members.Load()
	if len(old) == 1 && old[0] == r { // r alone: the common case of runlets in turn
		g.members.Store(&noMembers)
		return
	}
	members := make([]*Runlet, 0, len(old))
	for _, m := range old {
		if m != r {
			members = append(members, m)
		}
	}
	g.members.Store(&members)
}

// kick runs the loop of every member with work, on this goroutine, unless
// another goroutine holds the lock.
//
// High level idea: the loop's owner holds mu. Anyone with mail posts it and
// then tries to become the owner; if mu is held, the holder will see the
// mail, because every holder checks for mail again after it unlocks. So no
// post is lost and nobody ever waits for the scheduler to pick up a message:
// async completions never block on it.
//
// Holders come in two kinds. One that runs the loop (kick's drain, release)
// looks at every member's mail after it unlocks. One that holds mu only
// briefly or only for one runlet (an observer building a snapshot, which
// must never run the loop, and a hand-on goroutine, see observed) counts in
// observers meanwhile: a poster that may have met one leaves it the mail
// (handoff) and returns at once, and the observer hands the mail on as it
// lets go. See leaveMail for how the poster tells the two apart.
func (g *group) kick() {
	for g.hasWork() {
		seq := g.released.Load()
		if g.mu.TryLock() {
			g.drain()
			g.mu.Unlock()
			continue
		}
		if !g.leaveMail(seq) {
			return
		}
	}
}

// leaveMail leaves the caller's mail to the holder of mu, after a failed
// TryLock; seq is released as read before that TryLock. It reports whether
// the caller must try again.
//
// With no observer counted and none let go since seq, the holder runs the
// loop and looks at the mail after it unlocks. Otherwise an observer may
// hold mu: the caller sets handoff, which the observer reads after its last
// unlock (see observed). An observer that let go before that read had
// bumped released by then, so the caller, seeing released moved, tries
// again.
func (g *group) leaveMail(seq uint64) bool {
	if f := kickGap.Load(); f != nil {
		(*f)()
	}
	if g.observers.Load() == 0 && g.released.Load() == seq {
		return false // a loop runner holds mu
	}
	g.handoff.Store(true)
	return g.released.Load() != seq
}

// observed ends an observer's hold of mu (own is nil) or a hand-on
// goroutine's (own is its runlet); the caller holds mu and counts in
// observers. It hands on the mail left to it (handoff; for a hand-on
// goroutine, all other members' mail, which its loop may have made by
// waking them), unlocks, and bumps released before it stops counting (see
// leaveMail). Mail left after its look at handoff and before its unlock is
// seen by the look after it, which takes mu again for it if it can; a
// holder that has it then is one that will see the mail itself.
func (g *group) observed(own *Runlet) {
	for {
		if g.handoff.Swap(false) || own != nil {
			g.handOn(own)
		}
		g.mu.Unlock()
		g.released.Add(1)
		if !g.handoff.Load() || !g.mu.TryLock() {
			g.observers.Add(-1)
			return
		}
	}
}

// handOn starts, for the first member but own with mail, a goroutine that
// runs that member's loop (runHandedOn), counted in the member's wg. That
// goroutine hands on the next member's mail as it lets go, so that members
// run in order, as drain runs them. Only the holder of mu calls it: a member
// has not settled, so its Run is not yet waiting for wg.
func (g *group) handOn(own *Runlet) {
	for _, m := range *g.members.Load() {
		if m != own && m.hasMail.Load() {
			m.wg.Add(1)
			go m.runHandedOn()
			return
		}
	}
}

// runHandedOn runs r's loop for mail that an observer handed on (see
// observed). It runs no other member's loop: like an observer, it hands
// their mail on to goroutines of their own, so that it ends before r's Run
// returns, which waits for it.
func (r *Runlet) runHandedOn() {
	defer r.wg.Done()
	g := r.g
	for r.hasMail.Load() && r.member.Load() != memberGone {
		seq := g.released.Load()
		g.observers.Add(1)
		if g.mu.TryLock() {
			r.loop()
			g.observed(r)
			continue
		}
		g.observers.Add(-1)
		if !g.leaveMail(seq) {
			return
		}
	}
}

// hasWork reports whether a member has mail or was woken by another member.
func (g *group) hasWork() bool {
	for _, m := range *g.members.Load() {
		if m.hasMail.Load() {
			return true
		}
	}
	return false
}

// drain runs members' loops until none has work. Only the holder of mu calls
// it.
func (g *group) drain() {
	for again := true; again; {
		again = false
		for _, m := range *g.members.Load() {
			if m.hasMail.Load() {
				m.loop()
				again = true
			}
		}
	}
}

// publishAsked publishes a fresh snapshot for every member whose observer
// asked for one. Only the holder of mu calls it, between bursts.
func (g *group) publishAsked() {
	if !g.want.Load() {
		return
	}
	g.want.Store(false) // before the members: an observer asking now is seen next time
	for _, m := range *g.members.Load() {
		if m.want.CompareAndSwap(true, false) {
			m.publish()
		}
	}
}

// shared reports whether another member that has not settled may still move
// the pools r uses: members are the runlets that are running (or waiting
// through a passive handle); one built and never run is none. Only the
// holder of mu calls it.
func (r *Runlet) shared() bool {
	for _, m := range *r.g.members.Load() {
		if m != r && m.attached && !m.settled {
			return true
		}
	}
	return false
}

// wakeOthers wakes, in the other members, the chips waiting on the same
// storage pool (room) or pend (data) as slot p of r: they share the pool.
// Only the holder of mu calls it.
func (r *Runlet) wakeOthers(pend bool, p int32) {
	members := *r.g.members.Load()
	if len(members) < 2 {
		return
	}
	var key storage
	if pend {
		key = r.pends[p].home
	} else {
		key = storage{p: r.pslots[p].pool}
	}
	for _, m := range members {
		if m == r || !m.attached || m.stopping {
			continue
		}
		if pend {
			if j, ok := m.homeIdx[key]; ok && len(m.pends[j].waiters) > 0 {
				m.wakePendLocal(j)
				m.hasMail.Store(true) // run m's loop before the lock is let go
			}
		} else if j, ok := m.pslotIdx[key.p]; ok && len(m.pslots[j].waiters) > 0 {
			m.wakePoolLocal(j)
			m.hasMail.Store(true)
		}
	}
}

// emptyPends empties, as r settles, the pends r leaves to nobody, so that a
// later runlet on the same pools receives only its own packs. It leaves
// alone a pend that r hands over (one drained by a PendOutput: its packs are
// for a reader outside r, and Output.Pull may still take them) and one that
// a member still running uses (its packs are that runlet's). Emptying drops
// the packs and gives back the units reserved for packs not yet pushed
// (Pend.Reserve); the pend's private size and limit stay, as configuration
// that the next Attach to size the pend replaces. Only the holder of mu
// calls it.
func (r *Runlet) emptyPends() {
	for i := range r.pends {
		ps := &r.pends[i]
		if r.handsOver(ps) || r.usedByOthers(ps.home) {
			continue
		}
		for _, k := range ps.members {
			for _, st := range r.storesOf(k.Pool, k.Pend) {
				// Abandon drops the packs and the reserved units, Restore
				// makes the pend an ordinary one again.
				st.p.Abandon(st.pend)
				st.p.Restore(st.pend)
			}
		}
	}
}

// emptiesSomething reports whether emptyPends would drop packs or reserved
// units, so that a snapshot taken after it would differ. Only the holder of
// mu calls it.
func (r *Runlet) emptiesSomething() bool {
	for i := range r.pends {
		ps := &r.pends[i]
		if r.handsOver(ps) || r.usedByOthers(ps.home) {
			continue
		}
		for _, k := range ps.members {
			if i, ok := r.poolIdx[k.Pool]; ok && holdsAny(r.pools[i], k.Pend) {
				return true
			}
		}
	}
	return false
}

// holdsAny reports whether pend of p, resolved as storesIn does, holds packs
// or reserved units.
func holdsAny(p *Pool, pend string) bool {
	switch {
	case p == nil || p.Kind() == IO:
		return false
	case p.Kind() != Logical:
		a := p.pends[pend]
		return a != nil && (a.packs > 0 || a.size > 0)
	}
	if viewees, _, _, ok := p.ViewOf(pend); ok {
		for _, v := range viewees {
			if holdsAny(p.Inner(), v) {
				return true
			}
		}
		return false
	}
	return holdsAny(p.Inner(), pend)
}

// handsOver reports whether a PendOutput drains pend ps.
func (r *Runlet) handsOver(ps *pendSlot) bool {
	for _, k := range ps.members {
		if r.ext[k].out {
			return true
		}
	}
	return false
}

// usedByOthers reports whether a member other than r that has not settled
// uses the pend whose packs live at home. Only the holder of mu calls it.
func (r *Runlet) usedByOthers(home storage) bool {
	for _, m := range *r.g.members.Load() {
		if m == r || !m.attached || m.settled {
			continue
		}
		if _, ok := m.homeIdx[home]; ok {
			return true
		}
	}
	return false
}

// SharesGroup reports whether a runlet other than r is a member of r's
// group: running, and sharing r's lock.
func (r *Runlet) SharesGroup() bool {
	for _, m := range *r.g.members.Load() {
		if m != r {
			return true
		}
	}
	return false
}
