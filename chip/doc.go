// Package chip defines chips, the passive steps of a runlet, and the chips
// everyone needs: input and output chips on the IO pool and the END
// regulator.
//
// # The contract
//
// A chip names its prev pend (where it pulls from) and its next pend (where
// it pushes to), each a [PendRef]: a pool key, a pend key, and optional
// private size and pend limit. It has a process function from (input pack,
// state) to (output pack, error), whose output hint steers the flow (see
// package hints, and package runlet for what the scheduler does with each).
// [New] builds a chip from a [Config]; the element types In and Out and the
// state type S are generic, so values are never boxed, while the scheduler
// sees only the small non-generic [Chip] and [Runner] interfaces.
//
// State is made by a factory ([Config.State]) each time the chip is bound to
// a runlet, never shared: a supervisor can rebind a failed chip and get fresh
// state.
//
// # Sync and async chips
//
// A sync chip's process runs on the scheduler's goroutine: it must not block,
// and it costs a few nanoseconds per pack. An async chip's process runs on
// worker goroutines, up to [Config.Concurrency] calls at once (default 1;
// the reference runlet needs N chips for N workers). With Concurrency 1 order
// is kept; with more, output order is the order work finishes.
//
// Work is handed to workers in batches, not one pack per channel operation:
// the scheduler pulls packs into a batch, sends it on a channel, and the
// worker returns the whole batch's results at once. One channel operation
// and one wake-up per batch instead of per pack is what lets microsecond work
// items scale across cores. A batch holds at most [MaxBatch] packs, a fair
// share of what is available (divided by all workers), no more than the next
// pend has room for, and about 100µs of work as measured on earlier batches:
// blocking work (I/O) goes one pack per worker, tiny work in full batches.
// An async input chip (prev [Input]) gets one call per batch, so a value is
// pushed as soon as it is produced. A REDO run keeps calling
// process on the worker; if it produces more than a batch can hold, the rest
// continues in a later batch after the limit is checked again.
//
// An END input is handed out alone, and only when no other batch is in
// flight, so every output of the packs before it is pushed before the chip
// can end. An async chip that returns END on its own (before its input ended)
// has its other in-flight results pushed first, then the END; inputs of its
// batch it had not processed go back to the front of the prev pend.
//
// # Input and output chips
//
// An input chip's prev is [Input], the IO pool's endless supply of Skip
// packs: each call produces a value, or END when done ([NewInput]). An output
// chip's next is [Output], which accepts END only: it returns SKIP for each
// data pack and END at the end ([NewOutput]). A runlet's Run returns when
// every output chip has ended.
//
// # Merges and splits
//
// Several chips may push into one pend (an unordered merge) or pull from one
// (a random split). A chip ends on the first END it returns, so a merge of N
// producers needs all but one END swallowed and a split to N consumers needs
// N ENDs: [ENDRegulator] does both; an END pack with a Count does the second.
//
// # Errors and panics
//
// A process returning an error, or panicking (recovered into a [PanicError]
// with the stack), fails the runlet. Each unfinished chip is then told the
// first error once through [Config.OnError], after its workers have stopped.
// The process ctx is cancelled when the runlet stops; blocking work should
// honour it, because Run waits for process calls in flight.
package chip
