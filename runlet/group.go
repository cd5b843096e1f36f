package runlet

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/runlet/runlet/pool"
)

// group is the runlets that share storage pools: they share one lock, since
// a pool is not safe for concurrent use, and they wake each other's chips
// when one of them pushes into or pulls from a pool they share. A runlet with
// pools of its own is a group of one.
type group struct {
	// mu is held by whichever goroutine runs a member's scheduler loop; it
	// protects every member's scheduling state and the pools. The hot path
	// (a sync chip's burst) runs under it without taking any other lock.
	mu      sync.Mutex
	members atomic.Pointer[[]*Runlet] // copy on write; added to under regMu

	// observers counts observers between trying mu and letting it go: one
	// that holds mu takes it for a moment and does not run the loop after
	// (see kick).
	observers atomic.Int32
	want      atomic.Bool // a member's observer asked for a fresh snapshot
}

// regMu serialises joining groups: reading and writing pools' Sched.
var regMu sync.Mutex

// joinGroup puts r in the group of the pools it uses (their storage pools),
// or a new one. Pools already in two different groups cannot join one
// runlet: that is reported by Attach.
func joinGroup(r *Runlet) {
	regMu.Lock()
	defer regMu.Unlock()
	var stores []*pool.Pool
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
		pg, _ := p.Sched().(*group)
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
		g.members.Store(&[]*Runlet{})
	}
	for _, p := range stores {
		if p.Sched() == nil {
			p.SetSched(g)
		}
	}
	old := *g.members.Load()
	members := append(append(make([]*Runlet, 0, len(old)+1), old...), r)
	g.members.Store(&members)
	r.g = g
}

// kick runs the loop of every member with work, on this goroutine, unless
// another goroutine holds the lock.
//
// High level idea: the loop's owner holds mu. Anyone with mail posts it and
// then tries to become the owner; if mu is held, the owner will see the mail,
// because every owner checks for mail again after it unlocks. So no post is
// lost and nobody ever waits for the scheduler to pick up a message: async
// completions never block on it.
//
// The one holder that does not look at the mail after it unlocks is an
// observer building a snapshot (it must never run the loop, which may run
// for ever): while one may hold mu, the poster tries again instead of
// leaving its mail to it. An observer holds mu only while it copies the
// state, so the retry is short.
func (g *group) kick() {
	for g.hasWork() {
		if g.mu.TryLock() {
			g.drain()
			g.mu.Unlock()
			continue
		}
		if g.observers.Load() == 0 {
			return // the holder runs the loop before it lets go
		}
		runtime.Gosched()
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
// the pools r uses. Only the holder of mu calls it.
func (r *Runlet) shared() bool {
	for _, m := range *r.g.members.Load() {
		if m != r && !m.settled {
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
	var key canon
	if pend {
		key = r.pends[p].home
	} else {
		key = canon{p: r.pslots[p].pool}
	}
	for _, m := range members {
		if m == r || !m.attached || m.stopping {
			continue
		}
		if pend {
			if j, ok := m.canonIdx[key]; ok && len(m.pends[j].waiters) > 0 {
				m.wakePendLocal(j)
				m.hasMail.Store(true) // run m's loop before the lock is let go
			}
		} else if j, ok := m.pslotIdx[key.p]; ok && len(m.pslots[j].waiters) > 0 {
			m.wakePoolLocal(j)
			m.hasMail.Store(true)
		}
	}
}

// canon is where a pend's packs live: its storage pool and the name of its
// pend, or of the view group it belongs to, there.
type canon struct {
	p    *pool.Pool
	name string
}
