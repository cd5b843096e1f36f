package runlet

import (
	"fmt"
	"strings"

	"github.com/runlet/runlet/pool"
)

// Snapshot is a copy of a runlet's whole state: what Describe prints, as data
// that encodes to JSON.
type Snapshot struct {
	State  string         `json:"state"` // "new", "running", "ended", "failed", "detached"
	Err    string         `json:"err,omitempty"`
	Paused bool           `json:"paused"`
	Stats  Stats          `json:"stats"`
	Chips  []ChipSnapshot `json:"chips"`
	Pools  []PoolSnapshot `json:"pools"`
}

// ChipSnapshot is one chip's state.
type ChipSnapshot struct {
	Key         string `json:"key"`
	Prev        string `json:"prev"` // pend@pool
	Next        string `json:"next"`
	Async       bool   `json:"async"`
	Concurrency int    `json:"concurrency,omitempty"`
	Ended       bool   `json:"ended"`
	Running     string `json:"running,omitempty"` // the held pack, "RUN xN" in flight, or "END"
	Note        string `json:"note,omitempty"`    // the chip's Describe hook
}

// PoolSnapshot is one pool's state plus who waits on it.
type PoolSnapshot struct {
	pool.Snapshot
	PullWake []string            `json:"pull_wake,omitempty"` // chips waiting for room
	PushWake map[string][]string `json:"push_wake,omitempty"` // pend key: chips waiting for data
}

// Snapshot returns a copy of the runlet's state.
func (r *Runlet) Snapshot() Snapshot {
	r.g.mu.Lock()
	defer r.release()
	return r.snapshot()
}

func (r *Runlet) snapshot() Snapshot {
	s := Snapshot{State: "new", Paused: r.paused.Load(), Stats: r.stats}
	switch {
	case r.err == ErrDetached || r.detached.Load():
		s.State = "detached"
	case r.err != nil:
		s.State = "failed"
	case r.stopping:
		s.State = "ended"
	case r.attached:
		s.State = "running"
	}
	if r.err != nil {
		s.Err = r.err.Error()
	}
	if !r.attached {
		return s
	}
	for i := range r.slots {
		sl := &r.slots[i]
		running, note := sl.run.Describe()
		if sl.ended {
			running = "END"
		}
		s.Chips = append(s.Chips, ChipSnapshot{
			Key: sl.key, Prev: sl.spec.Prev.String(), Next: sl.spec.Next.String(),
			Async: sl.spec.Async, Concurrency: sl.spec.Concurrency,
			Ended: sl.ended, Running: running, Note: note,
		})
	}
	for _, p := range r.pools {
		ps := PoolSnapshot{Snapshot: p.Snapshot()}
		if i, ok := r.pslotIdx[p]; ok {
			for _, w := range r.pslots[i].waiters {
				ps.PullWake = append(ps.PullWake, r.slots[w].key)
			}
		}
		for _, pd := range r.pends {
			if len(pd.waiters) == 0 {
				continue
			}
			for _, m := range pd.members {
				if m[0] != p.Key() {
					continue
				}
				if ps.PushWake == nil {
					ps.PushWake = map[string][]string{}
				}
				for _, w := range pd.waiters {
					ps.PushWake[m[1]] = append(ps.PushWake[m[1]], r.slots[w].key)
				}
			}
		}
		s.Pools = append(s.Pools, ps)
	}
	return s
}

// Describe returns the runlet's state as text, one line per chip, pool and
// pend, in the reference runlet's format plus the always-on counters:
//
//	[DETACHED] | [FAILED] <error> | [ENDED]        (only when stopped)
//	stat: hitRate=0.8904 hits=260 statMiss=0 pushMiss=8 pullMiss=24
//	#<chip> [<running>] <prev pend>@<pool> >> <next pend>@<pool> <note>
//	@<pool> <size>/<limit> pullWake[<chips>] high=<highest size>
//	 -<pend> <size>,<private>P [<queued packs>] pushWake[<chips>]
//
// A limit of "-" means none. Queued packs print as value|hint|IDLE, the first
// pool.MaxQueued of them.
func (r *Runlet) Describe() string { return r.Snapshot().String() }

// String renders the snapshot in Describe's format.
func (s Snapshot) String() string {
	var b strings.Builder
	switch s.State {
	case "detached":
		b.WriteString("[DETACHED]\n")
	case "failed":
		fmt.Fprintf(&b, "[FAILED] %s\n", firstLine(s.Err))
	case "ended":
		b.WriteString("[ENDED]\n")
	}
	if s.Paused {
		b.WriteString("[PAUSED]\n")
	}
	fmt.Fprintf(&b, "stat: hitRate=%.4f hits=%d statMiss=%d pushMiss=%d pullMiss=%d\n",
		s.Stats.HitRate(), s.Stats.Hits, s.Stats.StatMiss, s.Stats.PushMiss, s.Stats.PullMiss)
	for _, c := range s.Chips {
		fmt.Fprintf(&b, "#%s [%s] %s >> %s", c.Key, c.Running, c.Prev, c.Next)
		if c.Async {
			fmt.Fprintf(&b, " async(%d)", c.Concurrency)
		}
		if c.Note != "" {
			b.WriteString(" " + c.Note)
		}
		b.WriteByte('\n')
	}
	for _, p := range s.Pools {
		if p.Kind == pool.IO.String() {
			fmt.Fprintf(&b, "@%s\n", p.Key)
			continue
		}
		fmt.Fprintf(&b, "@%s %d/%s pullWake[%s] high=%d", p.Key, p.Size, limitText(p.Limit), strings.Join(p.PullWake, ","), p.High)
		if p.Kind != pool.Count.String() {
			b.WriteString(" " + p.Kind)
		}
		b.WriteByte('\n')
		for _, pd := range p.Pends {
			fmt.Fprintf(&b, " -%s %d,%dP [%s] pushWake[%s]", pd.Key, pd.Size, pd.Private, strings.Join(pd.Queued, ", "), strings.Join(p.PushWake[pd.Key], ","))
			if pd.Limit >= 0 {
				fmt.Fprintf(&b, " limit=%d", pd.Limit)
			}
			b.WriteByte('\n')
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func limitText(l int) string {
	if l < 0 {
		return "-"
	}
	return fmt.Sprint(l)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
