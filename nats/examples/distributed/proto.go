package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	rnats "github.com/runlet/runlet/nats"
)

// Subjects, streams and buckets of the example. Stream subjects carry the
// request id so that one request's chunks can be purged by subject.
const (
	subjRequest = "dist.req."     // + <client>.<req>: client → ventilator, request/reply
	subjCancel  = "dist.cancel."  // + <client>.<req>: client → ventilator, request/reply
	subjStop    = "dist.stop."    // + request id: ventilator → workers, broadcast
	subjBeat    = "dist.hb."      // + <client>.beat: client heartbeats
	subjSnap    = "dist.snap"     // + "." + worker name: each worker's runlet snapshots (-role watch)
	streamJobs  = "JOBS"          // jobs.<req>.<index>: chunks to compute
	streamRes   = "RES"           // res.<req>.<index>: computed chunks
	streamAns   = "ANS"           // ans.<client>.<req>: answers
	bucketReqs  = "DIST_REQS"     // request id → Record
	bucketCache = "DIST_CACHE"    // chunk key → "p:<req>" (in progress) or "d:<sum>" (done)
	maxChunks   = 10000           // the most chunks one request may have
	workerGroup = "workers"       // the durable consumer the workers share
	sinkGroup   = "sink"          // the durable consumer of the sink
	markDone    = "d:"            // cache value prefix of a computed chunk
	markBusy    = "p:"            // cache value prefix of a chunk in progress
	stateOpen   = "open"          // Record.State
	stateCancel = "cancelled"     // Record.State
	stateAnswer = "answered"      // Record.State
	ansPrefix   = "ans."          // answers' subject prefix
	resPrefix   = "res."          // results' subject prefix
	jobsPrefix  = "jobs."         // chunks' subject prefix
	dupWindow   = 2 * time.Minute // duplicate window of the streams
)

// Request asks for the sum of x*x over Chunks chunks of Size consecutive
// integers starting at From. ID and Client are single subject tokens.
type Request struct {
	ID     string `json:"id"`
	Client string `json:"client"`
	From   int64  `json:"from"`
	Chunks int    `json:"chunks"`
	Size   int64  `json:"size"`
}

// check says what is wrong with r, naming the field.
func (r Request) check() error {
	switch {
	case !token(r.ID):
		return fmt.Errorf("request id %q: want a non-empty subject token", r.ID)
	case !token(r.Client):
		return fmt.Errorf("request %s: client %q: want a non-empty subject token", r.ID, r.Client)
	case r.Chunks <= 0 || r.Chunks > maxChunks:
		return fmt.Errorf("request %s: chunks %d: want 1..%d", r.ID, r.Chunks, maxChunks)
	case r.Size <= 0:
		return fmt.Errorf("request %s: size %d: want > 0", r.ID, r.Size)
	}
	return nil
}

// token reports whether s can be one token of a subject.
func token(s string) bool { return s != "" && !strings.ContainsAny(s, ".*> \t\r\n") }

// chunk returns chunk i of r.
func (r Request) chunk(i int) Chunk {
	from := r.From + int64(i)*r.Size
	return Chunk{Req: r.ID, Index: i, Key: chunkKey(from, r.Size), From: from, Size: r.Size}
}

// chunkKey names a chunk by its data, not its request: two requests over
// the same numbers share cache entries.
func chunkKey(from, size int64) string {
	return "c" + strings.ReplaceAll(strconv.FormatInt(from, 10), "-", "m") + "_" + strconv.FormatInt(size, 10)
}

// Chunk is one unit of work.
type Chunk struct {
	Req   string `json:"req"`
	Index int    `json:"index"`
	Key   string `json:"key"`
	From  int64  `json:"from"`
	Size  int64  `json:"size"`
}

// Result is a computed chunk, or a chunk dropped because its request was
// cancelled.
type Result struct {
	Req       string `json:"req"`
	Index     int    `json:"index"`
	Key       string `json:"key"`
	Sum       int64  `json:"sum"`
	Cancelled bool   `json:"cancelled,omitempty"`
}

// Record is a request as the ventilator stored it for the sink: its
// chunks' keys, the values of those found in the cache, and its state.
type Record struct {
	Request
	Keys   []string      `json:"keys"`
	Cached map[int]int64 `json:"cached,omitempty"`
	State  string        `json:"state"`
	Reason string        `json:"reason,omitempty"`
}

// Answer is a quick (partial: Done of Of chunks, from the cache) or final
// answer to a request.
type Answer struct {
	Req   string `json:"req"`
	Final bool   `json:"final"`
	Done  int    `json:"done"`
	Of    int    `json:"of"`
	Sum   int64  `json:"sum"`
}

// Limits sizes the streams and the cache.
type Limits struct {
	Jobs     int64         // the most chunks waiting for a worker
	Results  int64         // the most results waiting for (or held by) the sink
	CacheTTL time.Duration // how long a cached chunk (or an in-progress mark) lives
	Storage  jetstream.StorageType
}

// withDefaults fills zero fields.
func (l Limits) withDefaults() Limits {
	if l.Jobs <= 0 {
		l.Jobs = 1000
	}
	if l.Results <= 0 {
		l.Results = 1000
	}
	if l.CacheTTL <= 0 {
		l.CacheTTL = 10 * time.Minute
	}
	return l
}

// setup creates (or updates) the streams and buckets.
func setup(ctx context.Context, js jetstream.JetStream, l Limits) error {
	l = l.withDefaults()
	jobs := rnats.WorkQueue(streamJobs, l.Jobs, jobsPrefix+">")
	res := rnats.WorkQueue(streamRes, l.Results, resPrefix+">")
	ans := jetstream.StreamConfig{Name: streamAns, Subjects: []string{ansPrefix + ">"}, MaxAge: time.Hour, Duplicates: dupWindow}
	jobs.Storage, res.Storage, ans.Storage = l.Storage, l.Storage, l.Storage
	for _, sc := range []jetstream.StreamConfig{jobs, res, ans} {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("stream %s: %w", sc.Name, err)
		}
	}
	for _, kc := range []jetstream.KeyValueConfig{
		{Bucket: bucketReqs, TTL: time.Hour, Storage: l.Storage},
		{Bucket: bucketCache, TTL: l.CacheTTL, Storage: l.Storage},
	} {
		if _, err := js.CreateOrUpdateKeyValue(ctx, kc); err != nil {
			return fmt.Errorf("bucket %s: %w", kc.Bucket, err)
		}
	}
	return nil
}

// publishJSON publishes v on subject with message id id, waiting while the
// stream is full (DiscardNew) until ctx ends. With a gate, each try runs
// with gate locked, and stop (called with gate locked) ends the wait
// without publishing: a canceller that takes the gate knows no publish is
// in flight.
func publishJSON(ctx context.Context, js jetstream.JetStream, subject, id string, v any, gate sync.Locker, stop func() bool) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("publish %s: %w", subject, err)
	}
	try := func() (done bool, err error) {
		if gate != nil {
			gate.Lock()
			defer gate.Unlock()
		}
		if stop != nil && stop() {
			return true, nil
		}
		_, err = js.Publish(ctx, subject, data, jetstream.WithMsgID(id))
		return err == nil, err
	}
	wait := time.Millisecond
	for {
		done, err := try()
		if done {
			return nil
		}
		if !full(err) {
			return fmt.Errorf("publish %s: %w", subject, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("publish %s: %w", subject, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// full reports whether err is a stream refusing a message past its limits.
func full(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && (strings.Contains(api.Description, "maximum messages exceeded") ||
		strings.Contains(api.Description, "maximum bytes exceeded"))
}

// clientPrefixes are the subject prefixes a client owns: it publishes
// its requests, cancels and heartbeats, and reads its answers, only under
// "<prefix>.<client>.>" (see [rnats.ClientUsers]).
var clientPrefixes = []string{
	strings.TrimSuffix(subjRequest, "."), strings.TrimSuffix(subjCancel, "."),
	strings.TrimSuffix(subjBeat, "."), strings.TrimSuffix(ansPrefix, "."),
}

// clientSubject is subject prefix's subject of client about last (a
// request id, or "beat").
func clientSubject(prefix, client, last string) string { return prefix + client + "." + last }

// subjectClient splits a subject "<prefix><client>.<last>" that a
// subscription to prefix+"*.*" received: the client is the one the server
// let publish there, whatever the message says.
func subjectClient(subject, prefix string) (client, last string) {
	client, last, _ = strings.Cut(strings.TrimPrefix(subject, prefix), ".")
	return client, last
}

// answerSubject is where the answers to client's request req go.
func answerSubject(client, req string) string { return ansPrefix + client + "." + req }

// bucket opens a bucket.
func bucket(ctx context.Context, js jetstream.JetStream, name string) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", name, err)
	}
	return kv, nil
}

// replyErr answers a request/reply message with "ok" or the error's text.
func replyErr(m *natsgo.Msg, err error) {
	if err != nil {
		_ = m.Respond([]byte("error: " + err.Error()))
		return
	}
	_ = m.Respond([]byte("ok"))
}
