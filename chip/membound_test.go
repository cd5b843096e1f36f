package chip_test

import (
	"context"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// meter counts the bytes the reader has yielded and the writer has been
// given: their difference is what the flow holds. It keeps the high-water
// mark of that difference, exactly, at every Read.
type meter struct {
	mu      sync.Mutex
	more    *sync.Cond // signalled at every Read
	read    int64
	written int64
	eof     bool
	peak    int64 // most bytes read and not yet written
}

func newMeter() *meter {
	m := &meter{}
	m.more = sync.NewCond(&m.mu)
	return m
}

func (m *meter) didRead(n int, eof bool) {
	m.mu.Lock()
	m.read += int64(n)
	m.eof = m.eof || eof
	m.peak = max(m.peak, m.read-m.written)
	m.mu.Unlock()
	m.more.Broadcast()
}

func (m *meter) didWrite(n int) {
	m.mu.Lock()
	m.written += int64(n)
	m.mu.Unlock()
}

// waitHeld waits until the flow holds at least n bytes, or the reader has
// reached the end of the stream.
func (m *meter) waitHeld(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for m.read-m.written < n && !m.eof {
		m.more.Wait()
	}
}

// patternReader yields size bytes of a pattern whose period (64 KiB + 7) is
// not a multiple of any chunk size, so chunks lost, repeated or reordered
// change the stream; it keeps the CRC-32 of what it yielded.
type patternReader struct {
	pattern []byte
	left    int64
	off     int
	crc     uint32
	m       *meter
}

func newPatternReader(size int64, m *meter) *patternReader {
	p := make([]byte, 64<<10+7)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	return &patternReader{pattern: p, left: size, m: m}
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		r.m.didRead(0, true)
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.pattern[r.off:])
		n += k
		r.off = (r.off + k) % len(r.pattern)
	}
	r.left -= int64(n)
	r.crc = crc32.Update(r.crc, crc32.IEEETable, p)
	r.m.didRead(n, false)
	return n, nil
}

// slowWriter is the slow consumer: it keeps the CRC-32 and the length of
// what it is given. At checkpoints spread over the stream it waits until
// the flow holds at least full bytes (the reader has filled the pool, or
// the stream has ended), then collects garbage and records the live heap:
// so the heap is measured while the flow holds the most, whatever the
// machine's speed.
type slowWriter struct {
	crc      uint32
	n        int64
	next     int64 // the next checkpoint
	every    int64 // bytes between checkpoints
	full     int64
	m        *meter
	live     []metrics.Sample
	peakLive uint64 // the most live heap seen at a checkpoint
	samples  int
}

func newSlowWriter(m *meter, every, full int64) *slowWriter {
	return &slowWriter{m: m, every: every, full: full, live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
}

func (w *slowWriter) Write(p []byte) (int, error) {
	if w.n >= w.next {
		w.next += w.every
		w.m.waitHeld(w.full)
		w.peakLive = max(w.peakLive, liveHeap(w.live))
		w.samples++
	}
	w.crc = crc32.Update(w.crc, crc32.IEEETable, p)
	w.n += int64(len(p))
	w.m.didWrite(len(p))
	return len(p), nil
}

// liveHeap collects garbage and returns the heap the last GC found live:
// what the program holds, not garbage waiting for the collector.
func liveHeap(s []metrics.Sample) uint64 {
	runtime.GC()
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// passThrough is the WriteCloser of the Transform chip: it hands on what it
// is given.
type passThrough struct{ io.Writer }

func (passThrough) Close() error { return nil }

// TestMemoryBound streams memBoundSize bytes (1 GiB; less under -race, see
// membound_race_test.go) through input -> Transform -> slow output over a
// byte pool limited to 8 MiB, in 64 KiB chunks, and asserts that the flow
// holds what the pool allows and no more, counted rather than timed. What
// the pool allows (see the pool package's doc) is its limit plus the
// batches its two async consumers took out of their prev pends, each at
// most the pend's content, so about twice the limit, plus a few chunks:
//
//   - the bytes read and not yet written never exceed that (counted at
//     every Read);
//   - Buffers never made more buffers than the pool's limit plus one batch
//     per worker plus the few in hand (Buffers makes one only when every
//     buffer is lent, so Made is the high-water mark of buffers lent; see
//     maxBuffers);
//   - the live heap after a GC, taken at checkpoints while the pool is full,
//     grows by less than that and 2 MiB over the live heap before the flow
//     (garbage not yet collected does not count; a flow that held 4x its
//     pool would fail it);
//
// and that every byte arrives, in order. The writer waits at each
// checkpoint until the pool is nearly full, so the bound holds under
// pressure however fast the machine is.
func TestMemoryBound(t *testing.T) {
	const (
		limit = 8 << 20
		chunk = 64 << 10
		// outside is the most chunks held outside the pool: a pend may go over
		// the limit by the one push it admitted while under it (two pends
		// here); the reader holds one chunk, Transform one in and one out,
		// the writer one.
		outside = 2 + 4
		maxHeld = 2*limit + outside*chunk
		full    = limit - 2*chunk // what the writer waits for at a checkpoint
		growth  = maxHeld + 2<<20 // the most the live heap may grow
		// maxBuffers bounds the buffers lent, as the pool's doc argues: the
		// pool's limit in chunks, plus one batch per async worker that takes
		// batches out of a pend (Transform and ToWriter, one worker each),
		// plus the chunks in hand (outside). A batch is at most about
		// batchWork (100 µs) of measured work, and a chunk's work is at least
		// copying or checking 64 KiB, about 2 µs even at 32 GB/s: so at most
		// 50 chunks. 128 + 2*50 + 6 = 234 buffers, under the 256 of a flow
		// that held twice its pool.
		maxBatch   = 100 / 2
		maxBuffers = limit/chunk + 2*maxBatch + outside
	)
	bufs := pool.NewBuffers(chunk)
	m := newMeter()
	src := newPatternReader(memBoundSize, m)
	dst := newSlowWriter(m, memBoundSize/16, full)
	base := liveHeap([]metrics.Sample{{Name: "/gc/heap/live:bytes"}})

	p := pool.NewBytes("bytes", limit)
	read, passed := pool.NewPend[[]byte](p, "read"), pool.NewPend[[]byte](p, "passed")

	start := time.Now()
	err := runlet.Run(context.Background(),
		chip.FromReader("read", read, src, bufs),
		chip.Transform("pass", read, passed, bufs, func(w io.Writer) (io.WriteCloser, error) { return passThrough{w}, nil }),
		chip.ToWriter("slow", passed, dst, bufs),
	)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}

	if dst.n != memBoundSize || dst.crc != src.crc {
		t.Fatalf("output: %d bytes, CRC %08x; want %d bytes, CRC %08x", dst.n, dst.crc, int64(memBoundSize), src.crc)
	}
	t.Logf("%d MiB in %v; most held %.1f MiB; buffers made %d (%d MiB); live heap %.1f MiB before, at most %.1f MiB at %d checkpoints",
		memBoundSize>>20, elapsed.Round(time.Millisecond), float64(m.peak)/(1<<20), bufs.Made(), bufs.Made()*chunk>>20,
		float64(base)/(1<<20), float64(dst.peakLive)/(1<<20), dst.samples)
	if m.peak > maxHeld {
		t.Errorf("the flow held %d bytes at most, want <= %d (twice the pool's limit plus %d chunks)", m.peak, maxHeld, outside)
	}
	if m.peak < full {
		t.Errorf("the flow held %d bytes at most, want >= %d: the pool never filled", m.peak, full)
	}
	if bufs.Made() > maxBuffers {
		t.Errorf("buffers made %d, want at most %d (the pool's %d chunks, a batch of at most %d per worker, %d in hand)",
			bufs.Made(), maxBuffers, limit/chunk, maxBatch, outside)
	}
	if dst.samples < 16 {
		t.Errorf("%d heap checkpoints, want 16", dst.samples)
	}
	if dst.peakLive > base && dst.peakLive-base >= growth {
		t.Errorf("live heap grew by %.1f MiB while the flow ran, want < %d MiB", float64(dst.peakLive-base)/(1<<20), growth>>20)
	}
	if bufs.Out() != 0 {
		t.Errorf("%d buffers not returned", bufs.Out())
	}
}
