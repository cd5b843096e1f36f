package runlet

import (
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
)

// GroupMembers returns how many runlets the scheduling group of p holds, or
// -1 when p has none.
func GroupMembers(p *pool.Pool) int { return engine.GroupMembers((*engine.Pool)(p)) }

// SetKickGap makes kick call f between a failed TryLock and its look at the
// observers; nil removes it.
func SetKickGap(f func()) { engine.SetKickGap(f) }
