package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
)

// Client sends requests to the ventilator and receives their answers. It
// sends a heartbeat every Beat while it lives; a client that stops beating
// (it died, or Silence was called) has its requests cancelled by the
// ventilator after the ventilator's ClientTimeout. It uses only its own
// subjects (dist.req/dist.cancel/dist.hb.<id>.*, ans.<id>.*) and the
// connection's reply inbox: connected as a per-client user
// (nats.ClientUsers), the connection must use the client's inbox
// (nats.ClientOption(id)). Safe for concurrent use.
type Client struct {
	nc      *natsgo.Conn
	id      string
	sub     *natsgo.Subscription
	answers chan Answer

	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup
}

// NewClient starts client id on nc: it subscribes to its answers (buffered
// up to 1024; a slow reader loses none, the subscription holds them) and
// starts its heartbeat.
func NewClient(nc *natsgo.Conn, id string, beat time.Duration) (*Client, error) {
	if !token(id) {
		return nil, fmt.Errorf("client id %q: want a non-empty subject token", id)
	}
	c := &Client{nc: nc, id: id, answers: make(chan Answer, 1024), stop: make(chan struct{})}
	sub, err := nc.Subscribe(clientSubject(ansPrefix, id, "*"), func(m *natsgo.Msg) {
		var a Answer
		if json.Unmarshal(m.Data, &a) == nil {
			c.answers <- a
		}
	})
	if err != nil {
		return nil, fmt.Errorf("client %s: %w", id, err)
	}
	c.sub = sub
	if err := nc.Flush(); err != nil {
		return nil, fmt.Errorf("client %s: %w", id, err)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(beat)
		defer t.Stop()
		for {
			_ = nc.Publish(clientSubject(subjBeat, id, "beat"), nil)
			select {
			case <-c.stop:
				return
			case <-t.C:
			}
		}
	}()
	return c, nil
}

// Answers delivers the answers to this client's requests, quick and final,
// in the order the server stored them. A final answer may come twice (a
// sink restarted after answering): same request, same sum.
func (c *Client) Answers() <-chan Answer { return c.answers }

// Submit asks for r (its Client is set to this client) on
// dist.req.<client>.<r.ID> and returns once the ventilator accepted it.
func (c *Client) Submit(ctx context.Context, r Request) error {
	r.Client = c.id
	return c.call(ctx, subjRequest, r.ID, r)
}

// Cancel cancels this client's request id on dist.cancel.<client>.<id>;
// it returns once the ventilator has stopped issuing it, told the workers
// and purged its pending chunks. Another client's request is not this
// client's to cancel: the ventilator answers that it has no such request.
func (c *Client) Cancel(ctx context.Context, id string) error {
	return c.call(ctx, subjCancel, id, nil)
}

// call sends v (JSON; nil: no body) to prefix's subject of this client and
// request id, and waits for the ventilator's "ok" or error.
func (c *Client) call(ctx context.Context, prefix, id string, v any) error {
	kind := strings.TrimSuffix(prefix, ".")
	if !token(id) {
		return fmt.Errorf("client %s: %s: request id %q: want a non-empty subject token", c.id, kind, id)
	}
	var data []byte
	if v != nil {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return fmt.Errorf("client %s: %s %s: %w", c.id, kind, id, err)
		}
	}
	subj := clientSubject(prefix, c.id, id)
	m, err := c.nc.RequestWithContext(ctx, subj, data)
	if err != nil {
		return fmt.Errorf("client %s: %s: %w", c.id, subj, err)
	}
	if s := string(m.Data); s != "ok" {
		return fmt.Errorf("client %s: %s: %s", c.id, subj, strings.TrimPrefix(s, "error: "))
	}
	return nil
}

// Silence stops the heartbeat, as if the client had died.
func (c *Client) Silence() {
	c.stopOnce.Do(func() { close(c.stop) })
	c.wg.Wait()
}

// Close stops the heartbeat and the subscription.
func (c *Client) Close() {
	c.Silence()
	_ = c.sub.Unsubscribe()
}
