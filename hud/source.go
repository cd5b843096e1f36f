package hud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/runlet/runlet/runlet"
)

// Source gives the HUD the snapshots it shows. Snapshot returns the latest
// one; ok is false while there is none yet. err is set once the source is
// gone for good (a stream that ended or broke): the HUD keeps showing the
// last snapshot and says why.
//
// Snapshot is called from the HUD's goroutine a few times a second; it must
// not block.
type Source interface {
	Snapshot() (s runlet.Snapshot, ok bool, err error)
}

// Control is what the HUD's keys act on: pause, resume and drain. A
// [*runlet.Runlet] is one. Without a Control (a JSON stream) the keys only
// say that the flow cannot be controlled from here.
type Control interface {
	Pause()
	Resume()
	Drain(ctx context.Context) error
}

// Live is a [Source] over a runlet in this process: every call is one
// [runlet.Runlet.Snapshot], which never waits for the scheduler for more
// than 2 ms, so watching costs the flow what a Snapshot costs, a few times
// a second, and nothing per pack.
func Live(r *runlet.Runlet) Source { return liveSource{r} }

type liveSource struct{ r *runlet.Runlet }

func (l liveSource) Snapshot() (runlet.Snapshot, bool, error) { return l.r.Snapshot(), true, nil }

// Stream is a [Source] over a stream of JSON snapshots, one JSON value after
// another (as [Publish] writes them, or any encoder of [runlet.Snapshot]):
// a goroutine decodes r and keeps the latest. When r ends (io.EOF) or holds
// something that is not a snapshot, Snapshot reports it as its err. The
// goroutine ends with r: close r to stop it early.
//
// It holds one snapshot; it is safe for concurrent use.
func Stream(r io.Reader) Source {
	s := &streamSource{}
	go s.read(r)
	return s
}

type streamSource struct {
	mu   sync.Mutex
	last runlet.Snapshot
	ok   bool
	err  error
}

func (s *streamSource) read(r io.Reader) {
	dec := json.NewDecoder(r)
	for {
		var snap runlet.Snapshot
		err := dec.Decode(&snap)
		s.mu.Lock()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = ErrStreamEnded
			} else {
				err = fmt.Errorf("hud: reading the snapshot stream: %w", err)
			}
			s.err = err
			s.mu.Unlock()
			return
		}
		s.last, s.ok = snap, true
		s.mu.Unlock()
	}
}

func (s *streamSource) Snapshot() (runlet.Snapshot, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.ok, s.err
}

// ErrStreamEnded is a [Stream] source's err once its reader ended cleanly.
var ErrStreamEnded = errors.New("hud: the snapshot stream ended")

// Publish writes r's snapshot to w as one line of JSON every interval (250
// ms if interval is not positive), for a HUD elsewhere to read with
// [Stream], until ctx is done or r has settled (it then writes the last
// snapshot). It returns the first write error, or nil.
//
// Like [Live], it only calls Snapshot.
func Publish(ctx context.Context, w io.Writer, r *runlet.Runlet, interval time.Duration) error {
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	enc := json.NewEncoder(w)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := enc.Encode(r.Snapshot()); err != nil {
			return fmt.Errorf("hud: publishing a snapshot: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.Done():
			if err := enc.Encode(r.Snapshot()); err != nil {
				return fmt.Errorf("hud: publishing a snapshot: %w", err)
			}
			return nil
		case <-t.C:
		}
	}
}
