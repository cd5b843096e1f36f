// Package runlet is the front of the scheduler: it owns a graph of chips and
// pools and lets you wire, run, steer and observe it. The scheduler itself
// (the loop, the wake lists, the mailbox, the scheduling groups, the Attach
// compiler, the run of each chip) lives in the module's internal/engine
// package; [Runlet] is defined on the engine's runlet, and the calls here
// are thin over it.
//
// # Concepts
//
// A first program needs four concepts: a pool (one memory budget), pends
// (typed queues in it), chips (steps between pends) and run:
//
//	p := pool.New("default", 8)
//	nums, squares := pool.NewPend[int](p, ""), pool.NewPend[int](p, "")
//	var out []int
//	err := runlet.Run(ctx,
//		chip.FromSlice("numbers", nums, []int{1, 2, 3, 4}),
//		chip.Map("square", nums, squares, func(v int) (int, error) { return v * v, nil }),
//		chip.Collect("keep", squares, &out),
//	)
//
// Packs (package hints) move between pends, keyed queues inside shared pools
// (package pool). Chips (package chip) are passive steps declared with a prev
// and a next pend; they never own a loop. A pend left unnamed is named after
// the chip that pushes into it ("square.out" above), so Describe and the
// diagrams read well; name a pend where a graph needs it (a view, a pend
// two runlets share). A [Runlet] holds the chips and the pools of their
// pends, checks and wires them in [Runlet.Attach], and drives them:
//
//	        [ pool "default", limit 8                  ]
//	            [ pend a ]       [ pend b ]
//	input ->         |->   map    ->    |->    output
//	[ IO pool: endless SKIP in ]          [ IO pool: END out ]
//
// [Runlet.Run] blocks until every output chip (a chip with no next pend)
// has ended, the first error, [Runlet.Abort], [Runlet.Detach] or the end of its
// ctx. A passive runlet has no input or output chips; the caller feeds and
// drains its pends with [PendInput] and [PendOutput].
//
// Two helpers cover the common cases: [Run] builds and runs a runlet over a
// list of chips in one call, and [Seq] iterates what a running runlet puts in a passive output pend, with
// backpressure; breaking out of the loop stops the runlet.
//
// # The scheduler
//
// One loop, owned by whichever goroutine holds the runlet's lock, runs chips
// from two wake lists: the fast list first, then the slow list. To run a chip
// it pulls a pack from the prev pend (a pull miss if empty: the chip waits in
// that pend's push-waiters), checks the next pend's limit (a push miss if
// limited: the chip keeps the pulled pack, idle, and waits in the next pool's
// pull-waiters), and calls the process function. What happens then depends
// on the hint it returned (decided where a process function is called, in
// the engine's chip runner, internal/engine/func.go, "What each hint
// does"):
//
//	returned  pushed downstream      self to the   push-waiters of    pull-waiters of
//	hint                             fast front    next pend (fast)   prev pool (slow)
//	DATA      the pack               yes           yes                yes
//	SKIP      nothing                yes           no                 yes
//	REDO      the value, as DATA     yes (keeps    yes                no
//	                                 its input)
//	END       one END pack, with     no: ended     yes                yes
//	          its Count
//
// An END pack with a Count stays one pack in its pend; each reader takes one
// END from it. A pend fed by several producers (chips, or chips and a
// [PendInput]) hands out no END before all of them have ended: Attach counts
// them, and the pend queues one END carrying the counts of all, after the
// last value. Runlets that share a pend the documented way (one feeds it and
// declares a PendOutput, one reads it and declares a PendInput) count it the
// same in either attach order: the reader's PendInput is the feeder's edge,
// not a producer.
//
// When a chip ends and no other chip (and no PendOutput) reads its prev
// pend, the chips that feed that pend are ended too, and so on upstream:
// nothing would read what they make (a Take that ends early stops its
// source at once). A pend whose readers all ended early while a view that
// feeds it still has other readers (one branch of a Duplicate) is
// abandoned instead: its packs are dropped and later pushes discarded, so
// it holds neither budget nor the other branches back (see package pool).
//
// Trigger appends every chip, in chip order, to the slow list. A chip that
// resolved goes to the front of the fast list, so it runs again while it can
// (cache locality): a sync chip runs in a burst until it misses. Within a
// burst runlet processes a run of packs in place between the two rings and
// checks the limit only when the pend's free window is used up; the order of
// process calls is the same as one chip run per pack would give.
//
// Sync chains cost close to plain calls through vectorised operators, not
// through fusion: [chip.NewInput], [chip.Map], [chip.FlatMap], [chip.Filter] and
// [chip.ForEach] give the engine, next to their process function, a run of
// their own over such a run of packs. It calls the user's function in a
// loop, writes outputs straight into the next ring's slots and keeps the
// position (inputs, outputs, calls) exact after every call; a call whose
// outcome it does not handle itself (an error, END, a REDO at the run's last
// slot) goes back to the engine, which applies it as if the process
// function had returned it. Between chips a pack still crosses a ring, but
// a run costs one index bump per chip, and every limit, counter, held pack
// and Describe stays what the per-pack path gives. A chip without a run
// (built with [chip.New], or one that later gets per-chip hooks) takes the
// per-pack path, so a chain simply breaks there.
//
// Sync chips run on the loop's goroutine, so a graph of only sync chips
// completes inside Run without starting a goroutine. Async chips hand batches
// of packs to worker goroutines (see package chip); a worker's finished batch
// is posted to the runlet's mailbox and the worker tries to run the loop
// itself, so completion re-enters the scheduler without ever waiting for it.
//
// A chip with an error policy turns a process error into a retry (the pack
// is kept, as for REDO, and the call comes again after its backoff) or a
// dead letter (the pack is consumed, as for SKIP, and its DeadLetter pushed
// to the chip's dead-letter pend) before the "other → fails" row applies.
//
// # Timers
//
// A sync chip with a Timer hook (see [chip.Config]) that runs out of input
// says how long it will wait for more; the scheduler arms a timer
// (time.AfterFunc) and, when it fires with still no input, runs the chip with
// a Skip pack meaning "time is up". A timer is armed only when a chip's
// deadline changes, and every pending timer is stopped when the runlet stops;
// Run does not return while a firing is in flight. Time comes from the time
// package, so timers are deterministic under testing/synctest.
//
// # Accounting and memory
//
// Pools account sizes as reserved (private), shared and busted; see package
// pool. The limit is checked before a chip runs, so each producer may bust
// its next pend by one result (an END counts one, whatever its Count), and an async
// chip by one pack per worker: its batches, and the REDO runs in them, are
// cut to shares of the room left in the next pend, and the packs in flight
// count in the pool's room (see "Accounting" in package pool). An ordered 1:N chip never
// splits a REDO run, so a long run may pass that. Worst-case memory is the
// pools' bounds plus the packs async chips have taken out of their prev
// pends for their workers.
//
// # Cancellation and control
//
// Run's ctx is the caller's way to stop: when it ends, the runlet stops as
// on a first error and Run returns ctx.Err() (the chips are told that
// error). [Runlet.Abort] does the same from any goroutine with an error that
// matches [ErrAborted] and wraps its cause. Every process call gets a ctx of
// the runlet's own, cancelled the moment the runlet stops for any reason
// (END, error, Abort, Detach, Run's ctx), so blocking work in async chips
// can give up; Run waits for it to return. [Runlet.Pause] stops new work
// without stopping the runlet (work in flight finishes and is pushed), and
// [Runlet.Resume] continues. [Runlet.Detach] cuts the flow off for good
// without telling the chips, and returns the last [Snapshot].
//
// None of these waits for the scheduler, and each takes effect within a
// bounded number of packs, even while a sync chip runs an endless burst: the
// loop reads its mail (Abort, Detach, Resume, async completions) between
// bursts of [Config.Budget] packs, checks Pause before each burst, and
// polls Run's ctx every Config.Budget packs.
//
// # Drain
//
// Drain ends the flow from outside as an exhausted input ends it from inside.
// The request is mail, like Abort's: the scheduler takes it between two
// bursts, sets its drain flag and closes the drain channel. From then on the
// IO input pend, which serves an input chip an endless supply of Skip packs,
// serves END packs instead: a sync input chip is given END at its next call,
// an async one at its next batch, which the engine hands out alone once the
// batches in flight have returned, so every value already made is pushed
// before the END. The END then travels like any other: chips that hold state
// flush it (a timed Batch pushes its partial batch as END reaches it, without
// waiting for its timer), every output chip ends, and Run returns nil, the
// result of a clean end. Nothing is cancelled: work in flight and packs in the
// pends are processed to the end. A call that waits on the world (a channel
// receive, a generator, a queue) learns of the drain from chip.Drained on its
// ctx and returns what it holds, then END; a Read in progress cannot be
// interrupted and returns when data comes, so a reader that may block for
// long is drained as soon as it next returns. A second Drain, or the end of
// the drain's ctx, aborts: the runlet stops as by Abort, with a
// DrainAbortError naming the chips that had not ended and, from their
// Describe, the pack each ran or held ("RUN x3" for three packs in flight,
// the held pack otherwise) and its note; Drain returns as soon as the runlet
// has begun stopping, while Run still waits for calls that ignore their ctx.
// DrainOnSignal wires the two steps to the first and second signal.
// Drain does not reach a passive Input (close it: its END is the pend's) nor
// the inputs of a sub-runlet (drain that runlet). The hot path pays one flag
// check per span of input Skip packs and nothing on ordinary pends.
//
// # Supervision
//
// A chip is a passive step, not a goroutine, so its supervisor is the
// scheduler: to restart a chip it binds it again, as Attach did, which gives
// it fresh state from its state factory on the same pends; the packs in
// those pends stay where they are. Each chip has a restart type
// (chip.Config.Supervise.Restart, or Func.Supervised /
// chip.Supervised on a constructor's chip); the runlet's
// Config.Supervisor has the strategy, the intensity and the delay. The
// cause of a chip's stop and its type say what happens:
//
//	| cause                                            | permanent | transient | temporary        |
//	|--------------------------------------------------|-----------|-----------|------------------|
//	| error (process error, panic, a policy's "fail")  | restart   | restart   | fails the runlet |
//	| early end (END before its input's END)           | restart   | ends      | ends             |
//	| normal end (END after its input's END)           | ends      | ends      | ends             |
//	| stopped by a sibling's one_for_all/rest_for_one  | restart   | restart   | ends             |
//
// An early END of a permanent chip is caught before its END is pushed
// (ErrEarlyEnd), so nothing downstream sees it. An input chip's input never
// ends by itself, so a source that ends on its own (a FromSlice at its last
// value) ends early: make sources transient. A temporary chip stopped by a
// sibling's restart is not restarted: it ends, as if it had returned END (its
// END goes downstream, and, as for any chip that ends early, its producers
// end if it was their last reader); under one_for_all, mark every chip that
// must survive it.
//
// Strategies: OneForOne restarts the failed chip alone; RestForOne the
// failed chip and every chip downstream of it (fed, directly or not, by its
// next or dead-letter pend) that has not ended; OneForAll every chip of the
// runlet that has not ended. The chips of a restart are stopped ("retired")
// in reverse declaration order and bound again in declaration order (their
// state factories run in that order; the old runners' Close hooks run in
// reverse order after); a supervised runlet also closes its chips in reverse
// order when it ends.
//
// Intensity: at most MaxRestarts restarts within Period (defaults 1 and
// 5 s, OTP's); the one after gives up: Run returns a *GiveUpError (it
// matches ErrGaveUp, and errors.Is/As reach the chip's error and its
// ChipError). The period is measured on a clock that stops during restart
// delays, so a delay never makes a restart "older". A restart waits Delay
// plus a random part in [0, Jitter) (a generator seeded with Seed:
// reproducible, and deterministic under testing/synctest) on a timer: the
// scheduler runs other chips meanwhile. A chip of a sub-runlet whose
// supervisor gives up makes the sub-runlet's Run fail, so its SubRunlet
// chip fails in the parent with that error: the parent's supervisor restarts
// that chip (a fresh sub-runlet) if it is supervised, or fails in turn.
// A chip that fails while a restart is under way (during an async chip's
// shutdown or a delay) waits, not running, until that restart is done; then
// its own restart is decided (and counted) as if it had failed then.
//
// What a restart does with packs and state:
//
//   - The pack whose call failed (held by a sync chip; the failed pack and the
//     rest of its batch for an async one) goes back to the front of the chip's
//     prev pend, so the new runner calls it first (at-least-once, the default:
//     a pack that always fails fails every restart until the supervisor gives
//     up, and then is named in the error); with Supervise.AtMostOnce it goes
//     to the chip's dead-letter pend (Policy.Dead) with its error instead. On
//     a restartable chip Policy.Dead is the supervisor's dead-letter pend:
//     Retry, Timeout, Breaker and Rate act first, per call, and a pack the
//     policy gives up on fails the chip (which restarts it) rather than going
//     there. Every input is accounted for: an output, a dead letter, or the
//     pack named by the error Run returns.
//   - A sibling's held pack goes back to its prev pend, always.
//   - An async chip stops handing out work; its calls in flight get
//     Supervise.Shutdown (default 5 s) to return, then their ctx is cancelled
//     and an EventShutdown reports the chip; then the outputs of the batches
//     that finished are pushed (an Ordered chip's only up to the failed batch,
//     the later ones' inputs are re-offered whole) and every input not used
//     goes back. A sync chip has no call in flight when it is restarted.
//   - A chip's state goes to Supervise.OnRestart (given the state, or for a
//     constructor its meaningful part: a Fold's accumulator, a Batch's
//     partial batch); without a hook, what the chip can name as inputs
//     (Config.Salvage; a Batch names its partial batch) goes to its
//     dead-letter pend with an error matching ErrRestarted; a state that
//     cannot name its inputs (a Fold's accumulator, a SubRunlet's sub-runlet
//     with the packs in its pends) is dropped and reported as an
//     EventStateLost with its Describe text. "What it can" is therefore:
//     the inputs Salvage returns. A chip whose state holds no input says so
//     with a Salvage that returns nil.
//
// Events (runlet.Event: restart, give-up, escalate, shutdown-timeout,
// state-lost) go to Config.Logger (default slog.Default(), Warn; give-up
// and escalate at Error) and to Supervisor.OnEvent; Snapshot().Supervisor
// holds the strategy, the restarts in all and the latest 16 events, and each
// ChipSnapshot its Restart type and Restarts.
//
// Not yet: salvaging what a SubRunlet's old sub-runlet held in its pends (it
// is reported as an EventStateLost with the sub's Describe text).
//
// # Cast and call
//
// A chip is a passive step that the scheduler drives, so
// its state has one owner: whoever runs its process call. Cast and Call
// (after the ultravisor design) let another goroutine reach that state anyway,
// without a lock: they queue a function, and the scheduler runs it when it next
// runs the chip, before its burst — on the scheduler's goroutine, which never
// runs a sync chip's process at the same time, and for an async chip only once
// none of its batches is out (it collects finished work but hands out no new
// batch while a cast waits, so a cast waits at most for the calls already in
// flight). Functions to one chip run in the order they were queued. Cast
// returns at once, Call waits for the result or its ctx (a Call given up
// before its function started never runs it). Requests are type-checked when
// made (the chip's state type against the function's), and fail with a
// *CastError when they cannot run: ErrChipEnded, ErrStopped, or
// ErrRestarted when the chip's supervisor restarts it first (the function
// runs on neither the old state nor the new); a Cast that cannot run is dropped
// and counted in ChipSnapshot.CastsDropped. A panic in a function is the
// chip's error, as one in its process would be. The cost is one integer test
// per burst in the scheduler; the hot path inside a burst is untouched. As in
// the ultravisor design, a read-modify-write split over a Call and a Cast is
// not atomic: do the whole change in one function.
//
// # Services
//
// A runlet runs once; a supervisor such as suture restarts a
// service by calling its Serve again. NewService makes a service from a
// function that builds a fresh runlet, so each restart gets fresh pools and
// fresh chip state, as an OTP child gets a fresh process. Supervision inside a
// runlet (restarting one chip) and a tree of services (restarting a whole flow)
// compose: a runlet whose own supervisor gives up returns the error from Run,
// and the tree above restarts or gives up in turn.
//
// # Errors
//
// The first error stops the runlet: a process's error, its panic (as a
// [chip.PanicError] with the stack), a push the IO pool refuses, [Runlet.Abort]
// (an error matching [ErrAborted] and wrapping the cause) or the end of Run's
// ctx (Run returns ctx.Err()). Chip errors are wrapped in a [ChipError] naming
// the chip; errors.Is and errors.As reach the original. Then:
//
//   - nothing more is pushed, and the ctx passed to every process call is
//     cancelled;
//   - once no async work is in flight, every chip that has not ended is told
//     the error once, in chip order, through its OnError hook, with the pack
//     it holds (the failing chip gets none);
//   - every chip's Close hook runs, in chip order (also after a clean end or
//     Detach);
//   - Run returns the error. Errors after the first (work that fails after
//     the stop, a panicking OnError hook) go to [Config.OnError], by default
//     log/slog; work that fails with context.Canceled after the stop is
//     expected and not reported.
//
// Panic policy: a panic in any user function (a process function, a state
// factory, a Timer, Describe, OnError or Close hook, a view's clone or key
// function, a reader or writer of an adapter, Config.OnError) is recovered
// and becomes an error, on the scheduler's goroutine and on workers alike,
// so a bad chip fails its runlet instead of the program. It is the runlet's
// error if it is the first (a Close hook's after a clean end, too), else it
// goes to Config.OnError. The error names the chip or view, its text is one
// line, and errors.As finds the [chip.PanicError] that holds the stack.
//
// # Stalls
//
// Inside Run, when no chip can run, no async work or timer is pending, no
// passive handle can feed or drain the graph, the runlet is not paused, and
// the flow has not ended, nothing can ever change: Run returns a
// [StallError] (errors.Is(err, ErrStalled)) holding the Describe text of that
// moment instead of hanging, and every unfinished chip is told. Typical
// causes: a chip that swallows END (its consumers wait forever), a merge
// whose consumer needs more ENDs than arrive, and a graph whose branches
// meet again (a split feeding a join) where one branch fills the shared pool
// while the other starves: give the pends of such a graph private sizes large
// enough for what one branch must hold while the other catches up. A runlet
// driven by hand (Trigger without Run) is never judged stalled.
//
// # Across runlets
//
// Runlets that are given the same pool (or logical pools over the same inner
// pool) share it: its budget is accounted once, and they share one
// scheduling group from New on: one lock, and a push or pull by any of them
// wakes the chips of the others that wait on the same pend or pool. Only
// runlets that are running (or waiting through a passive handle) are members
// of the group: a runlet joins when Run (or Trigger) starts it and leaves for
// good when it stops, and one built and never run never joins. So a group
// over a pool used by many runlets in turn holds only the running ones, and
// a runlet never run neither keeps another from being judged stalled nor is
// kept from the garbage collector.
//
// A runlet leaves nothing in a pool that another runlet could receive. When
// it stops, however it stops (its outputs ended, an early end such as a
// Take, an error, Abort, Detach, or the end of Run's ctx), each pend it used
// is emptied: its packs are dropped and units reserved for packs not yet
// pushed are given back, unless a runlet still running uses that pend too
// (the packs are left to it) or this runlet drains it with a [PendOutput]
// (the packs are handed over: [Output.Pull] and a runlet run later may take
// them). Pends keep their private sizes and limits. A runlet never run has
// put nothing in its pools, unless its passive handles pushed it by hand.
// [Runlet.Detach] returns the state from before the pends were emptied. A pend fed by one runlet
// and drained by another is declared in each with [PendOutput] and
// [PendInput] (the handles may stay unused), so Attach knows the other side
// exists. Sharing a pool shares budget and wakes, not fate: if one runlet
// fails, the other sees no more packs; stop it too (Abort), or connect the
// two through a [Bridge] instead. A runlet whose pools belong to two
// different groups is refused at Attach.
//
// A [Bridge] carries packs from an output chip of one runlet to an input
// chip of another through a bounded buffer, with backpressure, and carries
// failure both ways: when the upstream runlet fails, the downstream one
// fails with an error matching [ErrBridgeUpstream] and wrapping the
// upstream's error, and the other way round with [ErrBridgeDownstream].
// [SubRunlet] runs a passive runlet as one chip of a parent: its errors fail
// the parent (errors.As reaches the inner [ChipError]), and a parent that
// stops aborts it.
//
// # Seeing the state
//
// The state can be read at any moment, running or not, from any goroutine,
// including from inside a chip's process (a Tap that logs the state is
// fine). Observers never wait for the scheduler:
//
//   - [Runlet.Err] reads a value the scheduler publishes the moment it
//     starts stopping.
//   - [Runlet.Snapshot] and [Runlet.Describe] copy the state themselves
//     when no goroutine runs the scheduler. While one does, they ask it for
//     a copy, which it publishes between bursts, at most about 2 x
//     Config.Budget packs later, and wait for it at most 2 ms, else they
//     return the latest copy published. On the scheduler's own goroutine (a
//     sync chip's process, a Close or OnError hook) they never wait: they
//     return the latest copy and ask for the next. The header (state, error,
//     paused) is always current; chips, pools and counters are as of the
//     copy.
//   - The hot path pays nothing for this: the loop looks for observers once
//     every Config.Budget packs, and builds a copy only when one asked.
//
// [Runlet.Attach] and the passive handles ([Input], [Output]) are not
// observers: they change the pools, so they wait for the scheduler, and
// must not be called from inside a sync chip's process.
//
// What can be read:
//
//   - [Runlet.Describe] prints it as text: a line per
//     chip (its held pack or "RUN xN" in flight), per pool (size/limit, who
//     waits for room, high-water mark) and per pend (size, private size,
//     queued packs, who waits for data).
//   - [Runlet.Snapshot] returns the same state as a [Snapshot], plain data
//     with stable JSON field names (documented on [Snapshot]), plus what the
//     text leaves implicit: each chip's state ("ready", "busy", "wait-data",
//     "wait-room", "ended", "stopped"), the pool and pend of each side apart,
//     and the pends fed or drained from outside. Describe is
//     Snapshot().String(), so the two never disagree, and a tool that
//     decodes the JSON can print the same text.
//   - [Snapshot.Mermaid], [Snapshot.DOT] and [Snapshot.ASCII] draw the graph:
//     chips as nodes labelled with their state, pends as edges from the chip
//     that pushes to the chip that pulls, labelled "pend size/limit" and
//     marked while limited, views followed to their viewees ("view.viewee"),
//     and chips grouped by the pool of their next pend. They are built from
//     the Snapshot alone, so they work on a decoded one too, and are
//     deterministic (chip order, then pool order).
//
// The counters (hits; stat, push and pull misses, read as [Snapshot.Stats])
// and each pool's high-water mark are always on: plain integers updated by
// the scheduler, once per burst, not per pack. A [StallError] carries the Describe text of
// the moment the flow could no longer move.
//
// # Statistics
//
// A snapshot always tells where each pack is; with Config.Stats it also
// tells how the flow is doing. Statistics are kept by the scheduler, which
// already sees every burst: it takes a burst's counts from the burst's result
// (packs in and out), times the burst with one clock read at its end (a burst
// runs from the scheduler's previous read, so two bursts in a row cost one
// read each), and counts the time a chip waited for input or for room from
// the end of the burst that stopped for it to the start of its next, with no
// read of its own. Nothing happens per pack: a clock read costs about 30 ns,
// more than a cheap sync stage. Latency is sampled: a sync chip runs one
// single-pack burst at its first run and every 1024 packs, timed on its own;
// an async chip's workers already time their batches, so each scheduler pass
// that collects work gives one sample, the work's time over its calls (exact
// per call for blocking work, which goes out one pack per batch). Samples go
// to a fixed log-linear histogram (16 buckets per power of two, 8 KiB a chip,
// no allocation), which gives p50, p95 and p99 within about 3%. Every 250 ms
// the counters are copied into a ring of 21 samples, from which a snapshot
// reads rates and loads over the last 5 seconds, and the depth of every pend
// with the most it held in each interval.
//
// The bottleneck is the chip with the highest load (busy time over the
// window, per worker) when it is busy at least half the time: a slow sync
// stage among cheap ones is busy all the time while the stages before it are
// held back by its input pend and those after it wait for input; a slow async
// stage has all its workers busy; a slow consumer behind a Duplicate holds
// its producer back while its fast peer waits. When no chip is that busy the
// flow waits on the world (its input, an API), and no chip is named.
//
// A source that knows the size of its work reports its progress: FromSlice
// counts items, FromFile and FromReader over memory count bytes, and
// Config.Total tells the runlet how many packs its input chips will make.
// The snapshot's Flow.Progress sums them, with the time left at the average
// rate so far.
//
// Config.Logger receives the runlet's life as structured records (start,
// end with counts and duration, the first error, later errors, a stall, a
// drain), each with the runlet's Name and, where one chip is concerned,
// its key. Nothing is logged per pack, so a logger costs nothing while the
// flow runs.
//
// # Where runlet differs from the reference runlet
//
// The JavaScript runlet (dr-js) is the model; these differences are on
// purpose:
//
//   - Run is a completion signal: the reference has none.
//   - Resume clears the pause and triggers; the reference needs a Trigger.
//   - Trigger after Detach does nothing; Detach returns a [Snapshot].
//   - Async chips run Concurrency calls at once, fed in batches; the
//     reference needs N chips for N workers. An async chip checks the limit
//     before it pulls (it holds no idle pack), and hands out an END only when
//     nothing else is in flight, alone, so everything before it is pushed
//     first.
//   - Error notification waits until async work has drained, so a chip's
//     OnError never races its own process calls.
//   - A throw while handling a result, pulling or checking a limit becomes the
//     runlet's error; in the reference some of these freeze the loop.
//   - [Input.Push] refuses a limited pend ([ErrLimited]); the reference
//     pushes regardless. [Input.PushWait] waits for room.
//   - When two chips size the same pend, they must agree; in the reference the
//     producer's sizes silently win.
//   - Byte pools exist; the reference only sketches them.
//   - A plain pend fed by several producers hands out END only after all of
//     them have ended, as one END carrying the sum of their counts; in the
//     reference its reader takes the first producer's END and the others'
//     later packs are never read. The counts add up, so an [chip.ENDRegulator]
//     that expects one END per producer, and k readers of k producers, work as
//     before. A [PendInput] is one producer, its END push its end.
//   - An END with a count is one pack that carries its count, not Count packs.
//   - A graph with a cycle (a chip whose packs can come back to it) is refused
//     at Attach with a [CycleError] that spells the cycle out: its chips could
//     never end. The design allows loops; to recirculate packs, drain them
//     with a [PendOutput] and feed them back with a [PendInput], ending it
//     when nothing is left in flight.
//   - Hints print as DATA/END/SKIP/REDO and keys as plain strings in
//     Describe, which also prints the counters in every build.
package runlet
