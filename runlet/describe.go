package runlet

import (
	"fmt"
	"strings"

	"github.com/runlet/runlet/internal/engine"
)

// Snapshot is a copy of a runlet's whole state: what Describe prints, as data
// that encodes to JSON, so that a tool can read the state without parsing
// text. [Snapshot.String] renders it as Describe's text, and
// [Snapshot.Mermaid], [Snapshot.DOT] and [Snapshot.ASCII] draw its graph, so
// a tool that holds only the JSON can print and draw it too.
//
// A Snapshot is a plain value that shares nothing with the runlet; it may be
// kept, copied and used from any goroutine. The zero value is the state of a
// runlet that was never attached, less its State ("new").
//
// # JSON
//
// The JSON field names are a stable contract: fields may be added, never
// renamed or removed. A snapshot of a runlet that is running looks like this
// (one chip and one pool shown; "omitempty" fields are left out when empty):
//
//	{
//	  "state": "running",              // "new", "running", "ended", "failed" or "detached"
//	  "err": "...",                    // why it stopped; only for "failed" and "detached"
//	  "paused": false,
//	  "stats": {"hits": 260, "stat_miss": 0, "push_miss": 8, "pull_miss": 24},
//	  "chips": [{                      // in chip order; null before Attach
//	    "key": "split",
//	    "prev": "lines@default", "next": "words@default",   // pend@pool, as Describe prints
//	    "prev_pool": "default", "prev_pend": "lines",
//	    "next_pool": "default", "next_pend": "words",
//	    "async": true, "concurrency": 4,
//	    "ended": false,
//	    "state": "wait-data",          // see ChipSnapshot.State
//	    "running": "RUN x3",           // the held pack, "RUN xN" in flight, or "END"
//	    "note": "..."                  // the chip's Describe hook
//	  }],
//	  "pools": [{                      // see Snapshot.Pools; null before Attach
//	    "key": "default", "kind": "count",   // "count", "bytes", "io" or "logical"
//	    "size": 5, "limit": 8, "high": 8,    // limit -1: none
//	    "inner": "store",                    // a logical pool's inner pool
//	    "pends": [{                          // configuration order (a logical pool: its views, sorted)
//	      "key": "words", "type": "string",
//	      "size": 3, "private": 1, "limit": 256, "packs": 3, "limited": false,
//	      "queued": ["\"go\"|-|IDLE"],       // the first pool.MaxQueued packs
//	      "viewees": ["a", "b"]              // a view: the pends it is over
//	    }],
//	    "pull_wake": ["read"],               // chips waiting for room in this pool
//	    "push_wake": {"words": ["count"]},   // per pend key: chips waiting for data
//	    "pend_inputs": ["in"],               // pends fed from outside (PendInput)
//	    "pend_outputs": ["out"]              // pends drained from outside (PendOutput)
//	  }]
//	}
//
// Encoding a Snapshot and decoding the JSON gives back an equal Snapshot.
//
// Snapshot has the engine's snapshot's fields (the engine builds it; a
// Snapshot is converted from it for free); its methods are here.
type Snapshot struct {
	State  string         `json:"state"` // "new", "running", "ended", "failed", "detached"
	Err    string         `json:"err,omitempty"`
	Paused bool           `json:"paused"`
	Stats  Stats          `json:"stats"`
	Chips  []ChipSnapshot `json:"chips"` // in the order given to New
	// Pools are in the order given to New, then the IO pool if the runlet
	// added it, then inner pools of logical pools that were not given.
	Pools []PoolSnapshot `json:"pools"`
}

// ChipSnapshot is one chip's state. Prev and Next are "pend@pool", as
// Describe prints them; the four fields after them hold the same names
// apart, for tools.
//
// A plain value, safe to copy and read from any goroutine, like [Snapshot].
//
// Its fields are documented on the engine's type; State is one of the
// Chip* constants below.
//
// The zero value describes no chip.
type ChipSnapshot = engine.ChipSnapshot

// Chip states, the values of [ChipSnapshot.State].
const (
	ChipReady    = engine.ChipReady
	ChipBusy     = engine.ChipBusy
	ChipWaitData = engine.ChipWaitData
	ChipWaitRoom = engine.ChipWaitRoom
	ChipEnded    = engine.ChipEnded
	ChipStopped  = engine.ChipStopped
)

// PoolSnapshot is one pool's state plus who waits on it and which of its
// pends are fed or drained from outside.
//
// A plain value, safe to copy and read from any goroutine, like [Snapshot].
//
// The zero value describes no pool.
type PoolSnapshot = engine.RunletPoolSnapshot

// Snapshot returns a copy of the runlet's state. It never waits for the
// scheduler for more than 2 milliseconds, and may be called at any moment
// from any goroutine, including from inside a chip's process. How fresh the
// copy is:
//
//   - when no goroutine is running the scheduler (the runlet is idle,
//     stopped or waiting for async work), it is the state of this moment;
//   - while the scheduler runs, Snapshot asks it for a copy, which it
//     publishes between two bursts, at most about 2 x [Config.Budget] packs
//     later; Snapshot returns that copy, or after 2 ms without one, the
//     latest copy published;
//   - from inside a chip's process on the scheduler's goroutine (a sync
//     chip, a Close or OnError hook), which is the scheduler, it does not
//     wait: it returns the latest copy published (the first one is made when
//     Run triggers the chips) and asks for a new one, so a chip that
//     observes on every pack sees a state at most about 2 x Config.Budget
//     packs old.
//
// State, Err and Paused are always current, even in a copy published
// earlier; Chips, Pools and Stats are as of the copy.
//
// The chips' Describe hooks run while the copy is made, under the
// scheduler's lock; a hook may make control calls (Abort, Trigger, Resume,
// Detach), which take effect once the copy is made.
func (r *Runlet) Snapshot() Snapshot { return Snapshot(r.e().Snapshot()) }

// Describe returns the runlet's state as text: Snapshot().String(), as fresh
// as [Runlet.Snapshot] and, like it, never waiting for the scheduler. One
// line per chip, pool and pend, in the reference runlet's format plus the always-on counters:
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
func (s Snapshot) String() string { return engine.RunletSnapshot(s).String() }

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
