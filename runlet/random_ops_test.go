package runlet_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
)

// The steps below add the stateful operators of chip and logicalpool to the
// random-runlet harness (see random_test.go): a count window, the dedupes, a
// scan and a partition. Each computes the exact output of an ordered stream
// from the operator's doc, and falls back on an order-free use of the
// operator (whose output multiset does not depend on the order) when the
// stream may have been reordered upstream.

// windowStep adds a SlidingWindow by count and a chip flattening its
// windows. On an ordered stream the windows overlap, tile or leave gaps, and
// each value is tagged with its place in its window (v*8+j), so a window cut
// in the wrong place is seen; on an unordered one they tile (every value in
// exactly one window, whatever the order) and Unbatch flattens them.
func (g *gen) windowStep(s stream) stream {
	mid, next := genPendIn[[]int](g, g.pools[g.pick(g.nCount)]), g.pend()
	size := 1 + g.pick(5)
	step := size
	if s.ordered {
		step = 1 + g.pick(size+2)
	}
	kind := map[bool]string{true: "overlap", false: "gap"}[step < size]
	if step == size {
		kind = "tile"
	}
	key := g.name("win")
	fmt.Fprintf(&g.desc, "window %s: size %d step %d\n", key, size, step)
	g.add(chip.SlidingWindow(key, s.ref, mid, size, step), "SlidingWindow "+kind)
	if !s.ordered {
		g.add(chip.Unbatch(g.name("unwin"), mid, next), "Unbatch")
		return stream{ref: next, want: s.want}
	}
	g.add(chip.FlatMap(g.name("unwin"), mid, next, func(w []int) ([]int, error) { return tagPlaces(w), nil }), "unwindow")
	var want []int
	for _, w := range slidingWindows(s.want, size, step) {
		want = append(want, tagPlaces(w)...)
	}
	return stream{ref: next, want: want, ordered: true}
}

// tagPlaces returns w's values tagged with their places: w[j]*8+j.
func tagPlaces(w []int) []int {
	out := make([]int, len(w))
	for j, v := range w {
		out[j] = v*8 + j
	}
	return out
}

// slidingWindows is what SlidingWindow's doc promises for vals: the full
// windows vals[i*step : i*step+size] in order, then at END the oldest open
// window with what it has, if it holds a value no window pushed.
func slidingWindows(vals []int, size, step int) [][]int {
	var out [][]int
	i, end := 0, 0 // the next window's start; the end of the last one pushed
	for ; i+size <= len(vals); i += step {
		out = append(out, vals[i:i+size])
		end = i + size
	}
	if i < len(vals) && len(vals) > end {
		out = append(out, vals[i:])
	}
	return out
}

// dedupeStep repeats each value 1 to 3 times (a FlatMap), then dedupes:
// on an ordered stream, DistinctBy on v mod m with an LRU that may be
// smaller than the m keys (evictions let keys through again), or
// DedupeConsecutiveBy, both simulated; on any stream, DistinctBy with an LRU
// larger than the stream's distinct values (each value once, whatever the
// order), or DedupeConsecutiveBy when the stream has no equal values (the
// repeats are consecutive, so each value once).
func (g *gen) dedupeStep(s stream) stream {
	rep, next := g.pend(), g.pend()
	r := 1 + g.pick(3)
	g.add(chip.FlatMap(g.name("rep"), s.ref, rep, func(v int) ([]int, error) { return slices.Repeat([]int{v}, r), nil }), fmt.Sprintf("repeat x%d", r))
	reps := apply(s.want, func(v int) []int { return slices.Repeat([]int{v}, r) })
	key := g.name("dedupe")
	fail := g.fault(key)
	var calls atomic.Int64
	var want []int
	switch mode := g.pick(3); {
	case mode == 0 && s.ordered:
		m, n := 2+g.pick(5), 1+g.pick(4)
		fmt.Fprintf(&g.desc, "dedupe %s: keys v mod %d, LRU(%d)\n", key, m, n)
		g.add(chip.DistinctBy(key, rep, next, chip.LRU(n), func(v int) (int, error) {
			return mod(v, m), fail(context.Background(), calls.Add(1)-1)
		}), "DistinctBy small LRU")
		want = lruDistinct(reps, n, func(v int) int { return mod(v, m) })
	case mode == 1 && (s.ordered || !hasEqual(s.want)):
		g.add(chip.DedupeConsecutiveBy(key, rep, next, func(v int) (int, error) {
			return v, fail(context.Background(), calls.Add(1)-1)
		}), "DedupeConsecutive")
		want = s.want
		if s.ordered {
			want = consecutive(reps)
		}
	default:
		n := len(distinct(s.want)) + g.pick(3)
		if n == 0 {
			n = 1
		}
		fmt.Fprintf(&g.desc, "dedupe %s: LRU(%d)\n", key, n)
		g.add(chip.DistinctBy(key, rep, next, chip.LRU(n), func(v int) (int, error) {
			return v ^ 0x55, fail(context.Background(), calls.Add(1)-1)
		}), "DistinctBy wide LRU")
		want = distinct(s.want)
	}
	return stream{ref: next, want: want, ordered: s.ordered}
}

// mod is v mod m in [0, m), for negative v too.
func mod(v, m int) int { return (v%m + m) % m }

// lruDistinct is what DistinctBy with LRU(n) keeps of vals, per its doc: a
// value passes if its key is not among the n keys seen most recently (a key
// seen again, passed or dropped, becomes the most recent).
func lruDistinct(vals []int, n int, keyOf func(int) int) []int {
	var recent, out []int // recent: the keys remembered, least recent first
	for _, v := range vals {
		k := keyOf(v)
		if i := slices.Index(recent, k); i >= 0 {
			recent = append(slices.Delete(recent, i, i+1), k)
			continue
		}
		out = append(out, v)
		if recent = append(recent, k); len(recent) > n {
			recent = recent[1:]
		}
	}
	return out
}

// consecutive is vals with each run of equal values made one.
func consecutive(vals []int) []int { return slices.Compact(slices.Clone(vals)) }

// distinct is each value of vals once, in first-seen order.
func distinct(vals []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, v := range vals {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// hasEqual reports whether vals holds a value twice.
func hasEqual(vals []int) bool { return len(distinct(vals)) < len(vals) }

// scanStep adds a Scan: on an ordered stream the running sum from a random
// start (each prefix sum), on an unordered one a running count (1..n,
// whatever the order).
func (g *gen) scanStep(s stream) stream {
	next := g.pend()
	key := g.name("scan")
	fail := g.fault(key)
	var calls atomic.Int64
	init := g.pick(10)
	var want []int
	acc := init
	if s.ordered {
		g.add(chip.Scan(key, s.ref, next, init, func(a, v int) (int, error) {
			return a + v, fail(context.Background(), calls.Add(1)-1)
		}), "Scan sum")
		for _, v := range s.want {
			acc += v
			want = append(want, acc)
		}
	} else {
		g.add(chip.Scan(key, s.ref, next, init, func(a, _ int) (int, error) {
			return a + 1, fail(context.Background(), calls.Add(1)-1)
		}), "Scan count")
		for range s.want {
			acc++
			want = append(want, acc)
		}
	}
	return stream{ref: next, want: want, ordered: s.ordered}
}

// partitionStep routes s through a Partition view on v mod m == r into two
// viewees, each grown on its own: one gets the values the predicate holds
// for, the other the rest, in their order.
func (g *gen) partitionStep(s stream, depth int) {
	lp, inner := g.logical()
	yes, no := g.pendIn(inner), g.pendIn(inner)
	m := 2 + g.pick(3)
	r := g.pick(m)
	pred := func(v int) bool { return mod(v, m) == r }
	view := g.name("part")
	part, err := logicalpool.Partition(lp, view, yes, no, pred)
	if err != nil {
		panic(err)
	}
	fmt.Fprintf(&g.desc, "view %s@%s partition v mod %d == %d into %s, else %s\n", view, lp.Key(), m, r, yes.Key(), no.Key())
	g.count("Partition")
	async := g.passTo(s, part)
	for i, side := range []*pool.Pend[int]{yes, no} {
		want := apply(s.want, func(v int) []int {
			if pred(v) == (i == 0) {
				return []int{v}
			}
			return nil
		})
		// Read each side through the logical pool or the inner one.
		if g.pick(2) == 0 {
			side = g.via(lp, side)
		}
		g.grow(stream{ref: side, want: want, ordered: s.ordered && !async}, depth+1)
	}
}
