// Package engine is the scheduler of runlet: the one place that decides
// which chip runs next, what a chip does with each pack and each hint, how an
// async chip's workers get their work and hand back their results, and how
// packs are stored and counted.
//
// # What it owns
//
//   - The run of a chip ([Func.Bind] makes a [Runner]): the sync burst and
//     its in-place span over the pends' rings (func.go, runSync and span),
//     and the async hand-off of batches to worker goroutines and the
//     collection of their results (async.go). An async input chip with
//     [Func.Ready] hands its values over in batches: processReady (func.go)
//     runs a batch's calls on the worker for as long as Ready says the next
//     call would not wait, and hands the batch over as soon as it says 0.
//     Ready also runs on the scheduler's goroutine, before a batch is handed
//     out while none is out, to size it; Bind allows it only on an async
//     chip whose prev is the IO input pend.
//   - What happens for each hint: func.go, "What each hint does", holds the
//     table and the three functions that call a process function (runSync
//     and span on the scheduler's goroutine, process on an async worker),
//     each with its switch; absorb only pushes what a worker decided.
//     Package runlet's doc repeats the table and points here.
//   - The seam the scheduler drives a bound chip through: [Binding], [Host],
//     [Runner], [Result], [Wake] and [Wait].
//   - The storage: [Pool] with its accounting, the typed [Pend] rings and
//     every call that moves packs through them (push, pull, span, slots and
//     commit, expect, reserve and release, abandon and restore, the END
//     fan-in count), and the mechanism of a logical pool's views
//     ([DefineView], [View], [Pool.Home]).
//   - The scheduler: [Runlet] with its loop and wake lists (loop.go), the
//     mailbox other goroutines post to (runlet.go), timers, the scheduling
//     groups that let runlets share pools and a lock (group.go), ending and
//     abandoning pends upstream of an ended chip (abandon.go), the END
//     fan-in count and the cycle check (fanin.go), and the passive handles'
//     plumbing ([Input], [Output]).
//   - Pend declarations ([Decl], [PendDecl]; pendecl.go), which package
//     pool's Pend[T] is defined on: the pool and key a chip's typed pend
//     stands for. [New] names the unnamed ones after their chips and takes
//     the runlet's pools from them; a [PendRef] carries its Decl.
//   - Error policies (policy.go): the verdict on a failed call
//     ([FailFunc]: fail, retry after a delay, dead letter), a sync chip's
//     retry and rate-limit waits on its timer (armed at any time, not only
//     when input runs out), an unordered async chip's btree of retry
//     deadlines, the dead-letter pend as a side output (Spec.Dead,
//     Binding.Dead, [WakeDead]; its END fan-in in fanin.go), and a sync
//     chip's one deadline per burst. The supervisor plugs in where
//     VerdictFail becomes the chip's error (Result.Err).
//   - Cast and call (cast.go): functions queued from any goroutine on a
//     running chip's state ([Runlet.Cast], [Runlet.Call]), run by runChip
//     before the chip's next burst (an async chip's once none of its
//     batches is out, holding back new ones meanwhile); failCalls fails a
//     chip's pending calls and drops its casts, for a restart
//     ([ErrRestarted]) and as the runlet settles ([ErrStopped]).
//   - Supervision (supervise.go, the scheduler's side; supervise_runner.go,
//     the runner's): restart types, strategies, intensity, the restart
//     delay on a timer, retiring a chip (its held packs re-offered or
//     dead-lettered, an async chip's shutdown budget, its state to a hook)
//     and binding it again from Binding kept in its slot; typed events
//     through slog and the supervisor's part of a snapshot.
//   - Attach, a compiler from pools and chips to an immutable plan in named
//     phases (attach.go, plan.go).
//   - What observers read without waiting for the loop: the published
//     [RunletSnapshot] and the stop note (describe.go). The loop is found on
//     a goroutine's stack by the name of (*Runlet).loop, so it must stay a
//     method of that name. An observer holding the lock never runs the loop:
//     mail posted meanwhile is handed on, as it lets go, to a goroutine
//     counted by the runlet's Run that runs that runlet's loop (group.go).
//   - [PanicError], which every recovered panic of a user function becomes
//     (package chip re-exports it as chip.PanicError).
//
// # Why internal
//
// These types are the scheduler's, not a user's: a user declares chips with
// package chip, pools with package pool and logicalpool, and runs them with
// package runlet. Those packages define their user types on the engine's
// (pool.Pool on [Pool], pool.Pend on [PendDecl], runlet.Runlet on [Runlet],
// runlet.Input on [Input]:
// one pointer, converted for free) and give them only the user's methods,
// so the exported methods here, which the front packages call, are out of a
// user's reach. Keeping them internal
// lets the scheduler and the chips change together without an exported
// name that only the engine may call.
//
// # Which package knows which
//
// engine imports only hints. Package pool is the user's side of the
// storage: pool.Pool is defined on [Pool] (type Pool engine.Pool), so the
// two are one pointer converted for free, and its method set holds only
// the accounting reads; pool.Kind, pool.Snapshot and pool.PendSnapshot are
// aliases of the types here. So pool imports engine, not the other way
// round: the storage types must live where their engine-only methods can
// be exported to the module and hidden from users. chip imports engine to
// build a [Func] from its generic Config; logicalpool builds its views on
// [Pend] and [View]; runlet is the front over [Runlet]. Nothing here
// imports chip, pool, logicalpool or runlet.
package engine
