// Package pool holds the buffers of a runlet: a [Pool] is a shared size
// budget split into pends, keyed FIFO queues of typed packs, one per edge of
// the graph.
//
// # Concepts
//
// A runlet's chips never hand packs to each other directly: a chip pushes
// into its next pend and the chip after it pulls from that pend, its prev
// pend. A pend is declared once, as a typed value, with [NewPend]:
//
//	p := pool.New("default", 8)
//	lines := pool.NewPend[string](p, "lines").Size(2, 0) // 2 reserved
//	words := pool.NewPend[string](p, "")                 // named by its producer
//
// and chips take those values, so wiring a pend of strings into a chip of
// ints does not compile. A pend is named by a pool key and a pend key
// ("words@default" in Describe); a declaration with an empty key is named
// after the chip that pushes into it ("split.out"). The pool it lives in
// decides how much it may hold. Pools are how memory is bounded: one limit
// for many pends, so a fast branch may use room a slow one does not need,
// while each pend can still reserve room of its own and cap itself.
//
//	pool "default", limit 8                 pool size 6/8 = 3 reserved + 3 shared
//	  pend "lines"  private 2   [a b c]     3 held: 2 reserved + 1 shared
//	  pend "words"  private 0   [x y]       2 held: 2 shared
//	  pend "sums"   private 1   []          0 held: 1 reserved (counted anyway)
//
// # Pends
//
// A pend is a ring buffer of [hints.Pack] values of one element type T.
// Generics carry T end to end: nothing is boxed into an interface, and once
// the ring has grown to the flow's working size, a steady flow allocates
// nothing. A [Pend] value is the declaration; the ring itself is made by a
// runlet's Attach when a chip first names it, with the element type and
// the sizes ([Pend.Size]) of its declaration. Two declarations with the
// same key in one pool are one pend: Attach refuses them if their element
// types differ (an error naming the pool, the pend and both types) or
// their sizes do. Only data and END packs are queued:
// pushing a Skip or Redo pack is an error that names the pool and the pend.
// The pends themselves, and every call that moves packs, belong to the
// engine (see "What this package exports" below).
//
// # Accounting
//
// Each pend has a private (reserved) size and a pend limit; the pool has a
// shared limit. The accounting is:
//
//	pool size   = Σ private + Σ max(0, size - private)   over every pend
//	limited     = size > private && (pool size + expected >= pool limit || size >= pend limit)
//
// (expected: packs async producers are making for the pool's pends; see
// below.) In words, a pend's size is in one of three states:
//
//   - reserved: up to its private size. Reserved room counts toward the pool
//     from the moment the pend is configured, whether used or not, and using
//     it never makes the pend limited: a pend always gets its private room.
//   - shared: above its private size, the pend draws on the pool's budget,
//     together with every other pend's share.
//   - busted (limited): it holds more than its private size and either the
//     pool is at its limit or the pend is at its own. The scheduler stops
//     filling a busted pend: the chips that push into it wait for room, and
//     any pull from the same pool wakes them.
//
// An empty pend is never limited, so a chip can always push into an empty
// next pend, a full pool never deadlocks a linear flow, and a pool limit of 0
// still flows, lock-step. (One exception: units reserved for an ordered
// chip's reorder buffer count as held, so such a pend can be
// limited while it queues nothing: the point is to hold its producer back.)
//
// The limit is checked before a chip runs, not on every push: one result is
// always pushed even if it busts the limit, so a pend may hold a few packs
// more than its limit (one per producer, or Count for an END with a count).
// Precisely, a pend with a limit holds at most
//
//	max(private, limit) + one pack per producer + its END packs
//
// where an async chip counts as one producer per worker (a viewee of a
// load-balancing view may take one more per worker; see logicalpool), and a count pool
// holds at most max(limit, Σ private) plus that slack for each of its pends.
// An async chip that hands out a batch declares the packs it will make:
// they count in the pool's room and limited check as if pushed, so producers sharing a pool cannot each take
// its whole room (the pend's own limited check ignores them, so a pend
// with nothing queued is still never limited). The random-runlet harness in
// package runlet checks these bounds after every chip run.
//
// The bounds are on what pends hold. Packs an async chip has pulled into a
// batch for its workers have left the pool, so the memory a flow holds is
// its pools' bounds plus those batches: at most the prev pend's content per
// batch, one batch per worker. A byte stream through a pool of 16 chunks to
// an async writer may so hold about twice the pool.
// The engine asks a pend how far a chip may go before the next check is
// due, so a sync chip checks once per run of packs, not per pack.
// [Pool.High] keeps the highest pool size seen: how close the flow came to
// the budget.
//
// # Count and byte pools
//
// A count pool ([New]) counts each pack as 1. A byte pool ([NewBytes]) counts
// a pack as the byte length of its value: element types whose underlying type
// is []byte or string are measured directly; any other element type must
// implement [Sizer] (with a value or pointer receiver), or Attach fails
// with an error naming the pend and the type. Both follow the same rules above.
// END packs in a byte pool count as the length of their (usually empty)
// value.
//
// # Byte buffers
//
// [Buffers] lends byte chunks of one size and takes them back, so a byte
// stream crosses a runlet without a copy per chip and without an allocation
// per chunk once the flow's working set of buffers exists. Ownership moves
// with the pack; the rules, and a poison mode that makes a use after Put fail
// loudly in tests, are on [Buffers].
//
// # The IO pool
//
// [NewIO] returns the pool input and output chips name, under [IOKey]. Its
// [InputKey] pend never runs dry: every pull yields a fresh [hints.Skip] pack,
// which an input chip answers with a value or END. Its [OutputKey] pend is
// never limited and accepts only END packs; anything else is an error that
// names the pend, because an output chip must return SKIP for data. The IO pool
// holds nothing, so each chip that names it gets its own view of these pends.
//
// # Logical pools and views
//
// A logical pool (logicalpool.New) holds nothing: it sits over an inner
// pool, and its keys name the inner pool's pends, plus views. A view is a
// pend that pushes to or pulls from several pends of the inner pool (its
// viewees) with some logic; package logicalpool defines the useful ones
// (duplicate, load-balance, merge, join), and [DefineView] installs a
// [View] of your own. Size, limit and high-water mark of a logical pool are
// its inner pool's: one budget. A view and its viewees are one place to the
// scheduler, so a push into any of them wakes the view's reader. A pend
// nobody will read any more (its readers ended early) is abandoned by the
// runlet: it drops what it holds and discards later pushes, so it neither
// holds budget nor holds back a view that also feeds it.
//
// # Snapshots
//
// [Pool.Snapshot] copies a pool's state (size, limit, high-water mark, and
// per pend its size, private size, limit, whether it is limited and its
// first [MaxQueued] packs) into plain values with JSON tags; the runlet's
// Describe and Snapshot are built from it. A limit of -1 there means none.
//
// # Errors
//
// Mistakes are reported as errors that name the pool and the pend: a pend
// fetched with two element types, a byte pool that cannot size its type,
// negative sizes, configuring a pend that holds packs, a pend key the IO
// pool does not have, a Skip or Redo pack pushed, anything but END pushed
// to the IO output. A pool's own bad settings (an empty key, a negative
// limit, a logical pool without a usable inner pool) are reported by a
// runlet's Attach, which lists every problem at once.
//
// # Goroutines
//
// A Pool and its pends are not safe for concurrent use. In a runlet only the
// scheduler touches them; the runlet package serialises every access, and
// its passive handles (runlet.PendInput, runlet.PendOutput) are the way to
// push and pull from other goroutines.
//
// # One pool, several runlets
//
// A pool may serve several runlets, together (they share its budget and one
// lock) or one after the other. A pend's packs belong to the runlets using
// it: when a runlet stops, the pends it alone used are emptied (their packs
// dropped, the units reserved for a reorder buffer given back), so the next
// runlet receives only its own packs. Their private sizes and limits stay,
// as configuration, until a runlet that sizes the pend sets them anew. A pend
// a running runlet still uses, and a pend handed over (drained by a
// runlet.PendOutput), keep their packs.
//
// # What this package exports
//
// This package is the accounting a user sees: the constructors, the key,
// kind, limit, size and high-water mark of a pool, pend declarations
// ([Pend], [NewPend]), [Pool.Snapshot],
// [Buffers], [Sizer], and [View] with [DefineView] for a view of your own.
// Everything a runlet does with a pool (making and sizing pends, moving
// packs, waking, abandoning) lives in the engine, the module's
// internal/engine package, which no user code can import.
//
// [Pool] is defined on the engine's pool type (type Pool engine.Pool), not
// an alias of it and not a wrapper: a *Pool and the engine's *Pool are the
// same pointer, converted for free, so the hot path touches the pool's
// fields with no indirection, while the method set a user sees holds only
// the reads above. An alias would show the engine's methods; a wrapper
// struct would add a pointer hop or a registry to reach the storage.
package pool
