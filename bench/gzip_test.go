package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
	kitsune "github.com/zenbaku/go-kitsune"
	"golang.org/x/sync/errgroup"
)

const (
	gzipSize  = 32 << 20 // the stream of the benchmark
	gzipChunk = 64 << 10 // the chunk size of every chunked system
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

// digest is an io.Writer that keeps the CRC-32 and the length of what is
// written to it: each system's compressed output is checked against
// io.Copy's without keeping it.
type digest struct {
	crc uint32
	n   uint64
}

func (d *digest) Write(p []byte) (int, error) {
	d.crc = crc32.Update(d.crc, crc32.IEEETable, p)
	d.n += uint64(len(p))
	return len(p), nil
}

func (d *digest) sum() uint64 { return d.n<<32 | uint64(d.crc) }

// gzipWorkload compresses data n times (an item is one stream), each into a
// digest, and sums the digests. gzip's output depends only on the bytes, not
// on how they were cut into writes, so every system must match io.Copy.
//
// Fused is io.Copy into gzip.NewWriter, the baseline; Channels a reader
// goroutine handing 64 KiB chunks (recycled through a free list) to the
// compressing goroutine; Runlet input -> chip.Transform(gzip) -> output, a
// linear flow over two unnamed pends of one byte pool, in 64 KiB chunks of
// one pool.Buffers (reading, compressing and writing on three goroutines);
// Kitsune a Generate of 64 KiB chunks (one new slice per chunk: kitsune does
// not say when a stage is done with an item) into a ForEach that
// compresses; Errgroup the Channels pipeline under an errgroup. Conc and Ro
// have no byte-stream stages and are left out. There is no FusedCalls
// system: an item is a whole stream moved in 64 KiB chunks, so a call per
// chunk costs nothing beside gzip, and io.Copy is already the limit.
func gzipWorkload(data []byte) workload {
	compress := func(w io.Writer, body func(zw io.Writer) error) error {
		zw := gzip.NewWriter(w)
		if err := body(zw); err != nil {
			return err
		}
		return zw.Close()
	}
	streams := func(n int, one func(d *digest) error) (uint64, error) {
		var s uint64
		for range n {
			var d digest
			if err := one(&d); err != nil {
				return 0, err
			}
			s += d.sum()
		}
		return s, nil
	}
	want := sync.OnceValue(func() uint64 {
		var d digest
		_ = compress(&d, func(zw io.Writer) error { _, err := io.Copy(zw, bytes.NewReader(data)); return err })
		return d.sum()
	})
	bufs := pool.NewBuffers(gzipChunk)
	return workload{
		name:  "Gzip32MiB",
		bytes: int64(len(data)),
		want:  func(n int) uint64 { return uint64(n) * want() },
		systems: []system{
			{"Fused", func(n int) (uint64, error) {
				return streams(n, func(d *digest) error {
					return compress(d, func(zw io.Writer) error { _, err := io.Copy(zw, bytes.NewReader(data)); return err })
				})
			}},
			{"Channels", func(n int) (uint64, error) {
				return streams(n, func(d *digest) error {
					return compress(d, func(zw io.Writer) error {
						full, free := make(chan []byte, 4), make(chan []byte, 4)
						for range 4 {
							free <- make([]byte, gzipChunk)
						}
						go func() {
							r := bytes.NewReader(data)
							for buf := range free {
								k, _ := io.ReadFull(r, buf)
								if k == 0 {
									break
								}
								full <- buf[:k]
							}
							close(full)
						}()
						var err error
						for buf := range full {
							if err == nil {
								_, err = zw.Write(buf)
							}
							free <- buf[:cap(buf)]
						}
						return err
					})
				})
			}},
			{"Runlet", func(n int) (uint64, error) {
				return streams(n, func(d *digest) error {
					p := pool.NewBytes("gzip", 1<<20)
					raw, packed := pool.NewPend[[]byte](p, ""), pool.NewPend[[]byte](p, "")
					return runlet.Run(context.Background(),
						chip.FromReader("read", raw, bytes.NewReader(data), bufs),
						chip.Transform("gzip", raw, packed, bufs, func(w io.Writer) (io.WriteCloser, error) {
							return gzip.NewWriter(w), nil
						}),
						chip.ToWriter("write", packed, d, bufs),
					)
				})
			}},
			{"Kitsune", func(n int) (uint64, error) {
				return streams(n, func(d *digest) error {
					return compress(d, func(zw io.Writer) error {
						chunks := kitsune.Generate(func(_ context.Context, yield func([]byte) bool) error {
							r := bytes.NewReader(data)
							for {
								buf := make([]byte, gzipChunk)
								k, err := io.ReadFull(r, buf)
								if k > 0 && !yield(buf[:k]) {
									return nil
								}
								if err == io.EOF || err == io.ErrUnexpectedEOF {
									return nil
								} else if err != nil {
									return err
								}
							}
						})
						_, err := chunks.ForEach(func(_ context.Context, b []byte) error {
							_, err := zw.Write(b)
							return err
						}).Run(context.Background())
						return err
					})
				})
			}},
			{"Errgroup", func(n int) (uint64, error) {
				return streams(n, func(d *digest) error {
					return compress(d, func(zw io.Writer) error {
						g, ctx := errgroup.WithContext(context.Background())
						full, free := make(chan []byte, 4), make(chan []byte, 4)
						for range 4 {
							free <- make([]byte, gzipChunk)
						}
						g.Go(func() error {
							defer close(full)
							r := bytes.NewReader(data)
							for {
								var buf []byte
								select {
								case buf = <-free:
								case <-ctx.Done():
									return ctx.Err()
								}
								k, err := io.ReadFull(r, buf)
								if k > 0 {
									select {
									case full <- buf[:k]:
									case <-ctx.Done():
										return ctx.Err()
									}
								}
								if err == io.EOF || err == io.ErrUnexpectedEOF {
									return nil
								} else if err != nil {
									return err
								}
							}
						})
						g.Go(func() error {
							for buf := range full {
								if _, err := zw.Write(buf); err != nil {
									return err
								}
								free <- buf[:cap(buf)]
							}
							return nil
						})
						return g.Wait()
					})
				})
			}},
		},
	}
}

// BenchmarkGzip32MiB compresses 32 MiB at gzip's default level; MB/s is the
// figure (ns/item is per 32 MiB stream). The runlet's goal is 0.9x of
// io.Copy's MB/s or better.
func BenchmarkGzip32MiB(b *testing.B) { benchWorkload(b, gzipWorkload(gzipData(gzipSize))) }
