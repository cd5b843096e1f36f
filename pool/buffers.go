package pool

import (
	"bytes"
	"fmt"
	"sync"
	"unsafe"
)

// Poison is the byte a poisoned [Buffers] fills returned buffers with.
const Poison byte = 0xDB

// Buffers lends byte buffers of one chunk size and takes them back, so a byte
// stream crosses a runlet without a copy per chip and, once enough buffers
// exist for the flow's working size, without an allocation per chunk.
//
// Buffers is a plain free list under a mutex: Get pops a buffer (making one
// when the list is empty) and Put pushes it back. Unlike a sync.Pool of
// []byte, Put does not box the slice, so neither call allocates in steady
// state, and buffers are never dropped behind the caller's back. A Buffers is
// safe for concurrent use: worker goroutines of async chips call it. The zero
// value is not usable; make one with [NewBuffers].
//
// # Who holds a buffer
//
// A buffer has exactly one holder at a time, and the holder is the only one
// that may read or write it:
//
//   - Get makes the caller the holder (say, an input chip that reads into it).
//   - Pushing a []byte pack moves the buffer with the pack: while the pack
//     waits in a pend nobody may touch it, and the chip that pulls it becomes
//     the holder. A chip that passes its input on unchanged (a pass-through or
//     a filter that keeps the pack) passes the buffer on with it.
//   - The holder that is done with the bytes Puts the buffer back: the output
//     chip after writing it, a transform after feeding it to its encoder. Put
//     ends the holding; after Put (or after pushing the pack) the former
//     holder must not read, write or keep a sub-slice of the buffer.
//   - A buffer that is never Put back (say, a pack left in a pend when a
//     runlet fails) is simply garbage collected; Buffers then makes a new one
//     when it runs out.
//
// # Debug mode
//
// [Buffers.SetPoison] turns on a debug mode for tests: Put fills the buffer
// with [Poison] bytes and Get checks that they are still all there, so a
// write after Put panics ("pool: buffer written after Put") at the next Get
// of that buffer, a read after Put sees 0xDB garbage instead of plausible
// data, and a second Put of a buffer already in the free list panics
// ("pool: buffer Put twice"). It costs a fill and a compare per buffer.
type Buffers struct {
	size int

	mu     sync.Mutex
	free   [][]byte // protected by mu; each has len size
	made   int      // buffers made by Get; protected by mu
	out    int      // buffers lent and not yet Put; protected by mu
	poison bool     // protected by mu
}

// NewBuffers returns an empty Buffers lending buffers of chunkSize bytes. It
// panics if chunkSize is not positive.
func NewBuffers(chunkSize int) *Buffers {
	if chunkSize <= 0 {
		panic(fmt.Sprintf("pool: NewBuffers: chunk size %d is not positive", chunkSize))
	}
	return &Buffers{size: chunkSize}
}

// Size returns the chunk size: the length of every buffer Get returns.
func (b *Buffers) Size() int { return b.size }

// Get lends a buffer of length [Buffers.Size]: one from the free list, or a
// new one if the list is empty. Its contents are undefined (in debug mode,
// all [Poison]). The caller holds it until it pushes it on or Puts it back.
func (b *Buffers) Get() []byte {
	b.mu.Lock()
	b.out++
	n := len(b.free)
	if n == 0 {
		b.made++
		b.mu.Unlock()
		return make([]byte, b.size)
	}
	buf := b.free[n-1]
	b.free[n-1] = nil
	b.free = b.free[:n-1]
	poison := b.poison
	b.mu.Unlock()
	if poison && !poisoned(buf[:cap(buf)]) {
		panic("pool: buffer written after Put")
	}
	return buf
}

// Put takes a buffer back. p may be any re-slice of a buffer from Get that
// starts at its first byte (a chunk of length n is buf[:n]); a slice with
// capacity below the chunk size cannot be lent again and is dropped. After
// Put the caller must not touch p. Put of nil does nothing.
func (b *Buffers) Put(p []byte) {
	if cap(p) < b.size {
		return
	}
	p = p[:b.size]
	b.mu.Lock()
	poison := b.poison
	b.mu.Unlock()
	if poison {
		// Fill before the buffer is in the list: nobody else can Get it yet.
		fill(p[:cap(p)])
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if poison {
		for _, f := range b.free {
			if unsafe.SliceData(f) == unsafe.SliceData(p) {
				panic("pool: buffer Put twice")
			}
		}
	}
	b.out--
	b.free = append(b.free, p)
}

// SetPoison turns the debug mode on or off (see [Buffers]). Buffers in the
// free list are poisoned when it is turned on. It is meant to be called before
// the buffers are used.
func (b *Buffers) SetPoison(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if on && !b.poison {
		for _, f := range b.free {
			fill(f[:cap(f)])
		}
	}
	b.poison = on
}

// Made returns how many buffers Get has made (allocated) so far: the flow's
// working size in chunks, once it has stopped growing.
func (b *Buffers) Made() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.made
}

// Out returns how many buffers are lent and not yet Put back. After a flow
// that ended cleanly it is 0 when every chip returned what it held.
func (b *Buffers) Out() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out
}

// poisonBlock is a run of Poison bytes to fill and compare with.
var poisonBlock = bytes.Repeat([]byte{Poison}, 4096)

func fill(p []byte) {
	for len(p) > 0 {
		p = p[copy(p, poisonBlock):]
	}
}

func poisoned(p []byte) bool {
	for len(p) > 0 {
		n := min(len(p), len(poisonBlock))
		if !bytes.Equal(p[:n], poisonBlock[:n]) {
			return false
		}
		p = p[n:]
	}
	return true
}
