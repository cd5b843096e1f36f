package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// VentilatorConfig configures the ventilator.
type VentilatorConfig struct {
	NC *natsgo.Conn
	JS jetstream.JetStream
	// ClientTimeout: a client silent (no heartbeat, no request) for longer
	// has its open requests cancelled (default 10 s).
	ClientTimeout time.Duration
	Out           io.Writer // one line per request, cancel and answer
	// Ready, if set, is called once the ventilator takes requests.
	Ready func()
}

// ventReq is an open request: issued, not yet answered or cancelled.
type ventReq struct {
	rec     Record
	issued  []int // chunks this request computes (it holds their in-progress marks)
	waiting []int // chunks another request computes
	// mu is held while one of its chunks is published, so that a cancel
	// never purges before a publish in flight has landed.
	mu        sync.Mutex
	cancelled bool
}

// ventilator splits requests into chunks, keeps the cache's in-progress
// marks, and cancels requests (asked by their client, or because their
// client went silent).
type ventilator struct {
	c     VentilatorConfig
	reqs  jetstream.KeyValue
	cache jetstream.KeyValue

	mu      sync.Mutex
	open    map[string]*ventReq
	clients map[string]time.Time // last heartbeat or request
}

// runVentilator serves requests until ctx ends.
func runVentilator(ctx context.Context, c VentilatorConfig) error {
	if c.ClientTimeout <= 0 {
		c.ClientTimeout = 10 * time.Second
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	v := &ventilator{c: c, open: map[string]*ventReq{}, clients: map[string]time.Time{}}
	var err error
	if v.reqs, err = bucket(ctx, c.JS, bucketReqs); err != nil {
		return err
	}
	if v.cache, err = bucket(ctx, c.JS, bucketCache); err != nil {
		return err
	}
	subs := []struct {
		subj string
		f    natsgo.MsgHandler
	}{
		// The client of a request, cancel or heartbeat is the one its
		// subject names: with per-client users (rnats.ClientUsers) the
		// server lets no one else publish there.
		{subjRequest + "*.*", func(m *natsgo.Msg) {
			client, id := subjectClient(m.Subject, subjRequest)
			v.request(ctx, m, client, id)
		}},
		{subjCancel + "*.*", func(m *natsgo.Msg) {
			client, id := subjectClient(m.Subject, subjCancel)
			replyErr(m, v.cancel(ctx, id, client, "cancelled by its client"))
		}},
		{subjBeat + "*.*", func(m *natsgo.Msg) {
			client, _ := subjectClient(m.Subject, subjBeat)
			v.seen(client)
		}},
		{ansPrefix + "*.*", func(m *natsgo.Msg) { v.answered(m) }},
	}
	for _, s := range subs {
		sub, err := c.NC.Subscribe(s.subj, s.f)
		if err != nil {
			return fmt.Errorf("ventilator: subscribe %s: %w", s.subj, err)
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	if err := c.NC.Flush(); err != nil {
		return fmt.Errorf("ventilator: %w", err)
	}
	if c.Ready != nil {
		c.Ready()
	}
	tick := time.NewTicker(c.ClientTimeout / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick.C:
			v.reap(ctx, now)
		}
	}
}

// seen records a sign of life of client.
func (v *ventilator) seen(client string) {
	v.mu.Lock()
	v.clients[client] = time.Now()
	v.mu.Unlock()
}

// reap cancels the open requests of clients silent for ClientTimeout.
func (v *ventilator) reap(ctx context.Context, now time.Time) {
	v.mu.Lock()
	var gone []*ventReq
	for _, r := range v.open {
		if now.Sub(v.clients[r.rec.Client]) > v.c.ClientTimeout {
			gone = append(gone, r)
		}
	}
	v.mu.Unlock()
	for _, r := range gone {
		if err := v.cancel(ctx, r.rec.ID, r.rec.Client, "its client went silent"); err != nil {
			fmt.Fprintf(v.c.Out, "reap %s: %v\n", r.rec.ID, err)
		}
	}
}

// answered forgets a request once its final answer is out.
func (v *ventilator) answered(m *natsgo.Msg) {
	var a Answer
	if json.Unmarshal(m.Data, &a) != nil || !a.Final {
		return
	}
	v.mu.Lock()
	delete(v.open, a.Req)
	v.mu.Unlock()
	fmt.Fprintf(v.c.Out, "answered %s: %d\n", a.Req, a.Sum)
}

// request takes the request id of client (both from its subject): it
// accepts it (the reply), sends a quick answer from the cache, stores the
// record for the sink, then publishes the chunks to compute, waiting while
// JOBS is full. A body naming another request or client is refused.
func (v *ventilator) request(ctx context.Context, m *natsgo.Msg, client, id string) {
	var q Request
	err := json.Unmarshal(m.Data, &q)
	switch {
	case err != nil:
	case q.ID != id:
		err = fmt.Errorf("request %q sent on %s", q.ID, m.Subject)
	case q.Client != "" && q.Client != client:
		err = fmt.Errorf("request %s: client %q sent on %s", q.ID, q.Client, m.Subject)
	default:
		q.Client = client
		err = q.check()
	}
	if err != nil {
		replyErr(m, err)
		return
	}
	v.seen(q.Client)
	r, err := v.classify(ctx, q)
	if err == nil {
		err = v.quick(ctx, r)
	}
	if err == nil {
		err = putRecord(ctx, v.reqs, r.rec)
	}
	replyErr(m, err)
	if err != nil {
		return
	}
	fmt.Fprintf(v.c.Out, "request %s: %d chunks, %d cached, %d computed elsewhere\n", q.ID, q.Chunks, len(r.rec.Cached), len(r.waiting))
	v.mu.Lock()
	issued := append([]int(nil), r.issued...) // waiter may append to r.issued
	v.mu.Unlock()
	for _, i := range issued {
		if err := v.issue(ctx, r, i); err != nil {
			fmt.Fprintf(v.c.Out, "request %s: %v\n", q.ID, err)
			return
		}
	}
}

// classify sorts q's chunks: cached (done), computed elsewhere (another
// request holds their in-progress mark) or to compute (this request takes
// the mark). It registers q as open.
func (v *ventilator) classify(ctx context.Context, q Request) (*ventReq, error) {
	// An id is used once (while its record lives, an hour): a request
	// reusing another client's id would overwrite that client's record and
	// find its chunks and answers deduplicated away. Whose it was is not
	// said.
	if _, err := v.reqs.Get(ctx, q.ID); err == nil {
		return nil, fmt.Errorf("request %s: id already used", q.ID)
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("request %s: %w", q.ID, err)
	}
	if v.isOpen(q.ID) {
		return nil, fmt.Errorf("request %s: already open", q.ID)
	}
	r := &ventReq{rec: Record{Request: q, Keys: make([]string, q.Chunks), Cached: map[int]int64{}, State: stateOpen}}
	for i := range q.Chunks {
		k := q.chunk(i).Key
		r.rec.Keys[i] = k
		for {
			_, err := v.cache.Create(ctx, k, []byte(markBusy+q.ID))
			if err == nil {
				r.issued = append(r.issued, i)
				break
			}
			if !errors.Is(err, jetstream.ErrKeyExists) {
				return nil, fmt.Errorf("request %s: cache %s: %w", q.ID, k, err)
			}
			e, err := v.cache.Get(ctx, k)
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				continue // expired or released meanwhile: try again
			}
			if err != nil {
				return nil, fmt.Errorf("request %s: cache %s: %w", q.ID, k, err)
			}
			val := string(e.Value())
			if sum, err := strconv.ParseInt(strings.TrimPrefix(val, markDone), 10, 64); err == nil && strings.HasPrefix(val, markDone) {
				r.rec.Cached[i] = sum
				break
			}
			if owner := strings.TrimPrefix(val, markBusy); v.isOpen(owner) {
				r.waiting = append(r.waiting, i)
				break
			}
			// A stale mark (its request is gone): take it over.
			if _, err := v.cache.Update(ctx, k, []byte(markBusy+q.ID), e.Revision()); err == nil {
				r.issued = append(r.issued, i)
				break
			}
		}
	}
	v.mu.Lock()
	v.open[q.ID] = r // requests are taken one at a time: no other can be opening q.ID
	v.mu.Unlock()
	return r, nil
}

// isOpen reports whether request id is open here.
func (v *ventilator) isOpen(id string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.open[id] != nil
}

// quick publishes the quick answer of a request some (not all) of whose
// chunks are cached. A request wholly cached is answered by the sink at
// once; one with nothing cached gets only the final answer.
func (v *ventilator) quick(ctx context.Context, r *ventReq) error {
	n := len(r.rec.Cached)
	if n == 0 || n == r.rec.Chunks {
		return nil
	}
	a := Answer{Req: r.rec.ID, Done: n, Of: r.rec.Chunks}
	for _, s := range r.rec.Cached {
		a.Sum += s
	}
	return publishJSON(ctx, v.c.JS, answerSubject(r.rec.Client, r.rec.ID), "ans-quick-"+r.rec.ID, a, nil, nil)
}

// issue publishes chunk i of r unless r is cancelled.
func (v *ventilator) issue(ctx context.Context, r *ventReq, i int) error {
	ch := r.rec.chunk(i)
	subj := jobsPrefix + r.rec.ID + "." + strconv.Itoa(i)
	return publishJSON(ctx, v.c.JS, subj, "chunk-"+r.rec.ID+"-"+strconv.Itoa(i), ch, &r.mu, func() bool { return r.cancelled })
}

// cancel stops request id of client (a request of another client is not
// touched, whatever its id: it is "no open request" of client): no chunk of it is published any
// more, workers are told to stop its chunks (the stop subject, before the
// purge, so that a worker holding a fetched chunk skips it), its pending
// chunks are purged from JOBS, its in-progress marks are handed to the
// requests waiting on them (their chunks are issued for them) or released,
// and its record is marked cancelled, which makes the sink drop it.
func (v *ventilator) cancel(ctx context.Context, id, client, why string) error {
	v.mu.Lock()
	r := v.open[id]
	if r == nil || r.rec.Client != client {
		v.mu.Unlock()
		return fmt.Errorf("cancel %s: no open request of client %q", id, client)
	}
	delete(v.open, id)
	v.mu.Unlock()
	r.mu.Lock()
	r.cancelled = true
	r.mu.Unlock()
	if err := v.c.NC.Publish(subjStop+id, nil); err != nil {
		return fmt.Errorf("cancel %s: %w", id, err)
	}
	if err := v.c.NC.Flush(); err != nil {
		return fmt.Errorf("cancel %s: %w", id, err)
	}
	s, err := v.c.JS.Stream(ctx, streamJobs)
	if err == nil {
		err = s.Purge(ctx, jetstream.WithPurgeSubject(jobsPrefix+id+".>"))
	}
	if err != nil {
		return fmt.Errorf("cancel %s: purge: %w", id, err)
	}
	if err := v.handOver(ctx, r); err != nil {
		return err
	}
	rec := r.rec
	rec.State, rec.Reason = stateCancel, why
	if err := putRecord(ctx, v.reqs, rec); err != nil {
		return fmt.Errorf("cancel %s: %w", id, err)
	}
	fmt.Fprintf(v.c.Out, "cancelled %s: %s\n", id, why)
	return nil
}

// handOver passes each in-progress mark of cancelled request r to an open
// request waiting for that chunk, and issues the chunk for it; a mark no
// one waits for is deleted.
func (v *ventilator) handOver(ctx context.Context, r *ventReq) error {
	for _, i := range r.issued {
		k := r.rec.Keys[i]
		e, err := v.cache.Get(ctx, k)
		if err != nil || string(e.Value()) != markBusy+r.rec.ID {
			continue // done, expired, or someone else's
		}
		heir, at := v.waiter(k)
		if heir == nil {
			_ = v.cache.Delete(ctx, k, jetstream.LastRevision(e.Revision()))
			continue
		}
		if _, err := v.cache.Update(ctx, k, []byte(markBusy+heir.rec.ID), e.Revision()); err != nil {
			continue // changed meanwhile (done by a late result)
		}
		if err := v.issue(ctx, heir, at); err != nil {
			return fmt.Errorf("cancel %s: hand chunk %s to %s: %w", r.rec.ID, k, heir.rec.ID, err)
		}
	}
	return nil
}

// waiter returns an open request waiting for chunk key k, and the index of
// that chunk in it, moving the chunk from its waiting to its issued list.
func (v *ventilator) waiter(k string) (*ventReq, int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, w := range v.open {
		for j, i := range w.waiting {
			if w.rec.Keys[i] == k {
				w.waiting = append(w.waiting[:j], w.waiting[j+1:]...)
				w.issued = append(w.issued, i)
				return w, i
			}
		}
	}
	return nil, 0
}
