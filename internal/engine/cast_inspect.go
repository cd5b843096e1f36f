package engine

// FailCallsNow fails the Calls pending on chip key with err and drops its
// Casts, under the scheduler's lock, as a supervisor's restart of the chip
// does (failCalls). It is for package runlet's tests, which cannot restart a
// chip by other means yet; it does nothing for an unknown key or a runlet
// not attached.
func FailCallsNow(r *Runlet, key string, err error) {
	r.g.mu.Lock()
	defer r.release()
	if !r.attached {
		return
	}
	for i := range r.slots {
		if r.slots[i].key == key {
			r.failCalls(i, err)
		}
	}
}
