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
//	    "note": "...",                 // the chip's Describe hook
//	    "stats": {"in": 1055, "out": 1051, ...}   // only with Config.Stats: see ChipStats
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
//	  }],
//	  "flow": {"elapsed_ns": 301018395, ...}  // only with Config.Stats: see FlowStats
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
	// Flow is the runlet's statistics when [Config].Stats is on (elapsed
	// time, rates' window, pend depths, the bottleneck, progress); nil, and
	// left out of the JSON, when it is off.
	Flow *FlowStats `json:"flow,omitempty"`
	// Supervisor is what the runlet's supervisor has done (its restarts,
	// its latest events); nil when no chip can be restarted.
	Supervisor *SupervisorSnapshot `json:"supervisor,omitempty"`
}

// ChipStats is one chip's statistics, in [ChipSnapshot].Stats when
// [Config].Stats is on. JSON names (stable): in, out (packs taken and
// pushed), errors, restarts (by a supervisor), busy_ns, wait_input_ns,
// wait_room_ns (time busy, waiting for input, held back by a limited next
// pend; nanoseconds since Run started), latency (sampled process time per
// pack: samples, p50_ns, p95_ns, p99_ns, max_ns), in_rate, out_rate (packs
// per second over [FlowStats].Window), load (the fraction of the window the
// chip was busy, per worker), progress (see [Progress]). What is sampled:
// a sync chip's latency is the time of one single-pack burst at its first
// run and after every 1024 packs (the process call with its pull and push);
// an async chip's is the
// worker time over the calls of the batches collected in one scheduler
// pass (exact per call for blocking work, handed out one pack per batch).
// Counts are taken per burst and busy time per burst (one clock read at
// its end), never per pack.
type ChipStats = engine.ChipStats

// Latency summarises sampled process times with percentiles read from a
// log-linear histogram over the run (16 buckets per power of two: within
// about 3% of the true value, fixed size, no allocation to record).
type Latency = engine.Latency

// FlowStats is the runlet's statistics, in [Snapshot].Flow when
// [Config].Stats is on. JSON names (stable): elapsed_ns (since Run
// started), window_ns (what rates and loads are over: the last 5 seconds,
// or the run so far), interval_ns (between pend samples), pends (see
// [PendStats]), bottleneck (see [Bottleneck]), progress (see [Progress]).
type FlowStats = engine.FlowStats

// PendStats is one queue pend's depth over the last samples, oldest first,
// the last entry being now: depth (packs held at each sample) and high (the
// most it held since the sample before), with its pool and pend keys.
type PendStats = engine.PendStats

// Bottleneck names the chip that limits the flow's throughput: the busiest
// chip, when it is busy at least half the window (per worker), with its
// load and the reason in words (busy, waiting for input and held back, in
// percent of the run). Describe marks its line with [BottleneckMark], and
// the diagrams mark its node.
type Bottleneck = engine.Bottleneck

// BottleneckMark ends the Describe line of the bottleneck chip.
const BottleneckMark = engine.BottleneckMark

// Progress is how much of a known amount of work is done (unit "packs" or
// "bytes", done, total) and eta_ns, the time left at the average rate so
// far (0 when done or before anything is done). A FromSlice, FromFile or
// FromReader over a file knows its own; [Config].Total gives the count of
// packs the input chips will produce.
type Progress = engine.Progress

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
// "END"; Note (note), what the chip's Describe hook said; CastsDropped
// (casts_dropped, omitted when 0), the casts dropped because the chip had
// ended, was restarted or the runlet stopped before they ran.
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
//	[flow: elapsed=<d> window=<d>[ progress=<done>/<total> <unit> (<P>%) eta=<d>][ bottleneck=#<chip> (<reason>)]]
//	#<chip> [<running>] <prev pend>@<pool> >> <next pend>@<pool>[ async(<N>)][ <note>][ {<stats>}][ <<BOTTLENECK]
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
//     concurrency N; and the note its Describe hook returned. With
//     [Config].Stats on, its statistics follow ([ChipStats.String]):
//     {in=N out=N load=P% p95=D[ err=N][ restarts=N][ progress=D/T]}, and
//     the bottleneck chip's line ends with [BottleneckMark].
//   - flow: only with Config.Stats ([FlowStats.String]): the time since Run
//     started, the window rates are over, the flow's progress with its
//     ETA, and the bottleneck with its reason.
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
