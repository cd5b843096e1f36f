package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

const (
	gzipSize  = 32 << 20 // the stream
	gzipChunk = 64 << 10 // the runlet's chunk size
)

// gzipData returns n bytes of deterministic log-like text: a counter, a
// pseudo-random hex id and pseudo-random words per line. gzip shrinks it to
// about a third.
func gzipData(n int) []byte {
	words := []string{"GET", "PUT", "POST", "/api/v1/items", "/api/v1/users", "/static/app.js",
		"200", "201", "304", "404", "500", "ok", "slow", "cache", "hit", "miss"}
	rng := rand.New(rand.NewPCG(5, 6))
	var b bytes.Buffer
	b.Grow(n + 256)
	for line := 0; b.Len() < n; line++ {
		fmt.Fprintf(&b, "%09d %08x", line, rng.Uint32())
		for range 6 {
			b.WriteByte(' ')
			b.WriteString(words[rng.IntN(len(words))])
		}
		b.WriteByte('\n')
	}
	return b.Bytes()[:n]
}

// gzipRunlet compresses data through input -> gzip -> output into w.
func gzipRunlet(data []byte, w io.Writer, bufs *pool.Buffers) error {
	return runlet.Linear(context.Background(), pool.NewBytes("gzip", 1<<20),
		func(_, next chip.PendRef) chip.Chip {
			return chip.FromReader("read", next, bytes.NewReader(data), bufs)
		},
		func(prev, next chip.PendRef) chip.Chip {
			return chip.Transform("gzip", prev, next, bufs, func(w io.Writer) (io.WriteCloser, error) {
				return gzip.NewWriter(w), nil
			})
		},
		func(prev, _ chip.PendRef) chip.Chip { return chip.ToWriter("write", prev, w, bufs) },
	)
}

// perChunk reports MB/s (via SetBytes) and allocs/chunk, the runtime's
// malloc count over the run divided by the 64 KiB chunks of the stream:
// gzip.NewWriter's own allocations included, once per stream.
func perChunk(b *testing.B, run func()) {
	b.SetBytes(gzipSize)
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	run()
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*gzipSize/gzipChunk), "allocs/chunk")
}

// BenchmarkGzip32MiB compresses 32 MiB with gzip at the default level.
// IOCopy is io.Copy from a bytes.Reader into gzip.NewWriter(io.Discard), the
// baseline; Runlet is input -> gzip chip -> output (io.Discard) through
// runlet.Linear in 64 KiB chunks from one pool.Buffers, so the reading, the
// compressing and the writing run on three goroutines. The target is Runlet
// at 0.9x of IOCopy's MB/s or better: compression is the work, and the
// runlet must not add much to it.
func BenchmarkGzip32MiB(b *testing.B) {
	data := gzipData(gzipSize)
	var want bytes.Buffer
	zw := gzip.NewWriter(&want)
	if _, err := io.Copy(zw, bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}

	b.Run("IOCopy", func(b *testing.B) {
		perChunk(b, func() {
			for range b.N {
				zw := gzip.NewWriter(io.Discard)
				if _, err := io.Copy(zw, bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
				if err := zw.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	})

	b.Run("Runlet", func(b *testing.B) {
		bufs := pool.NewBuffers(gzipChunk)
		var got bytes.Buffer // also warms bufs up: steady state from the first timed run
		if err := gzipRunlet(data, &got, bufs); err != nil {
			b.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			b.Fatalf("runlet output (%d bytes) differs from io.Copy's (%d bytes)", got.Len(), want.Len())
		}
		perChunk(b, func() {
			for range b.N {
				if err := gzipRunlet(data, io.Discard, bufs); err != nil {
					b.Fatal(err)
				}
			}
		})
		if bufs.Out() != 0 {
			b.Fatalf("%d buffers not returned", bufs.Out())
		}
	})
}
