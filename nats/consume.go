package nats

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// EndHeader marks an end-of-flow message: a [Publish] chip with End set
// publishes one at END, and a [Consume] chip that fetches one acks it and
// ends its flow (END). Meant for flows with one consumer; the workers of a
// shared queue run until their ctx ends instead.
const EndHeader = "Runlet-End"

// Headers a Consume chip sets on a message it sends to the dead-letter
// subject.
const (
	HeaderDeadSubject   = "Runlet-Dead-Subject"   // the subject it was published on
	HeaderDeadDelivered = "Runlet-Dead-Delivered" // how many times it was delivered
	HeaderDeadStream    = "Runlet-Dead-Stream"    // the stream it was in
	HeaderDeadSequence  = "Runlet-Dead-Sequence"  // its sequence in that stream
)

// ConsumeConfig configures a [Consume] chip. JS and Stream are required;
// the zero value of every other field has the default it documents.
type ConsumeConfig[T any] struct {
	JS jetstream.JetStream
	// Stream is the stream to consume; it must exist.
	Stream string
	// Durable names the consumer, created (or updated) on the chip's first
	// call. Workers that share a queue share it: a WorkQueue stream admits
	// one consumer per subject. Default: the chip's key.
	Durable string
	// Subject filters the stream's subjects ("" = all of them).
	Subject string
	// Codec decodes payloads. Default: [Raw] for []byte, [JSON] otherwise.
	Codec Codec[T]
	// AckWait is how long the server waits for an ack before redelivering
	// (default 30 s). A message's heartbeat sends InProgress every AckWait/2.
	AckWait time.Duration
	// MaxDeliver is how many deliveries a message gets (default 5); a
	// message delivered more often than that goes to DeadLetter. The
	// consumer is made with MaxDeliver+1 so that the chip sees that last
	// delivery and can dead-letter it.
	MaxDeliver int
	// MaxAckPending caps the messages out and unacked across every worker
	// of the consumer (default: the server's, 1000).
	MaxAckPending int
	// Heartbeats is the most InProgress a message gets while it is worked on
	// (default 10; negative: none): past them, a worker stuck on it loses
	// it to redelivery after AckWait.
	Heartbeats int
	// RetryDelay is the NakWithDelay the chip gives a message back with: a
	// message that did not decode, and every unsettled message when the
	// runlet stops (default 1 s).
	RetryDelay time.Duration
	// DeadLetter is the subject a message past MaxDeliver is published to
	// (with the headers above; it must belong to a stream) before it is
	// terminated. Empty: it is only terminated.
	DeadLetter string
	// FetchWait is the longest one fetch waits for a message (default 1 s);
	// the chip then returns SKIP and is called again.
	FetchWait time.Duration
	// Fetchers is how many fetches may wait for a message at once (default
	// 1), each a pull request for one message: a worker whose flow takes
	// messages faster than one per round trip to the server needs more
	// than one to keep its work busy. With more than one, messages are
	// pushed in the order their fetches return. Flows that end on an end
	// marker ([EndHeader]) keep the default: a message fetched alongside
	// the marker could come out after it.
	Fetchers int
}

// consumeState is a Consume chip's state.
type consumeState struct {
	bind    sync.Mutex         // held while the first call makes cons
	cons    jetstream.Consumer // made on the first call, under bind
	fl      *inflight
	pending atomic.Uint64 // the consumer's NumPending after the last message fetched
	noResp  atomic.Int32  // fetches answered "no responders" in a row
}

// Consume returns an async input chip (Concurrency: Fetchers) that fetches the
// messages of a durable pull consumer and pushes each, decoded, as a
// [Msg] carrying its ack handle. Ratio: one Msg per message; it never ends
// on its own unless it fetches an [EndHeader] message; ctx's end stops it
// (Run then returns ctx's error).
//
// Memory: a handle and a heartbeat timer per message pushed and not yet
// settled, so as many as the flow holds (its pends' limits) and at most
// MaxAckPending across the consumer; nothing is fetched ahead.
//
// Backpressure: the chip fetches one message per call, and the engine calls
// it only while next has room, and in a batch only as many times as next
// has room (Ready says 1 while the consumer's NumPending after the last
// message is not 0, so the engine asks again after each message; a fetch
// then does not wait: other workers may have taken what was pending, and a
// wait would hold the batch's messages back for FetchWait). So it holds no
// message the flow has no room for (with Fetchers > 1, at most
// Fetchers-1 past its room, as any async chip with that Concurrency), and
// a slow flow leaves messages in the stream, where they hold the remote
// producer back.
//
// Acks: the chip acks nothing it pushes. The Msg's Ack (or a
// [PublishAcked] chip, after the result's PubAck) acks it. While unsettled
// it gets InProgress every AckWait/2, at most Heartbeats times. A message
// that does not decode is nakked with RetryDelay and fails the runlet with
// an [*Error] wrapping [ErrDecode]. A message delivered more than
// MaxDeliver times is published to DeadLetter, then terminated, and not
// pushed. When the runlet stops (Close) every message still unsettled is
// nakked with RetryDelay, so another worker gets it soon. The only message
// it acks itself is an end marker.
//
// Fetch errors: a fetch that finds no one serving the consumer ("no
// responders": another worker is still creating it, or a cluster is
// electing its leader) is tried again, FetchWait/4 later, up to 20 times
// in a row; that, and any other fetch error, fails the runlet with an
// [*Error] wrapping [ErrFetch].
func Consume[T any](key string, next *pool.Pend[Msg[T]], c ConsumeConfig[T]) *chip.Func[struct{}, Msg[T], consumeState] {
	c = c.withDefaults(key)
	return chip.New(chip.Config[struct{}, Msg[T], consumeState]{
		Key: key, Next: next, Async: true, Concurrency: c.Fetchers,
		State: func() consumeState {
			return consumeState{fl: &inflight{chip: key, ackTimeout: c.AckWait, set: map[*handle]struct{}{}}}
		},
		Process: func(ctx context.Context, _ hints.Pack[struct{}], s *consumeState) (hints.Pack[Msg[T]], error) {
			return c.fetch(ctx, key, s)
		},
		Ready: func(s *consumeState) int { return int(min(s.pending.Load(), 1)) },
		Close: func(s *consumeState) { s.fl.giveBack(c.RetryDelay) },
		Describe: func(s *consumeState) string {
			s.fl.mu.Lock()
			defer s.fl.mu.Unlock()
			return fmt.Sprintf("consumer %s/%s: %d unacked, %d pending", c.Stream, c.Durable, len(s.fl.set), s.pending.Load())
		},
	})
}

func (c ConsumeConfig[T]) withDefaults(key string) ConsumeConfig[T] {
	c.Codec = codecFor(c.Codec)
	if c.Durable == "" {
		c.Durable = key
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 5
	}
	if c.Heartbeats == 0 {
		c.Heartbeats = 10
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = time.Second
	}
	if c.FetchWait <= 0 {
		c.FetchWait = time.Second
	}
	if c.Fetchers <= 0 {
		c.Fetchers = 1
	}
	return c
}

// ConsumerConfig returns the configuration of the durable consumer the
// chip keyed key creates: for tools and tests that look at it or fetch
// from it directly.
func (c ConsumeConfig[T]) ConsumerConfig(key string) jetstream.ConsumerConfig {
	c = c.withDefaults(key)
	return jetstream.ConsumerConfig{
		Durable: c.Durable, FilterSubject: c.Subject,
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: c.AckWait,
		MaxDeliver: c.MaxDeliver + 1, MaxAckPending: c.MaxAckPending,
	}
}

// where names what the chip consumes in errors: its filter subject, or
// its whole stream.
func (c ConsumeConfig[T]) where() string {
	if c.Subject != "" {
		return c.Subject
	}
	return "stream " + c.Stream
}

// bind creates or updates the durable consumer.
func (c ConsumeConfig[T]) bind(ctx context.Context, key string, s *consumeState) error {
	if c.JS == nil || c.Stream == "" {
		return chipErr(key, c.where(), ErrConfig, errors.New("ConsumeConfig needs JS and Stream"))
	}
	cons, err := c.JS.CreateOrUpdateConsumer(ctx, c.Stream, c.ConsumerConfig(key))
	if err != nil {
		return chipErr(key, c.where(), ErrFetch, fmt.Errorf("consumer %s on stream %s: %w", c.Durable, c.Stream, err))
	}
	s.cons = cons
	return nil
}

// fetch is the chip's Process: one message, decoded, or SKIP when none came
// within FetchWait.
func (c ConsumeConfig[T]) fetch(ctx context.Context, key string, s *consumeState) (hints.Pack[Msg[T]], error) {
	s.bind.Lock()
	if s.cons == nil {
		if err := c.bind(ctx, key, s); err != nil {
			s.bind.Unlock()
			return hints.Pack[Msg[T]]{}, err
		}
	}
	cons := s.cons
	s.bind.Unlock()
	jm, err := c.next(ctx, cons, s.pending.Load())
	switch {
	case ctx.Err() != nil:
		return hints.Pack[Msg[T]]{}, ctx.Err()
	case errors.Is(err, natsgo.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoMessages):
		s.pending.Store(0)
		s.noResp.Store(0)
		return hints.SkipOf[Msg[T]](), nil
	case errors.Is(err, natsgo.ErrNoResponders) && s.noResp.Add(1) <= noRespTries:
		// Nobody serves the consumer yet: another worker's create is
		// under way, or, on a cluster, its leader is being elected.
		s.pending.Store(0)
		return hints.SkipOf[Msg[T]](), sleepCtx(ctx, c.FetchWait/4)
	case err != nil:
		return hints.Pack[Msg[T]]{}, chipErr(key, c.where(), ErrFetch, err)
	}
	s.noResp.Store(0)
	meta, err := jm.Metadata()
	if err != nil {
		return hints.Pack[Msg[T]]{}, chipErr(key, jm.Subject(), ErrFetch, err)
	}
	s.pending.Store(meta.NumPending)
	if jm.Headers().Get(EndHeader) != "" {
		if err := jm.DoubleAck(ctx); err != nil {
			return hints.Pack[Msg[T]]{}, chipErr(key, jm.Subject(), ErrAck, err)
		}
		return hints.EndOf[Msg[T]](1), nil
	}
	if meta.NumDelivered > uint64(c.MaxDeliver) {
		return hints.SkipOf[Msg[T]](), c.deadLetter(ctx, key, jm, meta)
	}
	v, err := decodeSafe(c.Codec, jm.Data())
	if err != nil {
		_ = jm.NakWithDelay(c.RetryDelay) // not done: it comes back, and past MaxDeliver is dead-lettered
		return hints.Pack[Msg[T]]{}, chipErr(key, jm.Subject(), ErrDecode, err)
	}
	h := &handle{msg: jm, owner: s.fl, maxBeats: c.Heartbeats, every: c.AckWait / 2}
	s.fl.add(h)
	h.start()
	id := jm.Headers().Get(natsgo.MsgIdHdr)
	if id == "" {
		id = meta.Stream + "." + strconv.FormatUint(meta.Sequence.Stream, 10)
	}
	return hints.Data(Msg[T]{Value: v, Subject: jm.Subject(), ID: id, Delivered: int(meta.NumDelivered), h: h}), nil
}

// noRespTries is how many fetches in a row may find no one serving the
// consumer (each then waits FetchWait/4) before the chip fails with
// ErrFetch: 5 FetchWaits in all, enough for a consumer another worker is
// creating and mostly for a cluster electing the consumer's leader;
// past that the chip fails, and a worker restarted by its supervisor
// carries on once the leader is there.
const noRespTries = 20

// sleepCtx waits d, or until ctx ends (then it returns ctx's error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// next fetches one message. While the last fetch saw messages pending
// (the engine then calls the chip again at once, in the same batch), it
// asks without waiting: other workers of the consumer may have taken
// them, and a wait would hold the batch's messages back from the flow for
// FetchWait. Otherwise it waits up to FetchWait.
func (c ConsumeConfig[T]) next(ctx context.Context, cons jetstream.Consumer, pending uint64) (jetstream.Msg, error) {
	if pending == 0 {
		fctx, cancel := context.WithTimeout(ctx, c.FetchWait)
		defer cancel()
		return cons.Next(jetstream.FetchContext(fctx))
	}
	b, err := cons.FetchNoWait(1)
	if err != nil {
		return nil, err
	}
	for jm := range b.Messages() {
		return jm, nil
	}
	if err := b.Error(); err != nil {
		return nil, err
	}
	return nil, jetstream.ErrNoMessages
}

// deadLetter publishes jm to the dead-letter subject (deduplicated by its
// stream sequence, should the chip die before the Term) and terminates it.
func (c ConsumeConfig[T]) deadLetter(ctx context.Context, key string, jm jetstream.Msg, meta *jetstream.MsgMetadata) error {
	seq := strconv.FormatUint(meta.Sequence.Stream, 10)
	if c.DeadLetter != "" {
		dm := natsgo.NewMsg(c.DeadLetter)
		dm.Data = jm.Data()
		dm.Header.Set(HeaderDeadSubject, jm.Subject())
		dm.Header.Set(HeaderDeadDelivered, strconv.FormatUint(meta.NumDelivered, 10))
		dm.Header.Set(HeaderDeadStream, meta.Stream)
		dm.Header.Set(HeaderDeadSequence, seq)
		if _, err := c.JS.PublishMsg(ctx, dm, jetstream.WithMsgID("dead."+meta.Stream+"."+seq)); err != nil {
			return chipErr(key, c.DeadLetter, ErrPublish, fmt.Errorf("dead letter of %s: %w", jm.Subject(), err))
		}
	}
	if err := jm.TermWithReason(fmt.Sprintf("delivered %d times, MaxDeliver %d", meta.NumDelivered, c.MaxDeliver)); err != nil {
		return chipErr(key, jm.Subject(), ErrAck, err)
	}
	return nil
}
