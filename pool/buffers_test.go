package pool_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"unsafe"

	"github.com/runlet/runlet/pool"
)

func sameBuffer(a, b []byte) bool { return unsafe.SliceData(a) == unsafe.SliceData(b) }

// mustPanic runs f and returns what it panicked with, failing if it did not.
func mustPanic(t *testing.T, f func()) (v any) {
	t.Helper()
	defer func() { v = recover() }()
	f()
	t.Fatal("no panic")
	return nil
}

func TestBuffersGetPutReuses(t *testing.T) {
	bufs := pool.NewBuffers(100)
	a := bufs.Get()
	if len(a) != 100 || bufs.Size() != 100 {
		t.Fatalf("len %d, Size %d, want 100", len(a), bufs.Size())
	}
	b := bufs.Get()
	if sameBuffer(a, b) {
		t.Fatal("two buffers lent at once share memory")
	}
	if bufs.Out() != 2 || bufs.Made() != 2 {
		t.Fatalf("Out %d, Made %d, want 2 and 2", bufs.Out(), bufs.Made())
	}
	bufs.Put(a[:7]) // a short chunk of a buffer goes back whole
	c := bufs.Get()
	if !sameBuffer(a, c) || len(c) != 100 {
		t.Fatalf("Get after Put: reused %v, len %d; want the Put buffer at full length", sameBuffer(a, c), len(c))
	}
	bufs.Put(b)
	bufs.Put(c)
	if bufs.Out() != 0 || bufs.Made() != 2 {
		t.Fatalf("Out %d, Made %d, want 0 and 2", bufs.Out(), bufs.Made())
	}
	// A slice too small to lend again is dropped, not lent out short.
	bufs.Put(make([]byte, 10))
	bufs.Put(nil)
	for range 3 {
		if n := len(bufs.Get()); n != 100 {
			t.Fatalf("Get returned %d bytes, want 100", n)
		}
	}
	if bufs.Made() != 3 {
		t.Fatalf("Made %d, want 3 (two reused, one new)", bufs.Made())
	}
}

func TestBuffersSteadyStateAllocatesNothing(t *testing.T) {
	for _, poison := range []bool{false, true} {
		t.Run(fmt.Sprint("poison=", poison), func(t *testing.T) {
			bufs := pool.NewBuffers(4096)
			bufs.SetPoison(poison)
			held := make([][]byte, 16)
			cycle := func() {
				for i := range held {
					held[i] = bufs.Get()
				}
				for i := range held {
					bufs.Put(held[i])
				}
			}
			cycle() // warm up: makes the 16 buffers and grows the free list
			if got := testing.AllocsPerRun(100, cycle); got != 0 {
				t.Fatalf("%v allocations per 16 Get/Put pairs, want 0", got)
			}
			if bufs.Made() != 16 {
				t.Fatalf("Made %d, want 16", bufs.Made())
			}
		})
	}
}

// Goroutines each fill the buffers they hold with their own mark and check
// it is intact before Put: a buffer lent twice at once would be overwritten
// (and -race would see the unsynchronised writes).
func TestBuffersConcurrentUse(t *testing.T) {
	for _, poison := range []bool{false, true} {
		t.Run(fmt.Sprint("poison=", poison), func(t *testing.T) {
			bufs := pool.NewBuffers(512)
			bufs.SetPoison(poison)
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := range 8 {
				wg.Go(func() {
					mark := byte(g + 1)
					for i := range 500 {
						held := [][]byte{bufs.Get(), bufs.Get()}
						for _, b := range held {
							for j := range b {
								b[j] = mark
							}
						}
						for _, b := range held {
							if bytes.IndexFunc(b, func(r rune) bool { return r != rune(mark) }) >= 0 {
								errs <- fmt.Errorf("goroutine %d, round %d: a held buffer was changed by someone else", g, i)
								return
							}
							bufs.Put(b)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if bufs.Out() != 0 {
				t.Errorf("Out %d after every buffer was Put, want 0", bufs.Out())
			}
			if bufs.Made() > 16 {
				t.Errorf("Made %d for 8 goroutines holding 2 each, want at most 16", bufs.Made())
			}
		})
	}
}

func TestBuffersPoisonWriteAfterPutPanics(t *testing.T) {
	bufs := pool.NewBuffers(64)
	bufs.SetPoison(true)
	b := bufs.Get()
	bufs.Put(b)
	b[63] = 'x' // use after return
	v := mustPanic(t, func() { bufs.Get() })
	if v != "pool: buffer written after Put" {
		t.Fatalf("panic %v, want %q", v, "pool: buffer written after Put")
	}
}

func TestBuffersPoisonReadAfterPutSeesPoison(t *testing.T) {
	bufs := pool.NewBuffers(64)
	bufs.SetPoison(true)
	b := bufs.Get()
	copy(b, "plausible data")
	bufs.Put(b[:14])
	if want := bytes.Repeat([]byte{pool.Poison}, 64); !bytes.Equal(b[:64], want) {
		t.Fatalf("buffer after Put = %q, want all 0x%X", b, pool.Poison)
	}
	// Untouched, it is lent again without complaint.
	if c := bufs.Get(); !sameBuffer(b, c) {
		t.Fatal("the poisoned buffer was not reused")
	}
}

func TestBuffersPoisonPutTwicePanics(t *testing.T) {
	bufs := pool.NewBuffers(64)
	bufs.SetPoison(true)
	b := bufs.Get()
	bufs.Put(b)
	if v := mustPanic(t, func() { bufs.Put(b) }); v != "pool: buffer Put twice" {
		t.Fatalf("panic %v, want %q", v, "pool: buffer Put twice")
	}
}

func TestBuffersPoisonTurnedOnLate(t *testing.T) {
	bufs := pool.NewBuffers(64)
	b := bufs.Get()
	copy(b, "data")
	bufs.Put(b)          // not poisoned yet
	bufs.SetPoison(true) // poisons what is in the free list
	if c := bufs.Get(); c[0] != pool.Poison {
		t.Fatalf("first byte %q, want the poison", c[0])
	}
}

func TestNewBuffersRejectsBadSize(t *testing.T) {
	for _, n := range []int{0, -1} {
		mustPanic(t, func() { pool.NewBuffers(n) })
	}
}
