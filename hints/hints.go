package hints

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// Hint steers the flow. The zero value is [None]. Hints are compared with ==
// and are safe to copy and use from any goroutine.
type Hint uint8

const (
	// None marks a data pack: a value to push downstream.
	None Hint = iota
	// End marks the last pack of a chip. Returned by a chip, it ends that chip
	// and is pushed downstream; a [Pack.Count] of 2 or more makes it stand for
	// that many ENDs (one for each consumer after a split), still one pack.
	End
	// Skip marks a pack without a value. Returned by a chip, it means the input
	// was consumed with no output yet (N:1); nothing is pushed. An input chip
	// receives Skip packs as "produce the next value".
	Skip
	// Redo marks one output of several for the same input (1:N). Its value is
	// pushed as data and the chip is called again with the same input.
	// Redo is only valid as a chip's return, never as an input.
	Redo
)

// String returns "DATA", "END", "SKIP" or "REDO", or "Hint(n)" for a value
// outside the set.
func (h Hint) String() string {
	switch h {
	case None:
		return "DATA"
	case End:
		return "END"
	case Skip:
		return "SKIP"
	case Redo:
		return "REDO"
	}
	return "Hint(" + strconv.Itoa(int(h)) + ")"
}

// Pack is a value plus a hint: the unit that moves between pends and chips.
//
// The zero value is a data pack holding T's zero value. A Pack is a plain
// value and may be copied freely; the scheduler never keeps a reference to a
// pack a chip returned.
//
// It holds no reference to the runlet, so it is safe to use from any
// goroutine, as safe as its Value is.
type Pack[T any] struct {
	// Value is the data. It is meaningful for None and Redo packs, and ignored
	// for End and Skip packs.
	Value T
	// Hint steers the flow; see [Hint].
	Hint Hint
	// Count is the number of ENDs an END pack stands for when Hint is End.
	// Values below 2 mean one. It is ignored for every other hint. An END
	// pack keeps its count in a pend, as one pack, and every reader takes one
	// END from it, which it sees with Count zero. It is an int32 so that a
	// Pack of a word-sized value is two words, not three.
	Count int32
}

// Data returns a data pack holding v.
func Data[T any](v T) Pack[T] { return Pack[T]{Value: v} }

// Again returns a Redo pack holding v: output v and call the chip again with
// the same input.
func Again[T any](v T) Pack[T] { return Pack[T]{Value: v, Hint: Redo} }

// EndOf returns an END pack; with n >= 2 it stands for n ENDs, so that n
// readers of the pend it is pushed to each get one. It is one pack whatever
// n is.
func EndOf[T any](n int) Pack[T] {
	return Pack[T]{Hint: End, Count: int32(max(min(n, math.MaxInt32), 0))}
}

// SkipOf returns a Skip pack.
func SkipOf[T any]() Pack[T] { return Pack[T]{Hint: Skip} }

// Ends reports how many ENDs an END pack stands for: Count when it is 2 or
// more, else 1. It returns 0 for packs that are not END.
func (p Pack[T]) Ends() int {
	if p.Hint != End {
		return 0
	}
	if p.Count >= 2 {
		return int(p.Count)
	}
	return 1
}

// String describes the pack as "value|hint", the format Describe prints:
// a zero value prints as itself (0, an empty string, <nil>), any other value
// as a quoted string of its first 16 characters; the hint prints as "-" for
// data. It formats the value with fmt and is meant for debugging.
func (p Pack[T]) String() string {
	h := "-"
	if p.Hint != None {
		h = p.Hint.String()
	}
	var v string
	if reflect.ValueOf(&p.Value).Elem().IsZero() {
		v = fmt.Sprint(p.Value)
	} else {
		s := []rune(fmt.Sprint(p.Value))
		if len(s) > 16 {
			s = s[:16]
		}
		v = strconv.Quote(string(s))
	}
	return v + "|" + h
}
