package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/runlet/runlet/chip"
	rnats "github.com/runlet/runlet/nats"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// WorkerConfig configures one worker process's runlet.
type WorkerConfig struct {
	NC       *natsgo.Conn
	JS       jetstream.JetStream
	Parallel int           // chunks computed at once (default 2)
	Work     time.Duration // extra time each chunk takes, to watch it work
	AckWait  time.Duration // the consumer's AckWait (default 30 s)
	// Hang, "<req>/<index>", makes the first delivery of that chunk print
	// "working <req>/<index>" on Out and block until the process dies: the
	// tests kill it there.
	Hang  string
	Out   io.Writer
	Hooks *WorkerHooks // test probes; nil: none
	// Name names the worker's snapshots (subject dist.snap.<Name>, which
	// -role watch shows); "" publishes none.
	Name string
	// Snapshots is how often the worker publishes its runlet's snapshot
	// (default 250 ms).
	Snapshots time.Duration
}

// WorkerHooks observes a worker's chunks (the tests measure with them).
// Each func may be nil; they are called from the worker's goroutines.
type WorkerHooks struct {
	Start    func(c Chunk, at time.Time) // a chunk starts computing
	Stopped  func(c Chunk, at time.Time) // a chunk in flight saw its request cancelled
	StopSeen func(req string, at time.Time)
}

// stops is the worker's view of cancelled requests: the set of them, and
// the cancel funcs of the chunks in flight. Safe for concurrent use.
type stops struct {
	mu       sync.Mutex
	stopped  map[string]time.Time
	inFlight map[string]map[*context.CancelFunc]struct{}
}

// stop records req as cancelled and cancels its chunks in flight.
func (s *stops) stop(req string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for old, t := range s.stopped { // forget stops older than any redelivery
		if at.Sub(t) > time.Hour {
			delete(s.stopped, old)
		}
	}
	s.stopped[req] = at
	for c := range s.inFlight[req] {
		(*c)()
	}
	delete(s.inFlight, req)
}

// begin returns a ctx for a chunk of req, or ok=false if req is cancelled.
func (s *stops) begin(parent context.Context, req string) (ctx context.Context, end func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, gone := s.stopped[req]; gone {
		return nil, nil, false
	}
	ctx, cancel := context.WithCancel(parent)
	if s.inFlight[req] == nil {
		s.inFlight[req] = map[*context.CancelFunc]struct{}{}
	}
	s.inFlight[req][&cancel] = struct{}{}
	return ctx, func() {
		s.mu.Lock()
		delete(s.inFlight[req], &cancel)
		s.mu.Unlock()
		cancel()
	}, true
}

// runWorker runs a worker until ctx ends: Consume(JOBS) → ParallelMap
// (compute) → PublishAcked(RES). A chunk is acked once its result is
// stored in RES; a cancelled request's chunks are not computed (or are
// stopped in flight) and go to RES marked Cancelled, so they are acked too.
func runWorker(ctx context.Context, c WorkerConfig) error {
	if c.Parallel <= 0 {
		c.Parallel = 2
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	h := c.Hooks
	if h == nil {
		h = &WorkerHooks{}
	}
	st := &stops{stopped: map[string]time.Time{}, inFlight: map[string]map[*context.CancelFunc]struct{}{}}
	sub, err := c.NC.Subscribe(subjStop+"*", func(m *natsgo.Msg) {
		req, at := m.Subject[len(subjStop):], time.Now()
		if h.StopSeen != nil {
			h.StopSeen(req, at)
		}
		st.stop(req, at)
	})
	if err != nil {
		return fmt.Errorf("worker: subscribe %s*: %w", subjStop, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := c.NC.Flush(); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	p := pool.New("worker", 2*c.Parallel)
	in := pool.NewPend[rnats.Msg[Chunk]](p, "chunks")
	out := pool.NewPend[rnats.Msg[Result]](p, "results")
	work := func(ctx context.Context, m rnats.Msg[Chunk]) (rnats.Msg[Result], error) {
		ch := m.Value
		if c.Hang == ch.Req+"/"+strconv.Itoa(ch.Index) && m.Delivered == 1 {
			fmt.Fprintf(c.Out, "working %s\n", c.Hang)
			<-ctx.Done()
			return rnats.Msg[Result]{}, ctx.Err()
		}
		r, err := compute(ctx, st, h, ch, c.Work)
		return rnats.Carry(m, r), err
	}
	r := runlet.New([]chip.Chip{
		rnats.Consume("chunks", in, rnats.ConsumeConfig[Chunk]{JS: c.JS, Stream: streamJobs, Durable: workerGroup,
			AckWait: c.AckWait, FetchWait: 100 * time.Millisecond, RetryDelay: 50 * time.Millisecond}),
		chip.ParallelMap("compute", in, out, c.Parallel, work),
		rnats.PublishAcked("results", out, rnats.PublishConfig[Result]{JS: c.JS, Subject: resPrefix + "*",
			SubjectOf: func(r Result) string { return resPrefix + r.Req + "." + strconv.Itoa(r.Index) }}),
	}, runlet.Config{})
	err = runWatched(ctx, r, c)
	if ctx.Err() != nil {
		return nil // stopped: what it held was given back
	}
	return err
}

// compute sums x*x over ch's numbers, taking at least extra, unless ch's
// request is (or gets) cancelled: then it returns a Cancelled result.
// It fails only when the process stops (ctx ends).
func compute(ctx context.Context, st *stops, h *WorkerHooks, ch Chunk, extra time.Duration) (Result, error) {
	r := Result{Req: ch.Req, Index: ch.Index, Key: ch.Key}
	cctx, end, ok := st.begin(ctx, ch.Req)
	if !ok {
		r.Cancelled = true
		return r, nil
	}
	defer end()
	if h.Start != nil {
		h.Start(ch, time.Now())
	}
	for x := ch.From; x < ch.From+ch.Size; x++ {
		r.Sum += x * x
	}
	if extra > 0 {
		t := time.NewTimer(extra)
		defer t.Stop()
		select {
		case <-t.C:
		case <-cctx.Done():
		}
	}
	if cctx.Err() != nil {
		if ctx.Err() != nil {
			return r, ctx.Err() // the process stops: the chunk is given back
		}
		if h.Stopped != nil {
			h.Stopped(ch, time.Now())
		}
		return Result{Req: ch.Req, Index: ch.Index, Key: ch.Key, Cancelled: true}, nil
	}
	return r, nil
}

// runWatched runs r, publishing its snapshots under dist.snap.<c.Name>
// meanwhile when c.Name is set; the publisher has ended when it returns.
func runWatched(ctx context.Context, r *runlet.Runlet, c WorkerConfig) error {
	if c.Name == "" {
		return r.Run(ctx)
	}
	pctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Its error is the end of pctx, or a closed connection the
		// worker's own chips report.
		_ = rnats.PublishSnapshots(pctx, c.NC, subjSnap+"."+c.Name, r, cmp.Or(c.Snapshots, 250*time.Millisecond))
	}()
	err := r.Run(ctx)
	stop()
	<-done
	return err
}
