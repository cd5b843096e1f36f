package engine

import (
	"errors"
	"fmt"
	"strings"
)

// How ENDs meet: a pend fed by several producers, and graphs that loop.
//
// A chip ends on the first END it takes, so a pend fed by k producers must
// not hand out an END before all k have ended, or the values they push
// after it are never read. Attach counts the producers of every pend where
// packs live (a chip pushing into a view feeds each of its viewees; a
// PendInput, however many handles, is one producer, its END push being its
// end) and tells the pool ([Pool.ShareProducers]): the pend then queues
// one END, carrying the counts of all k, once the last producer has pushed
// its own. Runlets that share a pend (one feeds it, declaring a PendOutput,
// another reads it, declaring a PendInput) count it the same in either
// attach order: the producers are the feeding runlet's chips, and the
// reader's PendInput is that runlet's edge, no producer of its own. A
// runlet attaching keeps the ENDs the pend already holds back; emptying the
// pend, as the last runlet using it settles, forgets the count. The counts
// add up, so a consumer that expects k ENDs (an ENDRegulator, k consumers of
// k producers) still gets them, and a single consumer takes one after every
// value.
//
// A loop cannot end that way: its chips end only when their input ends, and
// their input ends only when they have. Nor can runlet tell when the packs
// in a loop are done without knowing what the chips make of them. So Attach
// refuses a graph with a cycle, spelling it out ([ErrCycle]).

// ErrCycle is matched (errors.Is) by the error Attach returns for a graph in
// which packs can come back to a chip that made them; a [CycleError] says
// where.
var ErrCycle = errors.New("runlet: the graph has a cycle")

// CycleError is the error Attach returns for a graph with a cycle.
// errors.Is(err, ErrCycle) holds. It is plain data, safe to read from any
// goroutine.
type CycleError struct {
	// Chips are the chips of the cycle, from the first in chip order, and
	// Pends the keys of the pends between them: Chips[i] pushes into Pends[i],
	// which Chips[i+1] (the first, for the last) reads.
	Chips, Pends []string
}

// Error spells the cycle out and says what to do instead.
func (e *CycleError) Error() string {
	var b strings.Builder
	for i, c := range e.Chips {
		fmt.Fprintf(&b, "chip %q → pend %q → ", c, e.Pends[i])
	}
	fmt.Fprintf(&b, "chip %q", e.Chips[0])
	return "cycle " + b.String() + ": packs that come back upstream keep their chips from ever ending;" +
		" feed them back from outside (a PendOutput drained into a PendInput, ended when nothing is left in flight)"
}

// Is reports whether target is ErrCycle.
func (e *CycleError) Is(target error) bool { return target == ErrCycle }

// wireEnds is the phase between sizing and indexing: it refuses a graph
// with a cycle, and counts the producers of every pend the chips and passive
// inputs feed, which install tells the pools.
func (c *compiler) wireEnds() {
	prod := map[storage][]int32{} // the chips feeding each pend
	var order []storage
	for i, sp := range c.specs {
		if c.chips[i] == nil {
			continue
		}
		// A dead-letter pend is a second output: the chip is one of its
		// producers, and pushes its END there when it ends.
		refs := []PendRef{sp.Next}
		if hasDead(sp) {
			refs = append(refs, sp.Dead)
		}
		for _, ref := range refs {
			for _, st := range storesIn(c.poolOf(ref.Pool), ref.Pend) {
				if _, ok := prod[st]; !ok {
					order = append(order, st)
				}
				prod[st] = append(prod[st], int32(i))
			}
		}
	}
	if err := c.findCycle(prod); err != nil {
		c.errs = append(c.errs, err)
		return
	}
	passive := map[storage]bool{}
	for _, k := range c.extKeys {
		if !c.r.ext[k].in {
			continue
		}
		for _, st := range storesIn(c.poolOf(k.Pool), k.Pend) {
			if _, ok := prod[st]; !ok && !passive[st] {
				order = append(order, st)
			}
			passive[st] = true
		}
	}
	for _, st := range order {
		e := endCount{st: st, chips: len(prod[st])}
		if passive[st] {
			e.passive = 1
		}
		c.ends = append(c.ends, e)
	}
}

// endCount is how many producers feed a storage pend: chips, and a passive
// input (0 or 1).
type endCount struct {
	st             storage
	chips, passive int
}

// findCycle looks for a chip that can reach itself through the pends it
// feeds (prod: the chips feeding each pend) and returns the first cycle
// found, in chip order, as a [CycleError].
func (c *compiler) findCycle(prod map[storage][]int32) error {
	// in[i] lists chip i's prev pends and the chips feeding them: walking
	// from a chip to its producers finds the same cycles, reversed.
	type edge struct {
		from int32
		pend string
	}
	in := make([][]edge, len(c.specs))
	for i, sp := range c.specs {
		if c.chips[i] == nil {
			continue
		}
		for _, st := range storesIn(c.poolOf(sp.Prev.Pool), sp.Prev.Pend) {
			for _, j := range prod[st] {
				in[i] = append(in[i], edge{j, st.pend})
			}
		}
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]uint8, len(c.specs))
	var path []int32   // chips from the start, each fed by the next
	var pends []string // pends[k] is the pend path[k+1] feeds path[k] through
	var walk func(i int32) *CycleError
	walk = func(i int32) *CycleError {
		state[i] = onPath
		path = append(path, i)
		for _, e := range in[i] {
			switch state[e.from] {
			case onPath:
				return c.cycleAt(path, append(pends, e.pend), e.from)
			case unseen:
				pends = append(pends, e.pend)
				if cyc := walk(e.from); cyc != nil {
					return cyc
				}
				pends = pends[:len(pends)-1]
			}
		}
		state[i] = done
		path = path[:len(path)-1]
		return nil
	}
	for i := range c.specs {
		if state[i] == unseen {
			if e := walk(int32(i)); e != nil {
				return e
			}
		}
	}
	return nil
}

// cycleAt turns the walk's path, which found chip back among the chips it
// came through, into a CycleError in flow order starting from the cycle's
// first chip in chip order.
func (c *compiler) cycleAt(path []int32, pends []string, back int32) *CycleError {
	k := len(path) - 1
	for path[k] != back {
		k--
	}
	// chips walks against the flow: chips[(m+1)%n] pushes into ps[m], which
	// chips[m] reads (the last pend closes the loop back to chips[0]).
	chips, ps := path[k:], pends[k:]
	n := len(chips)
	e := &CycleError{Chips: make([]string, n), Pends: make([]string, n)}
	first := 0
	for m := range chips {
		if chips[m] < chips[first] {
			first = m
		}
	}
	for m := range n {
		// Flow order from chips[first] is the walk's order reversed.
		j := (first - m + n) % n
		e.Chips[m] = c.names[chips[j]]
		e.Pends[m] = ps[(j-1+n)%n]
	}
	return e
}
