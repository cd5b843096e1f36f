// Package pool holds the buffers of a runlet: a [Pool] is a shared size
// budget split into pends, keyed FIFO queues of typed packs, one per edge of
// the graph.
//
// # Pends
//
// A [Pend] is a ring buffer of [hints.Pack] values of one element type T.
// Generics carry T end to end: nothing is boxed into an interface, and once
// the ring has grown to the flow's working size, a steady flow allocates
// nothing. A pend is created by [Get] (the first call decides its element
// type; a later call with another type is an error naming the pool, the pend
// and both types) and configured with [Pool.Configure].
//
// # Accounting
//
// Each pend has a private (reserved) size and a pend limit; the pool has a
// shared limit. The accounting is exactly that of the reference runlet:
//
//	pool size   = Σ private + Σ max(0, size - private)   over every pend
//	limited     = size > private && (pool size >= pool limit || size >= pend limit)
//
// A pend's size up to its private size is reserved: it counts toward the pool
// from the moment the pend is configured, whether used or not. Above that it
// shares the pool's budget; a pend whose share would pass a limit is busted
// and the scheduler stops filling it. An empty pend is never limited, so a
// chip can always push into an empty next pend, a full pool never deadlocks a
// linear flow, and a pool limit of 0 still flows, lock-step.
// (One exception: units reserved with [Pend.Reserve] for an ordered chip's
// reorder buffer count as held, so such a pend can be limited while it
// queues nothing: the point is to hold its producer back.)
//
// The limit is checked before a chip runs, not on every push: one result is
// always pushed even if it busts the limit, so a pend may hold a few packs more
// than its limit (one per producer, or Count for an END with a count).
//
// # Count and byte pools
//
// A count pool ([New]) counts each pack as 1. A byte pool ([NewBytes]) counts
// a pack as the byte length of its value: element types whose underlying type
// is []byte or string are measured directly; any other element type must
// implement [Sizer] (with a value or pointer receiver). Both follow the same
// rules above. END packs in a byte pool count as the length of their (usually
// empty) value.
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
// # Goroutines
//
// A Pool and its pends are not safe for concurrent use. In a runlet only the
// scheduler touches them; the runlet package serialises every access.
package pool
