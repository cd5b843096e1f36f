package nats

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// PublishConfig configures a [Publish] or [PublishAcked] chip. JS and
// Subject (or SubjectOf) are required; the zero value of every other field
// has the default it documents.
type PublishConfig[T any] struct {
	JS jetstream.JetStream
	// Subject is where each value is published; it must belong to a stream.
	Subject string
	// SubjectOf, if set, gives each value its own subject (say, one per
	// request), overriding Subject; Subject still names the chip's subject
	// in errors.
	SubjectOf func(T) string
	// Codec encodes values. Default: [Raw] for []byte, [JSON] otherwise.
	Codec Codec[T]
	// ID gives the Nats-Msg-Id of a value: within the stream's duplicate
	// window the stream stores one message per id, so a value published
	// twice (a retry, a redelivered chunk worked again) is stored once.
	// Default: for PublishAcked the carried message's id (a result is
	// deduplicated by the input it came from); for Publish an id unique to
	// the chip's run and the value's place in it, which deduplicates the
	// chip's own retries but not a restarted producer's: set ID for that.
	ID func(T) string
	// Concurrency is how many publishes may wait for their PubAck at once
	// (default 1, which keeps order).
	Concurrency int
	// MaxBackoff caps the wait between tries while the stream is full
	// (default 200 ms); the wait starts at 1 ms and doubles.
	MaxBackoff time.Duration
	// End publishes an [EndHeader] message at END, so that a [Consume]
	// chip reading the subject ends its flow too.
	End bool
	// Stats, if set, is kept up to date by the chip (for tests and
	// dashboards); several chips may share one.
	Stats *PublishStats
}

// PublishStats counts what publish chips did. Safe for concurrent use; the
// zero value is ready.
type PublishStats struct {
	stored atomic.Uint64
	held   atomic.Uint64
}

// Stored is how many messages the streams stored (duplicates dropped by
// the stream included: the stream acknowledged them).
func (s *PublishStats) Stored() uint64 { return s.stored.Load() }

// HeldBack is how many publishes a full stream refused, each then retried.
func (s *PublishStats) HeldBack() uint64 { return s.held.Load() }

// pubState is a publish chip's state, shared by its concurrent calls.
type pubState struct {
	prefix string        // the default ids' prefix, unique to the Bind
	seq    atomic.Uint64 // values numbered for default ids
	PublishStats
}

// Publish returns an async output chip that publishes each value of prev
// to JetStream and returns only once the stream has stored it (PubAck): so
// what it consumed is durable. Ratio N:0; it holds one encoded value per
// concurrent call. At END it publishes an end marker if End is set, then
// ends.
//
// Backpressure: when the stream refuses the message because it is full
// (DiscardNew with MaxMsgs or MaxBytes), the chip waits and tries again,
// backing off up to MaxBackoff, until the stream takes it or the runlet
// stops; prev then fills and holds the flow back. Any other refusal fails
// the runlet with an [*Error] wrapping [ErrPublish]; a value that does not
// encode fails it with [ErrEncode].
//
// Acks: none (see [PublishAcked]).
func Publish[T any](key string, prev *pool.Pend[T], c PublishConfig[T]) *chip.Func[T, struct{}, *pubState] {
	p := newPublisher(key, c, func(v T) (T, *handle, string) { return v, nil, "" })
	return chip.New(p.config(prev))
}

// PublishAcked returns [Publish] for values carried in a [Msg]: it
// publishes each Msg's Value and, once the stream has stored it (PubAck),
// acks the message the Msg came from (see [Carry]). So a worker flow
// Consume → work → PublishAcked acks a chunk only once its result is
// durable: a worker that dies between the two leaves the chunk unacked, it
// is redelivered after AckWait, and its result, published again with the
// same id (the chunk's, by default), is stored once. A value that fails to
// encode or publish is not acked (it is nakked when the runlet stops).
func PublishAcked[T any](key string, prev *pool.Pend[Msg[T]], c PublishConfig[T]) *chip.Func[Msg[T], struct{}, *pubState] {
	p := newPublisher(key, c, func(m Msg[T]) (T, *handle, string) { return m.Value, m.h, m.ID })
	return chip.New(p.config(prev))
}

// publisher is the work shared by Publish and PublishAcked; split takes an
// input apart into the value, its ack handle (nil: none) and its default id.
type publisher[In, T any] struct {
	key   string
	c     PublishConfig[T]
	split func(In) (T, *handle, string)
}

func newPublisher[In, T any](key string, c PublishConfig[T], split func(In) (T, *handle, string)) *publisher[In, T] {
	c.Codec = codecFor(c.Codec)
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 200 * time.Millisecond
	}
	return &publisher[In, T]{key: key, c: c, split: split}
}

func (p *publisher[In, T]) config(prev *pool.Pend[In]) chip.Config[In, struct{}, *pubState] {
	return chip.Config[In, struct{}, *pubState]{
		Key: p.key, Prev: prev, Async: true, Concurrency: p.c.Concurrency,
		State:   func() *pubState { return &pubState{prefix: nuid.Next()} },
		Process: p.process,
		Describe: func(s **pubState) string {
			st := *s
			return fmt.Sprintf("subject %s: %d stored, held back %d times by a full stream", p.c.Subject, st.stored.Load(), st.held.Load())
		},
	}
}

func (p *publisher[In, T]) process(ctx context.Context, in hints.Pack[In], s **pubState) (hints.Pack[struct{}], error) {
	st := *s
	if p.c.JS == nil || (p.c.Subject == "" && p.c.SubjectOf == nil) {
		return hints.Pack[struct{}]{}, chipErr(p.key, p.c.Subject, ErrConfig, errors.New("PublishConfig needs JS and Subject"))
	}
	if in.Hint == hints.End {
		if p.c.End {
			m := natsgo.NewMsg(p.c.Subject)
			m.Header.Set(EndHeader, "1")
			if err := p.publish(ctx, st, m, st.prefix+".end"); err != nil {
				return hints.Pack[struct{}]{}, err
			}
		}
		return hints.EndOf[struct{}](1), nil
	}
	v, h, id := p.split(in.Value)
	subject := p.c.Subject
	if p.c.SubjectOf != nil {
		subject = p.c.SubjectOf(v)
	}
	data, err := encodeSafe(p.c.Codec, v)
	if err != nil {
		return hints.Pack[struct{}]{}, chipErr(p.key, subject, ErrEncode, err)
	}
	switch {
	case p.c.ID != nil:
		id = p.c.ID(v)
	case id == "":
		id = st.prefix + "." + strconv.FormatUint(st.seq.Add(1), 10)
	}
	m := natsgo.NewMsg(subject)
	m.Data = data
	if err := p.publish(ctx, st, m, id); err != nil {
		return hints.Pack[struct{}]{}, err
	}
	if h != nil {
		if err := h.settle(func(jm jetstream.Msg) error { return jm.DoubleAck(ctx) }); err != nil {
			return hints.Pack[struct{}]{}, err
		}
	}
	return hints.SkipOf[struct{}](), nil
}

// publish publishes m with id until the stream stores it, waiting while the
// stream is full.
func (p *publisher[In, T]) publish(ctx context.Context, st *pubState, m *natsgo.Msg, id string) error {
	wait := time.Millisecond
	for {
		_, err := p.c.JS.PublishMsg(ctx, m, jetstream.WithMsgID(id))
		if err == nil {
			st.stored.Add(1)
			if p.c.Stats != nil {
				p.c.Stats.stored.Add(1)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !streamFull(err) {
			return chipErr(p.key, m.Subject, ErrPublish, err)
		}
		st.held.Add(1)
		if p.c.Stats != nil {
			p.c.Stats.held.Add(1)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, p.c.MaxBackoff)
	}
}

// streamFull reports whether err is a stream refusing a message because it
// holds its MaxMsgs or MaxBytes (DiscardNew).
func streamFull(err error) bool {
	var api *jetstream.APIError
	if !errors.As(err, &api) {
		return false
	}
	d := api.Description
	return strings.Contains(d, "maximum messages exceeded") || strings.Contains(d, "maximum bytes exceeded") ||
		strings.Contains(d, "maximum messages per subject exceeded")
}
