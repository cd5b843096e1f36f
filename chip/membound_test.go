package chip_test

import (
	"context"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// patternReader yields size bytes of a pattern whose period (64 KiB + 7) is
// not a multiple of any chunk size, so chunks lost, repeated or reordered
// change the stream; it keeps the CRC-32 of what it yielded.
type patternReader struct {
	pattern []byte
	left    int64
	off     int
	crc     uint32
}

func newPatternReader(size int64) *patternReader {
	p := make([]byte, 64<<10+7)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	return &patternReader{pattern: p, left: size}
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
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
	return n, nil
}

// slowWriter is the slow consumer: it keeps the CRC-32 and the length of
// what it is given and sleeps a millisecond after every MiB, far slower than
// the reader, so the pool is full most of the time.
type slowWriter struct {
	crc    uint32
	n      int64
	nextMB int64
}

func (w *slowWriter) Write(p []byte) (int, error) {
	w.crc = crc32.Update(w.crc, crc32.IEEETable, p)
	w.n += int64(len(p))
	if w.n >= w.nextMB {
		w.nextMB += 1 << 20
		time.Sleep(time.Millisecond)
	}
	return len(p), nil
}

// passThrough is the WriteCloser of the Transform chip: it hands on what it
// is given.
type passThrough struct{ io.Writer }

func (passThrough) Close() error { return nil }

// TestMemoryBound streams memBoundSize bytes (1 GiB; less under -race, see
// membound_race_test.go) through input -> Transform -> slow output over a
// byte pool limited to 8 MiB, in 64 KiB chunks, and asserts that the heap
// in use (live and not yet swept objects, sampled every millisecond from
// runtime/metrics) stays under 32 MiB and that every byte arrives, in order.
// It also asserts that the pool was full at some point (the bound held under
// pressure, not because the consumer kept up) and never lent more buffers
// than the pool can hold plus one per chip.
func TestMemoryBound(t *testing.T) {
	const (
		limit = 8 << 20
		chunk = 64 << 10
		bound = 32 << 20
	)
	bufs := pool.NewBuffers(chunk)
	src, dst := newPatternReader(memBoundSize), &slowWriter{}

	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	var peakHeap uint64
	peakOut := 0
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			peakHeap = max(peakHeap, heap())
			peakOut = max(peakOut, bufs.Out())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})

	start := time.Now()
	err := runlet.Linear(context.Background(), pool.NewBytes("bytes", limit),
		func(_, next chip.PendRef) chip.Chip { return chip.FromReader("read", next, src, bufs) },
		func(prev, next chip.PendRef) chip.Chip {
			return chip.Transform("pass", prev, next, bufs, func(w io.Writer) (io.WriteCloser, error) { return passThrough{w}, nil })
		},
		func(prev, _ chip.PendRef) chip.Chip { return chip.ToWriter("slow", prev, dst, bufs) },
	)
	close(done)
	wg.Wait()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}

	if dst.n != memBoundSize || dst.crc != src.crc {
		t.Fatalf("output: %d bytes, CRC %08x; want %d bytes, CRC %08x", dst.n, dst.crc, int64(memBoundSize), src.crc)
	}
	t.Logf("%d MiB in %v (%.0f MiB/s); peak heap in use %.1f MiB; peak buffers lent %d (%d MiB); buffers made %d",
		memBoundSize>>20, elapsed.Round(time.Millisecond), float64(memBoundSize>>20)/elapsed.Seconds(),
		float64(peakHeap)/(1<<20), peakOut, peakOut*chunk>>20, bufs.Made())
	if peakHeap >= bound {
		t.Errorf("peak heap in use %d bytes (%.1f MiB), want < %d MiB", peakHeap, float64(peakHeap)/(1<<20), bound>>20)
	}
	// The pool holds limit/chunk chunks, and a pend may go over the limit by
	// the one push it admitted while under it (two pends here); outside the
	// pool the reader holds one chunk, Transform one in and one out, the
	// writer one.
	if maxOut := limit/chunk + 2 + 4; peakOut > maxOut || bufs.Made() > maxOut {
		t.Errorf("buffers: peak lent %d, made %d; want at most %d", peakOut, bufs.Made(), maxOut)
	}
	if full := limit / chunk / 2; peakOut < full {
		t.Errorf("peak buffers lent %d, want >= %d: the consumer was not slow enough to fill the pool", peakOut, full)
	}
	if bufs.Out() != 0 {
		t.Errorf("%d buffers not returned", bufs.Out())
	}
}
