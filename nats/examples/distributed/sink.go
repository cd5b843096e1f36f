package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/runlet/runlet/chip"
	rnats "github.com/runlet/runlet/nats"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// SinkConfig configures the sink.
type SinkConfig struct {
	JS      jetstream.JetStream
	AckWait time.Duration // the consumer's AckWait (default 30 s)
	Slow    time.Duration // extra time per result, to show backpressure
	Out     io.Writer     // one line per result taken ("result <req>/<index>") and per answer
}

// SinkStats counts what a sink did (read them after it returns, or under
// its lock through stats()).
type SinkStats struct {
	Counted    int // chunk values added to a request's aggregate
	Duplicates int // results of a chunk a request already had (a redelivery)
	Late       int // results of a cancelled or answered request, dropped
}

// sinkReq is a request the sink aggregates.
type sinkReq struct {
	rec  Record
	vals map[int]int64
	acks []rnats.Msg[Result] // results to ack once the answer is stored
}

// sink aggregates chunk results into answers. Its state is rebuilt from
// the durable parts when it restarts: the requests from the DIST_REQS
// bucket (a watch replays them), the results it had not acked from RES
// (redelivered), the values computed for other requests from the cache.
type sink struct {
	c     SinkConfig
	reqs  jetstream.KeyValue
	cache jetstream.KeyValue

	mu       sync.Mutex
	open     map[string]*sinkReq
	byKey    map[string]map[string]struct{} // chunk key → open requests missing it
	early    map[string][]rnats.Msg[Result] // results of requests not yet seen
	finished map[string]bool                // cancelled or answered
	stats    SinkStats
}

// runSink runs the sink until ctx ends: a watch of the requests, and
// Consume(RES) → ForEach(aggregate).
func runSink(ctx context.Context, c SinkConfig) (SinkStats, error) {
	if c.Out == nil {
		c.Out = io.Discard
	}
	s := &sink{c: c, open: map[string]*sinkReq{}, byKey: map[string]map[string]struct{}{},
		early: map[string][]rnats.Msg[Result]{}, finished: map[string]bool{}}
	var err error
	if s.reqs, err = bucket(ctx, c.JS, bucketReqs); err != nil {
		return s.stats, err
	}
	if s.cache, err = bucket(ctx, c.JS, bucketCache); err != nil {
		return s.stats, err
	}
	w, err := s.reqs.WatchAll(ctx)
	if err != nil {
		return s.stats, fmt.Errorf("sink: watch %s: %w", bucketReqs, err)
	}
	defer func() { _ = w.Stop() }()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		for e := range w.Updates() {
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			var rec Record
			if err := json.Unmarshal(e.Value(), &rec); err != nil {
				cancel(fmt.Errorf("sink: record %s: %w", e.Key(), err))
				return
			}
			if err := s.record(ctx, rec); err != nil {
				cancel(err)
				return
			}
		}
	}()
	p := pool.New("sink", 64)
	in := pool.NewPend[rnats.Msg[Result]](p, "results")
	err = runlet.Run(ctx,
		rnats.Consume("results", in, rnats.ConsumeConfig[Result]{JS: c.JS, Stream: streamRes, Durable: sinkGroup,
			AckWait: c.AckWait, Heartbeats: 1000, FetchWait: 100 * time.Millisecond}),
		chip.ForEach("aggregate", in, func(m rnats.Msg[Result]) error {
			if c.Slow > 0 {
				time.Sleep(c.Slow)
			}
			return s.result(ctx, m)
		}))
	if cause := context.Cause(ctx); cause != nil {
		err = cause // the watch failed, or the sink was stopped
	}
	if errors.Is(err, context.Canceled) {
		err = nil // stopped: what it held goes back to RES
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats, err
}

// record takes a request's record: a new open request is registered and
// filled from the cache; a cancelled or answered one is dropped.
func (s *sink) record(ctx context.Context, rec Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished[rec.ID] {
		return nil
	}
	if rec.State != stateOpen {
		return s.drop(rec.ID)
	}
	if s.open[rec.ID] != nil {
		return nil
	}
	r := &sinkReq{rec: rec, vals: map[int]int64{}}
	for i, v := range rec.Cached {
		r.vals[i] = v
	}
	s.open[rec.ID] = r
	for i, k := range rec.Keys {
		if _, ok := r.vals[i]; ok {
			continue
		}
		if v, ok, err := s.cached(ctx, k); err != nil {
			return err
		} else if ok {
			r.vals[i] = v
			continue
		}
		if s.byKey[k] == nil {
			s.byKey[k] = map[string]struct{}{}
		}
		s.byKey[k][rec.ID] = struct{}{}
	}
	early := s.early[rec.ID]
	delete(s.early, rec.ID)
	for _, m := range early {
		if err := s.take(ctx, m); err != nil {
			return err
		}
	}
	return s.complete(ctx, r)
}

// cached returns the computed value of chunk key k, if the cache has it.
func (s *sink) cached(ctx context.Context, k string) (int64, bool, error) {
	e, err := s.cache.Get(ctx, k)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("sink: cache %s: %w", k, err)
	}
	var v int64
	if _, err := fmt.Sscanf(string(e.Value()), markDone+"%d", &v); err != nil || !strings.HasPrefix(string(e.Value()), markDone) {
		return 0, false, nil // in progress
	}
	return v, true, nil
}

// result takes one result from RES.
func (s *sink) result(ctx context.Context, m rnats.Msg[Result]) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.c.Out, "result %s/%d\n", m.Value.Req, m.Value.Index)
	if err := s.take(ctx, m); err != nil {
		return err
	}
	if r := s.open[m.Value.Req]; r != nil {
		return s.complete(ctx, r)
	}
	return nil
}

// take adds a result's value to every open request missing its chunk (the
// request it was computed for, and those that found it in progress) and
// stores it in the cache. The message is held until its request's answer
// is stored, or acked at once when nothing more depends on it.
func (s *sink) take(ctx context.Context, m rnats.Msg[Result]) error {
	res := m.Value
	if res.Cancelled || s.finished[res.Req] && len(s.byKey[res.Key]) == 0 {
		s.stats.Late++
		return m.Ack()
	}
	owner := s.open[res.Req]
	if owner == nil && !s.finished[res.Req] {
		s.early[res.Req] = append(s.early[res.Req], m)
		return nil
	}
	if _, err := s.cache.Put(ctx, res.Key, []byte(fmt.Sprintf("%s%d", markDone, res.Sum))); err != nil {
		return fmt.Errorf("sink: cache %s: %w", res.Key, err)
	}
	if owner != nil {
		if _, dup := owner.vals[res.Index]; dup {
			s.stats.Duplicates++
		}
		owner.acks = append(owner.acks, m)
	}
	for id := range s.byKey[res.Key] {
		r := s.open[id]
		if r == nil {
			continue
		}
		for i, k := range r.rec.Keys {
			if _, ok := r.vals[i]; !ok && k == res.Key {
				r.vals[i] = res.Sum
				s.stats.Counted++
			}
		}
		if id != res.Req {
			if err := s.complete(ctx, r); err != nil {
				return err
			}
		}
	}
	delete(s.byKey, res.Key)
	if owner == nil {
		s.stats.Late++
		return m.Ack() // its value is in the cache now
	}
	return nil
}

// complete answers r if it has every chunk: the answer is stored in ANS,
// the record marked answered, and then r's results are acked.
func (s *sink) complete(ctx context.Context, r *sinkReq) error {
	if len(r.vals) < r.rec.Chunks {
		return nil
	}
	a := Answer{Req: r.rec.ID, Final: true, Done: len(r.vals), Of: r.rec.Chunks}
	for _, v := range r.vals {
		a.Sum += v
	}
	if err := publishJSON(ctx, s.c.JS, answerSubject(r.rec.Client, r.rec.ID), "ans-final-"+r.rec.ID, a, nil, nil); err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	fmt.Fprintf(s.c.Out, "answer %s %d\n", a.Req, a.Sum)
	rec := r.rec
	rec.State = stateAnswer
	if err := putRecord(ctx, s.reqs, rec); err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	s.finished[r.rec.ID] = true
	delete(s.open, r.rec.ID)
	for _, m := range r.acks {
		if err := m.Ack(); err != nil {
			return err
		}
	}
	return nil
}

// drop forgets a cancelled (or answered elsewhere) request; its results
// are acked: nothing will be made of them.
func (s *sink) drop(id string) error {
	s.finished[id] = true
	r := s.open[id]
	delete(s.open, id)
	acks := s.early[id]
	delete(s.early, id)
	if r != nil {
		acks = append(acks, r.acks...)
	}
	for _, m := range acks {
		s.stats.Late++
		if err := m.Ack(); err != nil {
			return err
		}
	}
	return nil
}

// putRecord stores rec under its id.
func putRecord(ctx context.Context, kv jetstream.KeyValue, rec Record) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, rec.ID, data); err != nil {
		return fmt.Errorf("record %s: %w", rec.ID, err)
	}
	return nil
}
