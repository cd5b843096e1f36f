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
