package nats

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"github.com/runlet/runlet/runlet"
)

// PublishSnapshots publishes r's [runlet.Snapshot], as JSON, on subject
// every interval (a few times a second suits a live view: 250 ms), on
// core NATS (not JetStream: a snapshot is worth nothing once the next one
// is out, so none is stored). The subject is "<prefix>.<name>", the prefix
// shared by the processes of one flow and the name one per process (say
// "snap.flow1.worker-2"), so that [WatchSnapshots] on the prefix sees them
// all. When ctx ends it publishes one last snapshot (so a watcher sees the
// runlet ended or stopped), flushes, and returns ctx's error; it returns
// earlier only if a publish fails (a closed connection), with that error.
// Run it in a goroutine next to r.Run. It holds one encoded snapshot at a
// time.
func PublishSnapshots(ctx context.Context, nc *natsgo.Conn, subject string, r *runlet.Runlet, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("nats: PublishSnapshots %s: interval %v, want > 0", subject, every)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		data, err := json.Marshal(r.Snapshot())
		if err == nil {
			err = nc.Publish(subject, data)
		}
		if err != nil {
			return fmt.Errorf("nats: PublishSnapshots %s: %w", subject, err)
		}
		if ctx.Err() != nil {
			_ = nc.FlushTimeout(time.Second) // best effort: the connection may be closing
			return ctx.Err()
		}
		select {
		case <-ctx.Done(): // loop once more: the last snapshot
		case <-t.C:
		}
	}
}

// Seen is the latest snapshot a [Watcher] received from one process.
type Seen struct {
	Name     string          // the subject past the watched prefix
	Snapshot runlet.Snapshot // as published
	At       time.Time       // when it arrived
}

// Watcher keeps the latest snapshot of every process publishing under one
// prefix (see [PublishSnapshots]). It holds one snapshot per name, so as
// many as the flow has processes; a process that stops publishing keeps
// its last one, shown with its age. Its methods are safe for concurrent
// use; the zero value is not usable: make one with [WatchSnapshots].
type Watcher struct {
	prefix string
	mu     sync.Mutex
	latest map[string]Seen
	bad    int    // messages that did not decode
	badErr string // the latest of those errors, naming its subject
}

// WatchSnapshots subscribes to "<prefix>.>" and keeps, per name, the
// latest snapshot published there, until ctx ends (then it unsubscribes).
// A message that is not a snapshot is counted and named in the view, not
// kept. It fails if the subscription does (a bad prefix, a closed
// connection, a permission refused).
func WatchSnapshots(ctx context.Context, nc *natsgo.Conn, prefix string) (*Watcher, error) {
	w := &Watcher{prefix: prefix, latest: map[string]Seen{}}
	sub, err := nc.Subscribe(prefix+".>", w.receive)
	if err == nil {
		err = nc.Flush() // the server has the subscription (or refused it)
	}
	if err == nil {
		err = nc.LastError()
	}
	if err != nil {
		if sub != nil {
			_ = sub.Unsubscribe()
		}
		return nil, fmt.Errorf("nats: WatchSnapshots %s: %w", prefix, err)
	}
	context.AfterFunc(ctx, func() { _ = sub.Unsubscribe() })
	return w, nil
}

// receive is the subscription's handler: it decodes one snapshot.
func (w *Watcher) receive(m *natsgo.Msg) {
	name := strings.TrimPrefix(m.Subject, w.prefix+".")
	var s runlet.Snapshot
	err := json.Unmarshal(m.Data, &s)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.bad++
		w.badErr = fmt.Sprintf("%s: not a snapshot: %v", m.Subject, err)
		return
	}
	w.latest[name] = Seen{Name: name, Snapshot: s, At: time.Now()}
}

// Latest returns the latest snapshot of every process seen, sorted by
// name; a copy the caller owns.
func (w *Watcher) Latest() []Seen {
	w.mu.Lock()
	all := make([]Seen, 0, len(w.latest))
	for _, s := range w.latest {
		all = append(all, s)
	}
	w.mu.Unlock()
	slices.SortFunc(all, func(a, b Seen) int { return strings.Compare(a.Name, b.Name) })
	return all
}

// WriteTo writes the combined view of every process seen, to out: per
// process, sorted by name, a line with its name, state, error, stats and
// the snapshot's age, then one line per chip (key, state, what it runs,
// its note), then, if any arrived, the count of messages that were not
// snapshots and the latest of their errors. It implements io.WriterTo.
func (w *Watcher) WriteTo(out io.Writer) (int64, error) {
	now := time.Now()
	cw := &countWriter{w: out}
	tw := tabwriter.NewWriter(cw, 2, 4, 2, ' ', 0)
	for _, s := range w.Latest() {
		st := s.Snapshot
		state := st.State
		if st.Paused {
			state += " (paused)"
		}
		fmt.Fprintf(tw, "%s\t%s\thits %d\tmiss %d/%d/%d\t%s ago\n", s.Name, state, st.Stats.Hits,
			st.Stats.StatMiss, st.Stats.PushMiss, st.Stats.PullMiss, now.Sub(s.At).Round(time.Millisecond))
		if st.Err != "" {
			fmt.Fprintf(tw, "  error: %s\n", st.Err)
		}
		for _, c := range st.Chips {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Key, c.State, c.Running, c.Note)
		}
	}
	w.mu.Lock()
	bad, badErr := w.bad, w.badErr
	w.mu.Unlock()
	if bad > 0 {
		fmt.Fprintf(tw, "%d messages were not snapshots; latest: %s\n", bad, badErr)
	}
	err := tw.Flush()
	return cw.n, err
}

// countWriter counts the bytes written through it, for WriteTo.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
