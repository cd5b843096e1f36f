// Package logicalpool routes packs between pends with backpressure and one
// shared budget: duplicate, load-balance, merge and join.
//
// # Views and viewees
//
// A logical pool ([New]) holds no data. It sits over an inner pool whose
// pends (the viewees) hold the packs and are accounted as usual, and it
// defines views: pends that hold nothing and push to or pull from their
// viewees with some logic. To a chip and to the scheduler a view is a pend
// like any other; a chip names it with the logical pool's key. The logical
// pool's other keys name the inner pool's pends, so a consumer may read a
// viewee through either pool.
//
//   - [Duplicate] (push-only): every pack to every viewee; limited while any
//     viewee is, so the slowest consumer sets the pace.
//   - [LoadBalance] (push-only): each pack to one viewee, round robin or
//     least-filled; limited only while all are. [LoadBalanceByKey] keeps equal
//     keys together. END goes to every viewee.
//   - [Merge] (pull-only): viewees read as one stream, with one END after all
//     of theirs: no END regulator needed.
//   - [Join2] (pull-only): one pack from each side becomes one [Pair]; END on
//     either side ends the join (zip semantics).
//
// Every consumer receives exactly one END; nothing is lost or duplicated.
// A consumer that ends early (a Take) does not hold the others back: the
// runlet abandons its viewee, dropping what it holds and whatever a
// Duplicate pushes to it later, and a LoadBalance skips it.
//
// # Wakes
//
// A view and its viewees share one wake set in a runlet: a push into any
// viewee wakes the view's reader, whichever key the producer used. Chips
// waiting for room wait on the storage pool, not on a key, so a pull through
// the logical pool wakes a producer that pushes through the inner pool's key
// and the other way round (the reference runlet misses these wakes).
//
// # Sizing, and stalls
//
// Views share the inner pool's budget. A graph whose branches meet again (a
// duplicate feeding a join, say) needs room for what one branch must hold
// while the other catches up; without it the flow stalls, which Run reports
// as runlet.ErrStalled with the state. Reserve that room with private sizes
// on the viewees (pool.Pool.Configure on the inner pool, or the sizes of a
// chip's pend reference to the viewee).
package logicalpool
