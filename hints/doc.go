// Package hints is the vocabulary of a runlet: the [Hint] a chip attaches to
// what it returns, and the [Pack] that carries a value and a hint between
// pends and chips. It imports nothing else of the module; every other
// package speaks it.
//
// # Hints
//
// A hint tells the scheduler how the flow changes. There are exactly four
// values, a closed set:
//
//   - [None]: a plain data pack (it prints as DATA). Pushed downstream; the
//     chip is offered its next input.
//   - [End]: the chip will produce nothing more. The scheduler pushes the END
//     pack downstream (one pack that stands for Count ENDs when Count >= 2,
//     for a split to several consumers) and never runs the chip again. Receiving END does not end a
//     chip; returning it does.
//   - [Skip]: "I consumed the input but have no output yet" (the N:1 ratio).
//     Nothing is pushed and the chip is offered its next input. Input chips
//     receive a Skip pack as their input, meaning "produce something"; output
//     chips return Skip for every data pack; a chip with a timer receives a
//     Skip pack when its wait is over, meaning "time is up".
//   - [Redo]: "here is one output; give me the same input again" (the 1:N
//     ratio). The value is pushed as a plain data pack, and the chip keeps its
//     input and is called with it again once the next pend has room.
//
// # Ratios
//
// The hints are how one process function, called once per input, makes any
// ratio of inputs to outputs:
//
//	1:1   return the output as DATA
//	N:1   return SKIP until the output is ready, then DATA (a batch, a sum)
//	1:N   return REDO for every output but the last, then DATA (a split, a flat map)
//	N:0   return SKIP for everything (an output chip)
//	end   return END, with Count = the number of consumers after a split
//
// A chip that ends early (a Take) simply returns END before its input has
// ended; the runlet then stops the chips upstream whose output nobody reads.
//
// # What travels through pends
//
// Only None and End packs ever sit in a pend. SKIP and REDO are answers to
// the scheduler, never values: pushing one into a pend is an error that
// names the pool and the pend, and a chip that returns a hint outside the
// set fails its runlet with an error naming the chip ("process returned
// unknown hint Hint(7)"). An END pack with a Count sits in a pend as one
// pack; each reader takes one END from it, with Count zero, so a consumer
// sees exactly one END per END pushed for it.
//
// # What the scheduler does with each
//
// In short: DATA is pushed and the chip moves on; SKIP pushes nothing and the
// chip moves on; REDO pushes the value and the chip keeps its input; END
// pushes one END pack, with its Count, and the chip is done. Which waiting chips each one
// wakes, and in which order the scheduler runs them, is written once, in the
// runlet package documentation (the table under "The scheduler").
//
// # Packs
//
// A [Pack] is a plain value: a typed Value, a Hint, and Count for END. It is
// copied, never shared, so a chip may keep or change the pack it received.
// Generics carry the element type end to end; nothing is boxed into an
// interface on the way through a runlet. [Data], [Again], [SkipOf] and
// [EndOf] build the four kinds; [Pack.Ends] says how many ENDs an END pack
// stands for; [Pack.String] prints the "value|hint" form that Describe shows
// for queued and held packs.
package hints
