package engine

// GroupMembers returns how many runlets the scheduling group of p holds, or
// -1 when p has none. It is for tests: a group must forget the runlets that
// stopped.
func GroupMembers(p *Pool) int {
	regMu.Lock()
	defer regMu.Unlock()
	g := p.sched
	if g == nil {
		return -1
	}
	return len(*g.members.Load())
}

// EndScans returns how many slots ending chips has looked at so far (see
// the endScans field). It is for tests: the count must grow linearly with
// the graph. Only the holder of the group's lock, or a caller after Run
// returned, may call it.
func (r *Runlet) EndScans() int { return r.endScans }

// SetKickGap makes kick call f between a failed TryLock and its look at the
// observers; nil removes it. It is for tests: it widens a window that a
// preemption there opens too.
func SetKickGap(f func()) {
	if f == nil {
		kickGap.Store(nil)
		return
	}
	kickGap.Store(&f)
}
