package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	rnats "github.com/runlet/runlet/nats"
)

// TestWorkerKilled: a worker process killed with SIGKILL in the middle of
// a chunk: its chunk is redelivered after AckWait to another worker
// process; every request gets its exact answer, each chunk counted once.
func TestWorkerKilled(t *testing.T) {
	c := start(t, rnats.EmbeddedConfig{Listen: true}, Limits{})
	c.ventilator(VentilatorConfig{})
	stopSink := c.sink(SinkConfig{})
	cl := c.client("k")
	reqs := []Request{{ID: "r0", Chunks: 8, Size: 50}, {ID: "r1", From: 400, Chunks: 8, Size: 50}, {ID: "r2", From: 800, Chunks: 8, Size: 50}}

	first, lines := c.proc("-role", "worker", "-hang", "r1/3", "-ackwait", "500ms")
	for _, r := range reqs {
		require.NoError(t, cl.Submit(c.ctx, r))
	}
	require.True(t, lines.Scan(), "the worker reports the chunk it hangs on")
	require.Equal(t, "working r1/3", strings.TrimSpace(lines.Text()))
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	require.Error(t, first.Wait(), "killed")

	second, _ := c.proc("-role", "worker", "-ackwait", "500ms")
	finals(t, cl, reqs...)
	require.NoError(t, second.Process.Signal(syscall.SIGTERM))
	require.NoError(t, second.Wait(), "a worker stops cleanly on SIGTERM")
	st := stopSink()
	require.Equal(t, 24, st.Counted, "every chunk counted once: none lost, none twice")
	require.Zero(t, c.msgs(streamJobs), "every chunk acked")
	require.Zero(t, c.msgs(streamRes), "every result acked")
}

// TestCancel: after a cancel, no worker starts a new chunk of the request
// (fetched chunks are skipped, pending ones purged), chunks in flight see
// their ctx cancelled promptly, the sink drops their late results, and
// the request gets no answer.
func TestCancel(t *testing.T) {
	c := start(t, rnats.EmbeddedConfig{}, Limits{})
	c.ventilator(VentilatorConfig{})
	c.sink(SinkConfig{})
	recs := []*recorder{newRecorder(), newRecorder()}
	for _, r := range recs {
		c.workers(1, WorkerConfig{Parallel: 2, Work: time.Minute, Hooks: r.hooks()})
	}
	cl := c.client("c")
	req := Request{ID: "long", Chunks: 40, Size: 10}
	require.NoError(t, cl.Submit(c.ctx, req))
	eventually(t, "4 chunks in flight", func() bool { return recs[0].nStarts("long")+recs[1].nStarts("long") == 4 })

	cancelAt := time.Now()
	require.NoError(t, cl.Cancel(c.ctx, req.ID))
	require.Error(t, cl.Cancel(c.ctx, req.ID), "a second cancel finds no open request")
	eventually(t, "the chunks in flight stopped", func() bool {
		n := 0
		for _, r := range recs {
			r.mu.Lock()
			n += len(r.stopped)
			r.mu.Unlock()
		}
		return n == 4
	})
	_, js := c.conn()
	require.Equal(t, stateCancel, c.record(js, "long").State)

	var worst time.Duration
	for i, r := range recs {
		r.mu.Lock()
		seen, ok := r.stopSeen["long"]
		require.True(t, ok, "worker %d got the stop", i)
		for _, s := range r.starts["long"] {
			require.True(t, s.Before(seen), "worker %d started a chunk of a cancelled request", i)
		}
		for _, s := range r.stopped {
			worst = max(worst, s.Sub(cancelAt))
		}
		r.mu.Unlock()
	}
	t.Logf("chunks in flight stopped at most %v after the cancel", worst)
	require.Less(t, worst, 100*time.Millisecond, "chunks in flight see their ctx cancelled within 100 ms")
	eventually(t, "JOBS and RES empty", func() bool { return c.msgs(streamJobs) == 0 && c.msgs(streamRes) == 0 })
	require.Equal(t, 4, recs[0].nStarts("long")+recs[1].nStarts("long"), "no chunk started after the cancel")
	select {
	case a := <-cl.Answers():
		t.Fatalf("a cancelled request was answered: %+v", a)
	default:
	}
}

// TestBadRequest: a malformed request or cancel is refused with an error
// naming the field; nothing is issued.
func TestBadRequest(t *testing.T) {
	c := start(t, rnats.EmbeddedConfig{}, Limits{})
	c.ventilator(VentilatorConfig{})
	cl := c.client("bad")
	for _, tc := range []struct {
		r    Request
		want string
	}{
		{Request{ID: "x", Chunks: 0, Size: 1}, "request x: chunks 0: want 1..10000"},
		{Request{ID: "x", Chunks: 1, Size: 0}, "request x: size 0: want > 0"},
		{Request{ID: "a.b", Chunks: 1, Size: 1}, `request id "a.b": want a non-empty subject token`},
	} {
		err := cl.Submit(c.ctx, tc.r)
		require.ErrorContains(t, err, tc.want)
		require.ErrorContains(t, err, "client bad: dist.req")
	}
	require.ErrorContains(t, cl.Cancel(c.ctx, "nope"), `cancel nope: no open request of client "bad"`)
	require.Zero(t, c.msgs(streamJobs))
	require.ErrorContains(t, run(c.ctx, flags{role: "boss"}, nil), `-role "boss"`)
}

// TestWatchShowsWorkers runs two named workers and the watch role's loop:
// the combined view names both workers and their chips.
func TestWatchShowsWorkers(t *testing.T) {
	c := start(t, rnats.EmbeddedConfig{}, Limits{})
	for _, name := range []string{"w1", "w2"} {
		c.workers(1, WorkerConfig{Name: name, Snapshots: 20 * time.Millisecond})
	}
	nc, _ := c.conn()
	var mu sync.Mutex
	var view bytes.Buffer
	stop := c.goRole(func(ctx context.Context) error {
		return watch(ctx, nc, 20*time.Millisecond, lockedWriter{&mu, &view})
	})
	eventually(t, "the view shows both workers and their chips", func() bool {
		mu.Lock()
		defer mu.Unlock()
		v := view.String()
		return strings.Contains(v, "w1") && strings.Contains(v, "w2") && strings.Contains(v, "compute")
	})
	if err := stop(); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("watch: %v", err)
	}
}

// lockedWriter serialises writes to a buffer the test also reads.
type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
