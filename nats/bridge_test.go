package nats

import (
	"context"
	"errors"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

func ints(n int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = i
	}
	return v
}

// produce publishes values to subject in a runlet of its own.
func produce(ctx context.Context, js jetstream.JetStream, subject string, values []int, c PublishConfig[int]) error {
	p := pool.New("p", 16)
	src := pool.NewPend[int](p, "src")
	c.JS, c.Subject = js, subject
	return runlet.Run(ctx, chip.FromSlice("values", src, values), Publish("pub", src, c))
}

// TestRoundTrip: every value published comes out of the consumer once, in
// order, and every message is acked (the stream is empty after).
func TestRoundTrip(t *testing.T) {
	_, _, js := embedded(t, EmbeddedConfig{})
	s := stream(t, js, WorkQueue("RT", 1000, "rt.>"))
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	const n = 300
	require.NoError(t, produce(ctx, js, "rt.in", ints(n), PublishConfig[int]{End: true}))

	p := pool.New("c", 16)
	in := pool.NewPend[Msg[int]](p, "in")
	var got []int
	err := runlet.Run(ctx,
		Consume("consume", in, ConsumeConfig[int]{JS: js, Stream: "RT", FetchWait: 100 * time.Millisecond}),
		chip.ForEach("sink", in, func(m Msg[int]) error {
			got = append(got, m.Value)
			assert.Equal(t, 1, m.Delivered)
			return m.Ack()
		}))
	require.NoError(t, err)
	require.Equal(t, ints(n), got)
	require.Zero(t, msgs(t, s), "every message acked (the end marker too)")
}

// TestBackpressure: a consumer slower than the producer: the stream never
// holds more than MaxMsgs, the producer is held back (not failed), and
// every value arrives once.
func TestBackpressure(t *testing.T) {
	_, _, js := embedded(t, EmbeddedConfig{})
	const limit, n = 5, 60
	s := stream(t, js, WorkQueue("BP", limit, "bp.>"))
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	var stats PublishStats
	prodErr := make(chan error, 1)
	go func() {
		prodErr <- produce(ctx, js, "bp.in", ints(n), PublishConfig[int]{End: true, Stats: &stats, MaxBackoff: 5 * time.Millisecond})
	}()
	// Nothing consumes yet: the stream fills to its limit and the producer
	// is refused, then waits.
	eventually(t, "the producer held back", func() bool { return stats.HeldBack() > 0 })
	require.EqualValues(t, limit, msgs(t, s))
	require.EqualValues(t, limit, stats.Stored())
	select {
	case err := <-prodErr:
		t.Fatalf("producer returned while the stream was full: %v", err)
	default:
	}

	// The consumer's flow has room for 2 packs: it never has more than
	// that, plus the one being consumed and one the engine may let through
	// past the room, fetched and unacked.
	const room = 2
	p := pool.New("c", room)
	in := pool.NewPend[Msg[int]](p, "in")
	seen := map[int]int{}
	var cons jetstream.Consumer
	err := runlet.Run(ctx,
		Consume("consume", in, ConsumeConfig[int]{JS: js, Stream: "BP", FetchWait: 50 * time.Millisecond}),
		chip.ForEach("slow", in, func(m Msg[int]) error {
			held := msgs(t, s)
			if held > limit {
				return errors.New("stream over its limit: " + strconv.FormatUint(held, 10))
			}
			if cons == nil {
				var err error
				if cons, err = js.Consumer(ctx, "BP", "consume"); err != nil {
					return err
				}
			}
			info, err := cons.Info(ctx)
			if err != nil {
				return err
			}
			if info.NumAckPending > room+2 {
				return errors.New("fetched past the flow's room: " + strconv.Itoa(info.NumAckPending))
			}
			seen[m.Value]++
			return m.Ack()
		}))
	require.NoError(t, err)
	require.NoError(t, <-prodErr)
	require.Len(t, seen, n)
	for v, k := range seen {
		require.Equal(t, 1, k, "value %d", v)
	}
}

// worker is a worker flow: Consume → square → PublishAcked, in a runlet
// that runs until ctx ends. seen records each value worked on and its
// delivery count.
func worker(ctx context.Context, js jetstream.JetStream, cc ConsumeConfig[int], results string, work func(context.Context, Msg[int]) (int, error)) error {
	p := pool.New("w", 8)
	in := pool.NewPend[Msg[int]](p, "in")
	out := pool.NewPend[Msg[int]](p, "out")
	cc.JS = js
	return runlet.Run(ctx,
		Consume("jobs", in, cc),
		chip.ParallelMap("work", in, out, 2, func(ctx context.Context, m Msg[int]) (Msg[int], error) {
			v, err := work(ctx, m)
			return Carry(m, v), err
		}),
		PublishAcked("results", out, PublishConfig[int]{JS: js, Subject: results}))
}

// TestRedeliveryAfterAckWait: a worker that takes chunks and dies without
// acking (one of them after publishing its result) has them redelivered
// after AckWait to a live worker; results are deduplicated by chunk id, so
// the results stream holds each chunk's result once.
func TestRedeliveryAfterAckWait(t *testing.T) {
	_, _, js := embedded(t, EmbeddedConfig{})
	jobs := stream(t, js, WorkQueue("JOBS", 100, "jobs.>"))
	res := stream(t, js, WorkQueue("RES", 100, "res.>"))
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	const n = 10
	require.NoError(t, produce(ctx, js, "jobs.in", ints(n), PublishConfig[int]{ID: func(v int) string { return "job-" + strconv.Itoa(v) }}))
	cc := ConsumeConfig[int]{Stream: "JOBS", Durable: "workers", AckWait: 300 * time.Millisecond, FetchWait: 50 * time.Millisecond}

	// The dead worker: fetches 3 chunks, publishes the first one's result
	// under the chunk's id, then never acks (it died).
	cons, err := js.CreateOrUpdateConsumer(ctx, "JOBS", cc.ConsumerConfig("jobs"))
	require.NoError(t, err)
	batch, err := cons.Fetch(3, jetstream.FetchMaxWait(time.Second))
	require.NoError(t, err)
	var dead []jetstream.Msg
	for m := range batch.Messages() {
		dead = append(dead, m)
	}
	require.Len(t, dead, 3)
	_, err = js.Publish(ctx, "res.out", []byte(`0`), jetstream.WithMsgID("job-0"))
	require.NoError(t, err)

	var mu sync.Mutex
	deliveries := map[int][]int{}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- worker(wctx, js, cc, "res.out", func(_ context.Context, m Msg[int]) (int, error) {
			mu.Lock()
			deliveries[m.Value] = append(deliveries[m.Value], m.Delivered)
			mu.Unlock()
			return m.Value * m.Value, nil
		})
	}()
	eventually(t, "every chunk done", func() bool { return msgs(t, jobs) == 0 })
	stop()
	require.ErrorIs(t, <-done, context.Canceled)

	require.Len(t, deliveries, n)
	for i := range 3 {
		require.Equal(t, []int{2}, deliveries[i], "chunk %d: the live worker got the second delivery only", i)
	}
	for i := 3; i < n; i++ {
		require.Equal(t, []int{1}, deliveries[i], "chunk %d", i)
	}
	require.EqualValues(t, n, msgs(t, res), "one result per chunk: job-0's second result was a duplicate")
}

// TestBadInput: a malformed message and a value the codec refuses each
// fail the runlet with an error naming the chip and the subject, and
// nothing is acked that was not done; a closed connection fails a publish
// the same way; an unreachable URL fails Dial naming the URL.
func TestBadInput(t *testing.T) {
	_, nc, js := embedded(t, EmbeddedConfig{})
	s := stream(t, js, WorkQueue("BAD", 100, "bad.>"))
	stream(t, js, WorkQueue("OUT", 100, "out.>"))
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()

	t.Run("malformed", func(t *testing.T) {
		_, err := js.Publish(ctx, "bad.in", []byte("not json"))
		require.NoError(t, err)
		p := pool.New("c", 4)
		in := pool.NewPend[Msg[int]](p, "in")
		var got atomic.Int32
		err = runlet.Run(ctx,
			Consume("decoder", in, ConsumeConfig[int]{JS: js, Stream: "BAD", Durable: "d1", Subject: "bad.in"}),
			chip.ForEach("sink", in, func(m Msg[int]) error { got.Add(1); return m.Ack() }))
		require.ErrorIs(t, err, ErrDecode)
		var e *Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, "decoder", e.Chip)
		require.Equal(t, "bad.in", e.Subject)
		require.Contains(t, err.Error(), `chip "decoder" subject "bad.in"`)
		require.Zero(t, got.Load())
		require.EqualValues(t, 1, msgs(t, s), "the malformed message is not acked")
		require.NoError(t, s.Purge(ctx))
	})

	t.Run("encode", func(t *testing.T) {
		_, err := js.Publish(ctx, "bad.f", []byte("1.5"))
		require.NoError(t, err)
		p := pool.New("c", 4)
		in := pool.NewPend[Msg[float64]](p, "in")
		out := pool.NewPend[Msg[float64]](p, "out")
		err = runlet.Run(ctx,
			Consume("jobs", in, ConsumeConfig[float64]{JS: js, Stream: "BAD", Durable: "d2", Subject: "bad.f"}),
			chip.Map("nan", in, out, func(m Msg[float64]) (Msg[float64], error) { return Carry(m, math.NaN()), nil }),
			PublishAcked("results", out, PublishConfig[float64]{JS: js, Subject: "out.f"}))
		require.ErrorIs(t, err, ErrEncode)
		require.Contains(t, err.Error(), `chip "results" subject "out.f"`)
		require.EqualValues(t, 1, msgs(t, s), "the input of a result that failed is not acked")
		require.NoError(t, s.Purge(ctx))
	})

	t.Run("closed connection", func(t *testing.T) {
		nc2, err := nc.Opts.Connect() // a second client, closed below
		require.NoError(t, err)
		js2, err := jetstream.New(nc2)
		require.NoError(t, err)
		nc2.Close()
		err = produce(ctx, js2, "out.x", ints(3), PublishConfig[int]{})
		require.ErrorIs(t, err, ErrPublish)
		require.Contains(t, err.Error(), `chip "pub" subject "out.x"`)
	})

	t.Run("unreachable URL", func(t *testing.T) {
		_, err := Dial("nats://127.0.0.1:1", DialConfig{Timeout: time.Second})
		require.Error(t, err)
		require.Contains(t, err.Error(), "nats://127.0.0.1:1")
	})
}

// TestDeadLetter: a message given back on every delivery goes, past
// MaxDeliver, to the dead-letter subject with its headers, and leaves the
// work queue.
func TestDeadLetter(t *testing.T) {
	_, _, js := embedded(t, EmbeddedConfig{})
	jobs := stream(t, js, WorkQueue("DLJ", 100, "dlj.>"))
	dead := stream(t, js, jetstream.StreamConfig{Name: "DEAD", Subjects: []string{"dead.>"}})
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	_, err := js.Publish(ctx, "dlj.in", []byte("7"))
	require.NoError(t, err)

	var tries atomic.Int32
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	p := pool.New("c", 4)
	in := pool.NewPend[Msg[int]](p, "in")
	done := make(chan error, 1)
	go func() {
		done <- runlet.Run(wctx,
			Consume("jobs", in, ConsumeConfig[int]{JS: js, Stream: "DLJ", MaxDeliver: 3, DeadLetter: "dead.jobs", FetchWait: 50 * time.Millisecond}),
			chip.ForEach("fail", in, func(m Msg[int]) error { tries.Add(1); return m.Retry(0) }))
	}()
	eventually(t, "the dead letter", func() bool { return msgs(t, dead) == 1 })
	eventually(t, "the work queue empty", func() bool { return msgs(t, jobs) == 0 })
	stop()
	require.ErrorIs(t, <-done, context.Canceled)
	require.EqualValues(t, 3, tries.Load(), "worked on MaxDeliver times, not more")
	m, err := dead.GetLastMsgForSubject(ctx, "dead.jobs")
	require.NoError(t, err)
	require.Equal(t, "7", string(m.Data))
	require.Equal(t, "dlj.in", m.Header.Get(HeaderDeadSubject))
	require.Equal(t, "4", m.Header.Get(HeaderDeadDelivered))
}

// TestCredentials: a listening embedded server refuses a client with wrong
// or no credentials, and accepts its own.
func TestCredentials(t *testing.T) {
	e, _, _ := embedded(t, EmbeddedConfig{Listen: true})
	require.Contains(t, e.URL(), "127.0.0.1")
	_, err := Dial(e.URL(), DialConfig{Timeout: time.Second})
	require.ErrorContains(t, err, "Authorization Violation")
	_, err = Dial(e.URL(), DialConfig{User: e.User(), Password: "wrong", Timeout: time.Second})
	require.ErrorContains(t, err, "Authorization Violation")
	nc, err := Dial(e.URL(), DialConfig{User: e.User(), Password: e.Password(), Timeout: time.Second})
	require.NoError(t, err)
	nc.Close()
}

// TestRawCodec: []byte values travel as the payload itself (no JSON), and
// a custom codec is used when given.
func TestRawCodec(t *testing.T) {
	_, _, js := embedded(t, EmbeddedConfig{})
	s := stream(t, js, WorkQueue("RAW", 100, "raw.>"))
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	p := pool.New("p", 8)
	src := pool.NewPend[[]byte](p, "src")
	values := [][]byte{[]byte("a"), {0, 1, 2}, []byte(`{"not":"decoded"}`)}
	require.NoError(t, runlet.Run(ctx, chip.FromSlice("values", src, values),
		Publish("pub", src, PublishConfig[[]byte]{JS: js, Subject: "raw.in", End: true})))
	m, err := s.GetMsg(ctx, 2)
	require.NoError(t, err)
	require.Equal(t, []byte{0, 1, 2}, m.Data, "the payload is the value itself")

	c := pool.New("c", 8)
	in := pool.NewPend[Msg[[]byte]](c, "in")
	var got [][]byte
	require.NoError(t, runlet.Run(ctx,
		Consume("consume", in, ConsumeConfig[[]byte]{JS: js, Stream: "RAW", FetchWait: 50 * time.Millisecond}),
		chip.ForEach("sink", in, func(m Msg[[]byte]) error { got = append(got, m.Value); return m.Ack() })))
	require.Equal(t, values, got)
}
