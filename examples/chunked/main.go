// Chunked is an in-process version of the binglide IPC design: a client's
// request over a large blob is split into chunks, computed in parallel by
// workers and aggregated at a sink; a first, quick answer comes from a cache
// of chunk results while the detailed one is computed; and a request the
// client cancels stops its chunks in flight.
//
//	Do (ventilator) --PushWait--> [ jobs ] -> work (ParallelMap, n workers) -> [ parts ] -> sink
//	  |  the cache's chunks: quick answer                       |  caches each result        |  detailed answer
//
// One runlet serves every request: it runs from NewService to Close, fed
// through a passive input handle (runlet.PendInput) by the goroutines that
// call Do, so requests share the workers and the pool, whose limit bounds
// the jobs waiting. A chunk is a job tagged with its request; the sink adds
// each result into its request's answer and tells the caller when the last
// one is in. The answer here is the byte histogram of the range (and its
// entropy), as binglide computes for a view of a binary file.
//
// The cache plays the broker's part of the design: chunks already computed
// are not sent to the workers again, and their sum is the quick answer.
// Cancellation plays the pub-sub "cancel" message: a worker checks the
// request's context before and while it computes a chunk, so the chunks of a
// cancelled request cost almost nothing, and Do returns at once.
//
//	go run ./examples/chunked [-size 64MiB in bytes] [-chunk 262144] [-workers N] [-cancel 2ms]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

func main() {
	size := flag.Int("size", 64<<20, "the blob's size in bytes")
	chunk := flag.Int("chunk", 256<<10, "the chunk size in bytes")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "how many chunks are computed at once")
	cancel := flag.Duration("cancel", 2*time.Millisecond, "the last request is cancelled after this long")
	flag.Parse()
	if err := demo(*size, *chunk, *workers, *cancel); err != nil {
		fmt.Fprintln(os.Stderr, "chunked:", err)
		os.Exit(1)
	}
}

// demo runs three requests: a cold one, one that half hits the cache, and
// one cancelled in flight.
func demo(size, chunk, workers int, cancelAfter time.Duration) error {
	if size < 1 || chunk < 1 || workers < 1 {
		return fmt.Errorf("-size, -chunk and -workers must be at least 1 (got %d, %d and %d)", size, chunk, workers)
	}
	s := NewService(blob(size), chunk, workers)
	n := s.Chunks()
	print := func(start time.Time) func(Answer) {
		return func(a Answer) {
			kind := "detailed"
			if a.Quick {
				kind = "quick   "
			}
			fmt.Printf("  %s  %4d chunks, %4d from the cache  entropy %.4f bits/byte  after %v\n",
				kind, a.Chunks, a.Cached, a.Hist.Entropy(), time.Since(start).Round(time.Microsecond))
		}
	}
	for _, rq := range []struct{ lo, hi int }{{0, n / 2}, {0, 3 * n / 4}} {
		fmt.Printf("request chunks [%d, %d):\n", rq.lo, rq.hi)
		if err := s.Do(context.Background(), rq.lo, rq.hi, print(time.Now())); err != nil {
			return err
		}
	}

	lo, hi := 3*n/4, n
	fmt.Printf("request chunks [%d, %d), cancelled after %v:\n", lo, hi, cancelAfter)
	before := s.Computed()
	ctx, cancel := context.WithTimeout(context.Background(), cancelAfter)
	defer cancel()
	start := time.Now()
	err := s.Do(ctx, lo, hi, print(start))
	switch {
	case err == nil:
		fmt.Println("  finished before the cancel (try a smaller -cancel)")
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Printf("  cancelled after %v\n", time.Since(start).Round(time.Microsecond))
	default:
		return err
	}
	if err := s.Close(); err != nil { // waits for the chunks in flight
		return err
	}
	fmt.Printf("  %d of its %d chunks were computed\n", s.Computed()-before, hi-lo)
	return nil
}

// Hist is a byte histogram.
type Hist [256]uint64

// Add adds o to h.
func (h *Hist) Add(o *Hist) {
	for i := range h {
		h[i] += o[i]
	}
}

// Entropy returns the Shannon entropy of the bytes counted, in bits per byte.
func (h *Hist) Entropy() float64 {
	var n uint64
	for _, c := range h {
		n += c
	}
	e := 0.0
	for _, c := range h {
		if c > 0 {
			p := float64(c) / float64(n)
			e -= p * math.Log2(p)
		}
	}
	return e
}

// Answer is a reply to a request: the histogram of its chunks, quick (from
// the cache only, Cached of Chunks) or detailed (all of them).
type Answer struct {
	Quick          bool
	Chunks, Cached int
	Hist           Hist
}

// request is one Do call as the runlet sees it.
type request struct {
	ctx context.Context
	// Owned by the sink once the first job is pushed.
	pending int  // jobs not yet aggregated
	sum     Hist // cached chunks plus computed ones
	done    chan struct{}
}

// job is one chunk of a request; part is its result.
type job struct {
	req *request
	idx int
}

type part struct {
	job
	hist    *Hist // nil when the request was cancelled
	skipped bool
}

// Service answers requests over one blob.
type Service struct {
	data  []byte
	chunk int
	// work computes one chunk; it must return ctx's error soon after ctx
	// is done. Tests replace it before the first request.
	work func(ctx context.Context, b []byte) (*Hist, error)

	r        *runlet.Runlet
	jobs     *runlet.Input[job]
	runErr   chan error
	computed atomic.Int64 // chunks computed to the end

	mu    sync.Mutex
	cache map[int]*Hist // protected by mu
}

// NewService starts the service's runlet.
func NewService(data []byte, chunk, workers int) *Service {
	s := &Service{data: data, chunk: chunk, work: histogram, cache: map[int]*Hist{}, runErr: make(chan error, 1)}
	svc := pool.New("svc", 4*workers)
	jobs, parts := pool.NewPend[job](svc, "jobs"), pool.NewPend[part](svc, "parts")
	s.r = runlet.New([]chip.Chip{
		chip.ParallelMap("work", jobs, parts, workers, s.compute),
		chip.NewOutput("sink", parts, nil, s.aggregate),
	}, runlet.Config{})
	var err error
	if s.jobs, err = runlet.PendInput(s.r, jobs); err != nil {
		panic(err) // a programming error: a chip of the runlet names the pend
	}
	go func() { s.runErr <- s.r.Run(context.Background()) }()
	return s
}

// Chunks returns how many chunks the blob has.
func (s *Service) Chunks() int { return (len(s.data) + s.chunk - 1) / s.chunk }

// Computed returns how many chunks were computed so far.
func (s *Service) Computed() int { return int(s.computed.Load()) }

// Do answers a request for chunks [lo, hi): reply gets the quick answer
// first if some chunks are in the cache, then the detailed one. It returns
// ctx's error if ctx ends first; the request's chunks in flight then stop.
func (s *Service) Do(ctx context.Context, lo, hi int, reply func(Answer)) error {
	if lo < 0 || hi > s.Chunks() || lo >= hi {
		return fmt.Errorf("chunked: chunks [%d, %d) out of [0, %d)", lo, hi, s.Chunks())
	}
	req := &request{ctx: ctx, done: make(chan struct{})}
	var missing []int
	s.mu.Lock()
	for i := lo; i < hi; i++ {
		if h, ok := s.cache[i]; ok {
			req.sum.Add(h)
		} else {
			missing = append(missing, i)
		}
	}
	s.mu.Unlock()
	cached := hi - lo - len(missing)
	if cached > 0 {
		reply(Answer{Quick: true, Chunks: hi - lo, Cached: cached, Hist: req.sum})
	}
	if len(missing) == 0 {
		reply(Answer{Chunks: hi - lo, Cached: cached, Hist: req.sum})
		return nil
	}
	req.pending = len(missing)
	for _, i := range missing {
		if err := s.jobs.PushWait(ctx, hints.Data(job{req: req, idx: i})); err != nil {
			return err // ctx's error, or the service has stopped
		}
	}
	select {
	case <-req.done:
		reply(Answer{Chunks: hi - lo, Cached: cached, Hist: req.sum})
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.r.Done():
		return fmt.Errorf("chunked: the service stopped: %w", s.r.Err())
	}
}

// Close ends the service once the jobs pushed so far are done, and returns
// its runlet's error. When it returns, no goroutine of the service is left.
func (s *Service) Close() error {
	if err := s.jobs.PushWait(context.Background(), hints.EndOf[job](1)); err != nil && !errors.Is(err, runlet.ErrEnded) {
		<-s.runErr
		return err
	}
	return <-s.runErr
}

// compute is the workers' function: the chunk's histogram, cached, or
// nothing for a cancelled request.
func (s *Service) compute(_ context.Context, j job) (part, error) {
	if j.req.ctx.Err() != nil {
		return part{job: j, skipped: true}, nil
	}
	lo := j.idx * s.chunk
	h, err := s.work(j.req.ctx, s.data[lo:min(lo+s.chunk, len(s.data))])
	if err != nil {
		if j.req.ctx.Err() != nil {
			return part{job: j, skipped: true}, nil
		}
		return part{}, err // a real failure stops the service
	}
	s.computed.Add(1)
	s.mu.Lock()
	s.cache[j.idx] = h
	s.mu.Unlock()
	return part{job: j, hist: h}, nil
}

// aggregate is the sink: it adds each part into its request and closes the
// request's done channel when the last part is in.
func (s *Service) aggregate(_ context.Context, in hints.Pack[part], _ *struct{}) error {
	if in.Hint == hints.End {
		return nil
	}
	p := in.Value
	if !p.skipped {
		p.req.sum.Add(p.hist)
	}
	if p.req.pending--; p.req.pending == 0 {
		close(p.req.done)
	}
	return nil
}

// histogram counts the bytes of b, checking ctx every 64 KiB.
func histogram(ctx context.Context, b []byte) (*Hist, error) {
	h := new(Hist)
	for len(b) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(len(b), 64<<10)
		for _, c := range b[:n] {
			h[c]++
		}
		b = b[n:]
	}
	return h, nil
}

// blob makes size bytes of data whose entropy varies by region, as in a
// binary file: random bytes, text, and zeros, by turns of 1 MiB.
func blob(size int) []byte {
	b := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{42})
	const text = "the quick brown fox jumps over the lazy dog; "
	for off := 0; off < size; off += 1 << 20 {
		region := b[off:min(off+1<<20, size)]
		switch (off >> 20) % 3 {
		case 0:
			rng.Read(region)
		case 1:
			for i := range region {
				region[i] = text[i%len(text)]
			}
		}
	}
	return b
}
