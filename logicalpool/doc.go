// Package logicalpool routes packs between pends with backpressure and one
// shared budget: duplicate, load-balance, merge and join.
//
// # Views and viewees
//
// A logical pool ([New]) holds no data. It sits over an inner pool whose
// pends (the viewees) hold the packs and are accounted as usual, and it
// defines views: pends that hold nothing and push to or pull from their
// viewees with some logic. Each view function takes the viewees as typed
// pend declarations (of the inner pool, or of the logical pool, whose keys
// name the inner pool's pends) and returns the view's own declaration, a
// *pool.Pend of the same element type, which chips take like any other:
//
//	inner := pool.New("work", 64)
//	lp := logicalpool.New("lb", inner)
//	a, b := pool.NewPend[job](inner, "a"), pool.NewPend[job](inner, "b")
//	jobs, err := logicalpool.LoadBalance(lp, "jobs", []*pool.Pend[job]{a, b}, logicalpool.RoundRobin)
//	// chip.FromSlice("src", jobs, ...) feeds a and b; one worker reads a, one b.
//
// An unnamed viewee is named "<view>.<i>". To the scheduler a view is a pend
// like any other.
//
//   - [Duplicate] (push-only): every pack to every viewee; limited while any
//     viewee is, so the slowest consumer sets the pace.
//   - [LoadBalance] (push-only): each pack to one viewee, round robin or
//     least-filled; limited only while all are. [LoadBalanceWeighted] sends
//     each viewee its weight's share, smoothly. [LoadBalanceByKey] keeps equal
//     keys together. END goes to every viewee.
//   - [Merge] (pull-only): viewees read as one stream, with one END after all
//     of theirs: no END regulator needed.
//   - [Join2] (pull-only): one pack from each side becomes one [Pair]; END on
//     either side ends the join (zip semantics).
//   - [Partition] (push-only): each pack to yes or no by a predicate; END to
//     both. A panic in the predicate fails the producer's runlet, naming the
//     view ("pred"): a predicate cannot return an error.
//   - [Concat] (pull-only): viewee 0 to its END, then viewee 1, ...; the ENDs
//     but the last are swallowed, so one END comes out.
//   - [ZipN] (pull-only, a []T per tuple, the one allocation it makes) and
//     [Join3] (a [Triple]): Join2 over more sides, with its zip semantics.
//   - [CombineLatest] (pull-only): once both sides have given a value, a
//     [Pair] of the latest of each whenever either has a new one; END once
//     both have ended, or at once if a side ends with no value.
//   - [Until] (pull-only, over data and stop): data's packs until stop shows
//     a value, then END; a stop that ends empty lets data run to its END.
//
// Every consumer receives exactly one END; nothing is lost or duplicated.
// A consumer that ends early (a Take) does not hold the others back: the
// runlet abandons its viewee, dropping what it holds and whatever a
// Duplicate pushes to it later, and a LoadBalance skips it.
//
// "Until", "latest" and "in turn" mean the order in which the scheduler sees
// packs, not wall-clock time: Until looks at stop before every data pack it
// gives, CombineLatest reads its sides in turn so that neither starves, and
// Concat does not read viewee i+1 before viewee i has ended, so a later
// viewee's producer fills its pend to the pool's bound and then waits. The
// pull views that end before a side has (the zips, CombineLatest on an
// empty side, Until) leave that side's packs in its pend, as Join2 does;
// its producer is stopped with the rest of the runlet.
//
// # Keyed operators
//
// [CountBy], [SumBy], [MapReduce] and [ReduceByKey] group a stream by key
// over [Partitions].N parallel partitions: a chip hashes each value's key, a
// [LoadBalanceByKey] view sends it to its partition (an async chip with a
// map of its own), and a [Merge] view gathers what the partitions push at
// END, with one END after all of them. [WindowByKey] is chip.SlidingWindow
// per key on the same machinery: the partitions push each key's window as it
// fills (not only at END), the partial windows at END, then one END after
// all partitions; memory is one entry and at most size values per distinct
// key.
//
// # Limits, per view
//
// A push-only view is limited (its producer waits for room) by its
// viewees' limits, in the way that keeps every pack's destination open:
//
//	Duplicate          limited while any viewee is (every viewee gets the pack)
//	LoadBalance        limited only while every viewee is (RoundRobin skips
//	                   limited viewees; LeastFilled takes the emptiest open one)
//	LoadBalanceWeighted limited only while every viewee of weight above zero
//	                   is (limited viewees are skipped, as by RoundRobin)
//	LoadBalanceByKey   limited while any viewee is (the next pack's viewee is
//	                   not known before it is made)
//	Partition          limited while either side is (the next pack's side
//	                   is not known before it is made); a side whose
//	                   consumer ended early no longer counts
//
// Pull-only views (Merge, Join2, Concat, ZipN, Join3, CombineLatest,
// Until) are never pushed to; their viewees are
// filled by their own producers under the usual pend and pool limits. As
// everywhere, the limit is checked before the producer runs, so one result
// may bust it.
//
// # Wakes
//
// A view and its viewees share one wake set in a runlet: a push into any
// viewee wakes the view's reader, whichever key the producer used. Chips
// waiting for room wait on the storage pool, not on a key, so a pull through
// the logical pool wakes a producer that pushes through the inner pool's key
// and the other way round.
//
// # Sizing, and stalls
//
// Views share the inner pool's budget. A graph whose branches meet again (a
// duplicate feeding a join, say) needs room for what one branch must hold
// while the other catches up; without it the flow stalls, which Run reports
// as runlet.ErrStalled with the state. Reserve that room with private sizes
// on the viewees (pool.Pend.Size where they are declared).
//
// # Errors
//
// Defining a view fails with an error naming the logical pool and the view
// when the pool is not logical, the view is defined twice, or it lists no
// pends, a nil one, one declared in another pool, itself, a pend twice or
// another view; LoadBalance refuses an
// unknown strategy, LoadBalanceWeighted bad weights (one per viewee, none
// negative, not all zero) and LoadBalanceByKey a nil key function. At Attach, a runlet reports a chip that pushes into a pull-only
// view or pulls from a push-only one, and sizes given to a view (it holds
// nothing: size its viewees). A view fetched with another element type than
// it was defined with is an error naming both types.
//
// # Seeing views
//
// Describe lists a logical pool's views under its key; the runlet's Snapshot
// carries each view's viewees. The diagrams (runlet.Snapshot's Mermaid, DOT
// and ASCII) follow a view to its viewees: a Duplicate from "in" to "fast"
// and "slow" over viewees "a" and "b" draws two edges, in --both.a--> fast
// and in --both.b--> slow, labelled view.viewee; a Merge draws an edge from
// each viewee's producer to the merge's reader.
//
// # Views of your own
//
// The views here are built on the engine's pends directly, so a push or
// pull through them costs no interface call per viewee. A view with other
// logic implements pool.View and is installed with pool.DefineView, which
// hands it its viewees as pool.Viewee values; it behaves as these do (one
// wake group with its viewees, checked at Attach, shown in Describe).
package logicalpool
