// Package chip defines chips, the passive steps of a runlet, and the chips
// everyone needs: operators, parallel maps, inputs and outputs for Go values,
// iterators, channels and byte streams, and the END regulator.
//
// # The contract
//
// A chip names its prev pend (where it pulls from) and its next pend (where
// it pushes to), each a typed declaration, a *pool.Pend[T] (see
// pool.NewPend): a chip from In to Out takes a *pool.Pend[In] and a
// *pool.Pend[Out], so wiring a pend into a chip of another element type is
// a compile error. A nil prev makes an input chip, a nil next an output
// chip. It has a process function from (input pack,
// state) to (output pack, error), whose output hint steers the flow (see
// package hints, and package runlet for what the scheduler does with each).
// [New] builds a chip from a [Config]; the element types In and Out and the
// state type S are generic, so values are never boxed, while the scheduler
// sees only the small non-generic [Chip] interface (the engine, an
// internal package, runs what it binds).
//
// # Hints, as a chip sees them
//
// A process function is called with one input pack and returns one output
// pack. Its input is a data pack, an END pack (once for each END pushed for
// it), or a Skip pack: the "produce something" of an input chip's endless
// source, or a Timer's "time is up". Its output's hint says what happens
// next (package hints lists the four; package runlet what the scheduler
// does with each): DATA is pushed, SKIP consumes the input with no output,
// REDO pushes and calls again with the same input, END pushes Count END
// packs and ends the chip. A chip that receives END usually returns it, and
// so ends; returning END before that ends the chip early (a Take).
//
// The operators below hide all of this: their user functions see data
// values only, never a pack or END, and the operator passes END on.
//
// # State
//
// State is made by a factory ([Config.State]) each time the chip is bound to
// a runlet, never shared between runlets: a supervisor can rebind a failed
// chip and get fresh state. A sync chip's state is touched by the
// scheduler's goroutine only. An async chip with Concurrency > 1 runs
// several process calls at once on one state, which must then be safe for
// concurrent use (the parallel maps keep none).
//
// # Sizes and backpressure
//
// A pend's private (reserved) size and pend limit are set where it is
// declared (pool.Pend.Size) and applied at Attach (two declarations of one
// pend must agree). The scheduler checks the next pend's limit before it
// runs a chip, so a chip whose next pend is busted waits (a sync chip with
// the one input it has pulled, an async chip with none). See package pool for the accounting.
//
// # Sync and async chips
//
// A sync chip's process runs on the scheduler's goroutine: it must not block,
// and it costs a few nanoseconds per pack. An async chip's process runs on
// worker goroutines, up to [Config.Concurrency] calls at once (default 1).
// With Concurrency 1 order
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
// An async input chip (nil prev) gets one call per batch, so a value is
// pushed as soon as it is produced, unless it knows when its next call
// would wait: the input adapters of this package do ([FromChan],
// [Generate], [Lines], and [FromReader]/[FromFile] over memory or a regular
// file), and a chip of one's own says so with [Config].Ready. While such a
// chip has input in hand its batches grow to [MaxBatch] calls (within the
// next pend's room), and a batch is handed over as soon as the next call
// would wait. A REDO run keeps calling
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
// An input chip has no prev pend ([Config].Prev nil): it pulls from the IO
// pool's endless supply of Skip packs, and each call produces a value, or
// END when done ([NewInput]). An output chip has no next pend: it pushes to
// the IO pool's sink, which accepts END only, so it returns SKIP for each
// data pack and END at the end ([NewOutput]). Describe names these two
// pends of the IO pool (pool.IOKey) "runlet:pend:input" and
// "runlet:pend:output". A runlet's Run returns when
// every output chip has ended.
//
// An input chip is called with a Skip pack whenever it may produce; once the
// runlet drains (Runlet.Drain, DrainOnSignal) it is called with an END pack
// instead. It returns what it already holds (data packs: it is called again
// with END) and then END, and produces nothing new. A call of an async input
// chip that waits on the world selects on Drained(ctx) next to ctx.Done(), so
// that the drain does not wait for the world. The adapters do this for their
// sources: NewInput stops calling produce, FromSeq stops its sequence,
// FromChan stops receiving (values it received are pushed), Generate's yield
// returns false (every value for which it returned true is pushed; a gen that
// waits on something else is cancelled by Close as usual), and Lines and
// FromReader make no further Read (the Read in progress, and lines already in
// Lines' buffer, are pushed).
//
// # Merges and splits
//
// Several chips may push into one pend (an unordered merge) or pull from one
// (a random split). A chip ends on the first END it takes, so the runlet
// holds back the END of each producer of a merge until the last has ended,
// and then gives the pend one END carrying all their counts. A split to N
// consumers needs N ENDs: an END pack with a Count of N, or an
// [ENDRegulator], which can also swallow all but the last of a merge's ENDs.
//
// # Operators
//
// The operators every stream library has, as sync chips: [Map], [Filter]
// (N:1 through SKIP), [FlatMap] (1:N through REDO), [Batch] (slices of size
// values, a partial one flushed on END and after maxWait through a Timer),
// [Unbatch], [Reduce] and [Fold] (one value at END), [Tap], and [Take] (ends
// early; the runlet then ends the chips upstream whose output nobody else
// reads, and stops the rest when the flow ends).
// User functions see data only, never END; their errors fail the runlet.
//
// Running state: [Scan] pushes its accumulator after every value (a [Fold]
// that shows each step), [Pairwise] each value with the one before it as a
// [Pair], and [RunningCountBy] each value's key with the number of values of
// that key so far, as a [KV]; its memory is one map entry per distinct key,
// so its keys should come from a bounded set.
//
// Take and drop: [Skip] drops the first n values, [DropWhile] drops values
// while a predicate holds, [Last] keeps only the last (pushed at END).
// [TakeWhile], [TakeUntil] (which keeps the value that stops it) and [First]
// end early, as [Take] does.
//
// Terminal aggregates push at most one value, with the END: [Count], [Sum]
// (any [Number]), [Any] and [All] always push one (0, 0, false and true for
// an empty input); [Min], [Max], [MinMaxBy] and [Find] push one only when
// there is one, so an empty input (or, for Find, no match) gives just the
// END. [Any], [All] and [Find] end as soon as they know their answer. None of
// these operators allocates per value (RunningCountBy only when a new key
// grows its map), and each has the span fast path that Map and Filter have.
//
// Windows: [SlidingWindow], [SlidingTimeWindow] and [SessionWindow] gather
// data values into windows and push each window as a new []T (N:1): one
// allocation per window, none per value. A count window holds size
// consecutive values and starts every step values; at END it pushes the
// oldest open window if it holds a value no pushed window held, so
// SlidingWindow(n, n) is Batch(n, 0). A time window is [k*step, k*step+size)
// counted from the zero time.Time; a session is a run of values each less
// than gap after the one before. Time is either the packs' own
// ([WindowConfig].EventTime: windows close when a later value's time passes
// their end, or at END) or the clock (nil EventTime: windows also close with
// no input, at their end, through [Config.Timer], exactly at the fake time
// under testing/synctest). Memory is the values of the open windows: at most
// size for a count window, at most [WindowConfig].Max (default
// [DefaultWindowMax]) for the time windows, which fail with [ErrWindowFull]
// rather than grow; an event time that comes back to a window already closed
// fails with [ErrLate]. The keyed variant, logicalpool.WindowByKey, keeps one
// count window per key in the keyed operators' hash partitions.
//
// Dedupe: [Distinct] and [DistinctBy] drop values whose key they remember;
// what they remember is bounded by a [Memory] the caller must give, [LRU] of
// n keys or [TTL] of a duration per key (there is no unbounded default: the
// zero Memory is an Attach error), so a key forgotten passes again.
// [DedupeConsecutive] and [DedupeConsecutiveBy] hold one key and turn runs
// of equal values into one.
//
// Ordering: [Sort] and [SortBy] gather values until END and push them in
// stable order through REDO on the END pack, like [TopK]; they hold at most a
// maximum the caller gives, and one value more fails the runlet with
// [ErrSortFull] rather than being dropped.
//
// Lookups: [Lookup] enriches a stream from a store that answers many keys at
// once. It is three chips, a [Batch], an async chip with Ordered that makes
// one Bulk call per batch with the batch's distinct keys (Concurrency calls
// in flight), and an [Unbatch], because an async worker gets its packs one
// Process call each, so a call over many values needs them gathered into
// one pack first. Each value comes out as a [Looked] in input order, with
// Found false for a key Bulk did not return. An error or panic of KeyOf or
// Bulk fails the runlet as the chip Key's. Each pack of its inner pends is a
// whole batch, so the pool bounds batches, not values.
//
// # Parallel maps
//
// [ParallelMap] runs a function on n workers and pushes results as they
// finish; [OrderedMap] keeps input order with a reorder buffer bounded by the
// batches in flight, whose contents count against the next pend's limits
// ([Config.Ordered]). The function gets a ctx that is cancelled when the
// runlet stops.
//
// # Timers
//
// A sync chip with a [Config.Timer] is asked, whenever it runs out of input,
// how long it will wait for more; if that passes with no input it is called
// with a Skip pack, "time is up". [Batch] flushes a partial batch this way;
// [Debounce] (the last value of a burst, d after it), [Throttle] (one value
// per period, the first or the last, by [Keep]) and [Sample] (the latest
// value every d) push their one pending value this way, and push it at once
// on END. A chip kept busy by queued input past a due time is not woken by
// its timer: it pushes the overdue value with the next input it takes, late
// but never lost or twice. Times are when the chip takes its inputs, not
// when they were pushed upstream.
//
// # Ways in and out
//
// Inputs: [FromSlice], [FromSeq] (an iter.Seq, pulled on the scheduler's
// goroutine), [FromChan], [Generate] (a generator function on its own
// goroutine), [Lines] and [FromReader]/[FromFile] (byte chunks). Outputs:
// [Collect], [ForEach], [ToChan] (closed at END), [ToWriter]/[ToFile]. The
// runlet package adds runlet.Seq, an iter.Seq2 over a running runlet, and
// runlet.Run, which builds and runs a list of chips in one call.
// The async input adapters hand over what they have produced in batches,
// and a batch as soon as their next value would have to be waited for: a
// fast source moves in batches, and each value of a sparse one (or of one
// that waits for its own output, request/reply) is pushed as soon as it is
// produced.
//
// # Byte streams
//
// Byte stream chips move []byte chunks lent by a [pool.Buffers]: the chunk a
// chip pulls is its to use until it pushes it on or Puts it back (see
// [pool.Buffers] for the rules). The chips here follow them: [FromReader]
// and [FromFile] Get a buffer per chunk, [Transform] and [TransformReader]
// Put their input back once it is fed to the codec and Get buffers for their
// output, and [ToWriter] and [ToFile] Put each chunk back once it is written.
// A chip of your own in between either pushes the chunk it pulled (ownership
// moves on) or Puts it back; it never keeps a chunk it pushed.
//
// Every chip here is async with Concurrency 1: reads, writes and codecs may
// block or take a while, and one worker keeps the stream in order. Errors of
// the reader, writer or codec fail the runlet as they are; the runlet wraps
// them with the chip key.
//
// # Error policies
//
// A process error fails the runlet unless the chip has a [Policy]
// ([Config.Policy], or [Func.WithPolicy] on any chip of this package). A
// policy applies to one input pack at a time, its parts in a fixed order:
// a rate limit ([Rate], golang.org/x/time/rate) waits before every call,
// retries included; a circuit breaker ([Breaker], sony/gobreaker) refuses
// calls with [ErrCircuitOpen] after N consecutive failures until a half-open
// probe succeeds; a timeout gives the call's ctx a deadline (an error
// returned after it matches [ErrTimeout]; a call still running a grace period
// after it is reported to Policy.Stuck or log/slog, naming the chip); a
// failed call is retried ([Retry]: exponential backoff with jitter computed
// by cenkalti/backoff/v5, at most MaxAttempts calls and MaxElapsed time, a
// Retryable predicate); a pack given up on goes to the dead-letter pend
// (Policy.Dead) as a [DeadLetter] (value, error, chip key, attempts), or,
// without one, its error fails the runlet, wrapped with the attempts. The
// dead-letter pend is a second output of the chip: Attach counts the chip
// among its producers for END fan-in, checks it like any pend (a known pool,
// not the IO pool, not the chip's own prev or next), names an unnamed one
// "<chip>.dead", and the chip pushes END to it when it ends (also when it is
// ended from downstream). A dead letter is pushed even when that pend is
// limited: it counts in its pool, so an undrained dead-letter pend stalls the
// pool's producers (the StallError names it), but a failed pack is never held
// back. Order: a sync chip keeps the failed pack as its held pack and waits on
// its timer (the scheduler runs other chips meanwhile); an async chip that
// keeps order (Concurrency 1 or Ordered) waits on the worker, where no other
// pack of it could go first; an unordered async chip with more workers hands
// the pack back to the scheduler, which keeps it in a btree of deadlines,
// hands later packs out meanwhile and the pack again, alone, when due. A
// sync chip's timeout is one deadline per burst (the calls of one run of the
// chip share a ctx ending Timeout after the burst began: a sync chip must
// not block, so each call has about Timeout), an async chip's one per call.
// Costs: Retry and Dead act on the error path only; Breaker takes a mutex per
// call; Rate a reservation per call; Breaker and an async Timeout call
// Process pack by pack. Breaker and limiter are made at each Bind. Bad
// settings are Attach errors naming the chip.
//
// # Errors and panics
//
// A process returning an error, or panicking (recovered into a [PanicError]
// with the stack), fails the runlet. Each unfinished chip is then told the
// first error once through [Config.OnError], after its workers have stopped.
// The process ctx is cancelled when the runlet stops; blocking work should
// honour it, because Run waits for process calls in flight.
package chip
