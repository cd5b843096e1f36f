// Package hints is the vocabulary of a runlet: the [Hint] a chip attaches to
// what it returns, and the [Pack] that carries a value and a hint between
// pends and chips.
//
// # Hints
//
// A hint tells the scheduler how the flow changes. There are exactly four
// values, a closed set:
//
//   - [None]: a plain data pack. Pushed downstream; the chip is offered its
//     next input.
//   - [End]: the chip will produce nothing more. The scheduler pushes the END
//     pack downstream (Count of them when Count >= 2, for a split to several
//     consumers) and never runs the chip again. Receiving END does not end a
//     chip; returning it does.
//   - [Skip]: "I consumed the input but have no output yet" (the N:1 ratio).
//     Nothing is pushed and the chip is offered its next input. Input chips
//     receive a Skip pack as their input, meaning "produce something"; output
//     chips return Skip for every data pack.
//   - [Redo]: "here is one output; give me the same input again" (the 1:N
//     ratio). The value is pushed as a plain data pack, and the chip keeps its
//     input and is called with it again once the next pend has room.
//
// Only None and End packs ever sit in a pend. What the scheduler does for
// each hint, including which waiting chips it wakes, is written once, in the
// runlet package documentation.
//
// # Packs
//
// A [Pack] is a plain value: a typed Value, a Hint, and Count for END. It is
// copied, never shared, so a chip may keep or change the pack it received.
// Generics carry the element type end to end; nothing is boxed into an
// interface on the way through a runlet.
package hints
