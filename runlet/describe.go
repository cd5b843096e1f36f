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
	// Supervisor is what the runlet's supervisor has done (its restarts,
	// its latest events); nil when no chip can be restarted.
	Supervisor *SupervisorSnapshot `json:"supervisor,omitempty"`
}

// ChipSnapshot is one chip's state. Prev and Next are "pend@pool", as
// Describe prints them; the four fields after them hold the same names
// apart, for tools.
//
// A plain value, safe to copy and read from any goroutine, like [Snapshot].
//
// Its fields (JSON names in brackets): Key (key); Prev and Next (prev, next),
// "pend@pool"; PrevPool, PrevPend, NextPool, NextPend (prev_pool, ...), the
// same names apart; Async (async) and Concurrency (concurrency, async chips
// only); Ended (ended); State (state), one of the Chip* constants below;
// Running (running), the held pack, "RUN xN" while N packs are in flight, or
// "END"; Note (note), what the chip's Describe hook said.
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
// pends are fed or drained from outside: the fields of [pool.Snapshot]
// (embedded: Key, Kind, Size, Limit, High, Inner, Pends), then PullWake
// (pull_wake), the chips waiting for room; PushWake (push_wake), per pend
// key the chips waiting for data; PendInputs and PendOutputs (pend_inputs,
// pend_outputs), the pends fed by a PendInput or drained by a PendOutput,
// sorted.
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
// Detach), which take effect once the copy is made. Once the runlet has
// settled, the copy shows the notes the hooks gave just before the chips'
// Close: no hook runs on a closed chip's state.
func (r *Runlet) Snapshot() Snapshot { return Snapshot(r.e().Snapshot()) }

// Describe returns the runlet's state as text: Snapshot().String(), as fresh
// as [Runlet.Snapshot] and, like it, never waiting for the scheduler. The
// format is the always-on counters, then one line per chip, pool and pend
// (parts in brackets <...> are fields; [x] parts are printed only when they
// apply):
//
//	[DETACHED] | [FAILED] <error> | [ENDED]
//	[PAUSED]
//	stat: hitRate=<rate> hits=<n> statMiss=<n> pushMiss=<n> pullMiss=<n>
//	#<chip> [<running>] <prev pend>@<pool> >> <next pend>@<pool>[ async(<N>)][ <note>]
//	@<pool> <size>/<limit> pullWake[<chips>] high=<high>[ <kind>]
//	 -<pend> <size>,<private>P [<queued>] pushWake[<chips>][ limit=<N>]
//
// For example:
//
//	stat: hitRate=0.6364 hits=7 statMiss=0 pushMiss=3 pullMiss=1
//	#read [{}|SKIP|IDLE] runlet:pend:input@runlet:pool:io >> lines@text
//	#upper ["chip"|-|IDLE] lines@text >> words@text
//	@text 3/4 pullWake[read,upper] high=4
//	 -words 3,1P ["GO"|-|IDLE, "POOL"|-|IDLE, "RUNLET"|-|IDLE] pushWake[] limit=3
//	 -lines 0,0P [] pushWake[]
//	@runlet:pool:io
//
// Field by field:
//
//   - The first lines say how the runlet stopped, only once it has:
//     [DETACHED], [FAILED] and the first line of the error (" ..." when it
//     has more), or [ENDED]; then [PAUSED] while it is paused.
//   - stat: the scheduler's counters ([Stats.String]). hits counts process
//     calls (packs handed to workers, for an async chip); each miss is a
//     chip that could not run: statMiss because the runlet was paused or
//     the chip ended or busy, pushMiss because its next pend was limited,
//     pullMiss because its prev pend was empty. hitRate is hits over hits
//     plus all misses, with four decimals (0 before any attempt).
//   - #chip, one line per chip in chip order ([ChipSnapshot.String]): its
//     key; in brackets what it is doing: the pack it holds as
//     value|hint|IDLE, "RUN xN" with N packs in flight for an async chip,
//     "END" once it has ended, or nothing; its prev and next pends as
//     pend@pool (an input chip reads
//     runlet:pend:input@runlet:pool:io and an output chip feeds
//     runlet:pend:output@runlet:pool:io); async(N) for an async chip of
//     concurrency N; and the note its Describe hook returned.
//   - @pool, one line per pool in the order of [Snapshot.Pools]
//     ([PoolSnapshot.String]): size is what its pends hold, counted as the
//     pool counts (packs, or bytes for a bytes pool; a logical pool shows its
//     inner pool's), and limit the pool's limit, "-" for none; pullWake
//     lists the chips waiting for room in it, which a pull from it wakes;
//     high is the highest size it has reached; the kind follows unless the
//     pool counts packs: "bytes" or "logical". The IO pool holds nothing and
//     prints as "@runlet:pool:io" alone.
//   - " -pend", one line per pend of the pool above, in configuration order
//     (for a logical pool, its views, sorted): size is what it holds, counted
//     as its pool counts; private (the number before P) is its private
//     size, room of the pool reserved for it; in brackets its first
//     [pool.MaxQueued] queued packs, oldest first, as value|hint|IDLE (a
//     zero value as itself, any other as a quoted string of its first 16
//     characters; the hint "-" for data); pushWake lists the chips waiting
//     for data in it, which a push into it wakes; limit=N is its pend limit,
//     printed only when it has one.
//
// The same state as data is [Runlet.Snapshot], with JSON field names that
// tools may rely on.
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
