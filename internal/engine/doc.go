// Package engine runs chips: it is the one place that decides what a chip
// does with each pack and each hint, and how an async chip's workers get
// their work and hand back their results.
//
// # What it owns
//
//   - The run of a chip ([Func.Bind] makes a [Runner]): the sync burst and
//     its in-place span over the pends' rings (func.go, runSync and span),
//     and the async hand-off of batches to worker goroutines and the
//     collection of their results (async.go).
//   - What happens for each hint. A process function's output hint is
//     decided in one switch per path that runs a process function: runSync
//     and span on the scheduler's goroutine, process on a worker; absorb
//     only pushes what a worker decided. Package runlet's doc lists the
//     hints and points here.
//   - The seam the scheduler drives a bound chip through: [Binding], [Host],
//     [Runner], [Result], [Wake] and [Wait].
//   - [PanicError], which every recovered panic of a user function becomes
//     (package chip re-exports it as chip.PanicError).
//
// # Why internal
//
// These types are the scheduler's, not a user's: a user declares chips with
// package chip and runs them with package runlet. Keeping them internal
// lets the scheduler and the chips change together without an exported
// name that only the engine may call.
//
// # Which package knows which
//
// engine imports hints and pool; chip imports engine to build a [Func] from
// its generic Config; runlet drives Runners through this seam. Nothing here
// imports chip or runlet.
package engine
