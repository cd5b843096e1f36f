package nats

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Msg is a value fetched by a [Consume] chip, with the handle that acks the
// JetStream message it came from. It travels through a local flow like any
// value (copy it freely: copies share the handle); [Carry] moves the handle
// onto a result, and a [PublishAcked] chip acks it once the result is
// stored. The zero Msg has no handle: its Ack and Retry do nothing.
type Msg[T any] struct {
	Value     T
	Subject   string // the subject the message was published on
	ID        string // its Nats-Msg-Id, or "<stream>.<stream sequence>" when it had none
	Delivered int    // how many times it was delivered, this time included (1 = first)
	h         *handle
}

// Carry returns a Msg holding v with m's subject, id, delivery count and ack
// handle: the result of work on m, to be published by a [PublishAcked]
// chip, which then acks m. Carry does not copy or ack anything.
func Carry[T, U any](m Msg[T], v U) Msg[U] {
	return Msg[U]{Value: v, Subject: m.Subject, ID: m.ID, Delivered: m.Delivered, h: m.h}
}

// Ack acks the message (a double ack: it returns once the server has
// recorded it) and stops its in-progress heartbeat. Ack the message only
// once what was made from it is durable. Acking twice, or after Retry, is a
// no-op that returns nil.
func (m Msg[T]) Ack() error {
	if m.h == nil {
		return nil
	}
	return m.h.settle(func(jm jetstream.Msg) error {
		ctx, cancel := context.WithTimeout(context.Background(), m.h.owner.ackTimeout)
		defer cancel()
		return jm.DoubleAck(ctx)
	})
}

// Retry gives the message back for a later delivery after delay
// (NakWithDelay) and stops its heartbeat. Past the consumer's MaxDeliver the
// next [Consume] chip that fetches it sends it to the dead-letter subject
// instead of delivering it. A no-op once acked.
func (m Msg[T]) Retry(delay time.Duration) error {
	if m.h == nil {
		return nil
	}
	return m.h.settle(func(jm jetstream.Msg) error { return jm.NakWithDelay(delay) })
}

// handle is a fetched message not yet settled (acked, nakked or termed),
// with its in-progress heartbeat: a timer that sends InProgress every
// `every`, at most maxBeats times, so that a long chunk is not redelivered
// while it runs but a stuck one is, in the end. Safe for concurrent use.
type handle struct {
	msg   jetstream.Msg
	owner *inflight

	mu       sync.Mutex
	done     bool
	timer    *time.Timer // nil when heartbeats are off or spent; protected by mu
	beats    int         // InProgress sent; protected by mu
	maxBeats int
	every    time.Duration
}

// start arms the heartbeat.
func (h *handle) start() {
	if h.every <= 0 || h.maxBeats <= 0 {
		return
	}
	h.mu.Lock()
	h.timer = time.AfterFunc(h.every, h.beat)
	h.mu.Unlock()
}

// beat sends one InProgress and rearms, up to maxBeats.
func (h *handle) beat() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done || h.beats >= h.maxBeats {
		h.timer = nil
		return
	}
	h.beats++
	_ = h.msg.InProgress() // a lost heartbeat only risks an early redelivery
	if h.beats < h.maxBeats {
		h.timer.Reset(h.every)
	} else {
		h.timer = nil
	}
}

// settle runs op (ack, nak, term) once, stops the heartbeat and forgets the
// handle. A second settle is a no-op returning nil.
func (h *handle) settle(op func(jetstream.Msg) error) error {
	h.mu.Lock()
	if h.done {
		h.mu.Unlock()
		return nil
	}
	h.done = true
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	h.mu.Unlock()
	h.owner.remove(h)
	if err := op(h.msg); err != nil {
		return chipErr(h.owner.chip, h.msg.Subject(), ErrAck, err)
	}
	return nil
}

// inflight is the set of a Consume chip's unsettled handles, so that the
// chip can give them back when the runlet stops.
type inflight struct {
	chip       string
	ackTimeout time.Duration
	mu         sync.Mutex
	set        map[*handle]struct{}
}

func (f *inflight) add(h *handle) {
	f.mu.Lock()
	f.set[h] = struct{}{}
	f.mu.Unlock()
}

func (f *inflight) remove(h *handle) {
	f.mu.Lock()
	delete(f.set, h)
	f.mu.Unlock()
}

// giveBack naks every unsettled handle with delay, so another worker gets
// them soon instead of after AckWait.
func (f *inflight) giveBack(delay time.Duration) {
	f.mu.Lock()
	hs := make([]*handle, 0, len(f.set))
	for h := range f.set {
		hs = append(hs, h)
	}
	f.mu.Unlock()
	for _, h := range hs {
		_ = h.settle(func(jm jetstream.Msg) error { return jm.NakWithDelay(delay) })
	}
}
