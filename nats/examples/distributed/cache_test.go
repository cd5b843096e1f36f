package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	rnats "github.com/runlet/runlet/nats"
)

// TestQuickThenDetailed: a request half of whose chunks are cached gets a
// quick answer (the cached half) before the detailed, exact one; a request
// wholly cached is answered with no chunk computed.
func TestQuickThenDetailed(t *testing.T) {
	c := start(t, rnats.EmbeddedConfig{}, Limits{})
	c.ventilator(VentilatorConfig{})
	c.sink(SinkConfig{})
	rec := newRecorder()
	c.workers(1, WorkerConfig{Hooks: rec.hooks()})
	cl := c.client("q")

	half := Request{ID: "half", From: 100, Chunks: 4, Size: 25}
	require.NoError(t, cl.Submit(c.ctx, half))
	got := finals(t, cl, half)
	require.Len(t, got, 1, "nothing cached: only the final answer")

	whole := Request{ID: "whole", From: 100, Chunks: 8, Size: 25}
	require.NoError(t, cl.Submit(c.ctx, whole))
	got = finals(t, cl, whole)
	require.Len(t, got, 2, "a quick answer, then the detailed one: %+v", got)
	require.False(t, got[0].Final, "the quick answer comes first")
	require.Equal(t, Answer{Req: "whole", Done: 4, Of: 8, Sum: want(half)}, got[0], "the quick answer is what the cache holds")
	require.True(t, got[1].Final)
	require.Equal(t, 4, rec.nStarts("whole"), "only the chunks not cached were computed")

	again := Request{ID: "again", From: 100, Chunks: 8, Size: 25}
	require.NoError(t, cl.Submit(c.ctx, again))
	got = finals(t, cl, again)
	require.Len(t, got, 1)
	require.Zero(t, rec.nStarts("again"), "wholly cached: nothing computed")
}

// TestNotComputedTwice: two requests over the same chunks at once: the
// second finds them in progress and issues none; each chunk is computed
// once, and both get the exact answer.
func TestNotComputedTwice(t *testing.T) {
	c := start(t, rnats.EmbeddedConfig{}, Limits{})
	c.ventilator(VentilatorConfig{})
	stopSink := c.sink(SinkConfig{})
	rec := newRecorder()
	c.workers(2, WorkerConfig{Work: 20 * time.Millisecond, Hooks: rec.hooks()})
	cl := c.client("n")
	a := Request{ID: "a", From: 3000, Chunks: 8, Size: 10}
	b := Request{ID: "b", From: 3000, Chunks: 8, Size: 10}
	require.NoError(t, cl.Submit(c.ctx, a))
	require.NoError(t, cl.Submit(c.ctx, b))
	finals(t, cl, a, b)
	require.Equal(t, 8, rec.nStarts("a"))
	require.Zero(t, rec.nStarts("b"), "b's chunks were in progress for a")
	st := stopSink()
	require.Equal(t, 16, st.Counted, "a's 8 results filled both requests")
	require.Zero(t, st.Duplicates)
}

// TestCancelHandsOver: a request cancelled while another waits for its
// chunks hands its in-progress marks to the waiting one, which gets its
// exact answer.
func TestCancelHandsOver(t *testing.T) {
	c := start(t, rnats.EmbeddedConfig{}, Limits{})
	c.ventilator(VentilatorConfig{})
	c.sink(SinkConfig{})
	cl := c.client("h")
	a := Request{ID: "ha", From: 9000, Chunks: 6, Size: 10}
	b := Request{ID: "hb", From: 9000, Chunks: 6, Size: 10}
	require.NoError(t, cl.Submit(c.ctx, a))
	require.NoError(t, cl.Submit(c.ctx, b)) // no workers yet: b waits on a's chunks
	require.NoError(t, cl.Cancel(c.ctx, a.ID))
	rec := newRecorder()
	c.workers(1, WorkerConfig{Hooks: rec.hooks()})
	got := finals(t, cl, b)
	for _, x := range got {
		require.Equal(t, b.ID, x.Req, "the cancelled request is not answered")
	}
	require.Equal(t, 6, rec.nStarts(b.ID), "b computed the chunks it had waited for")
	require.Zero(t, rec.nStarts(a.ID))
}

// TestSilentClient: a client that stops its heartbeat without cancelling
// has its open requests cancelled after the ventilator's ClientTimeout:
// the record says so, its chunks in flight are stopped, JOBS is emptied.
func TestSilentClient(t *testing.T) {
	c := start(t, rnats.EmbeddedConfig{}, Limits{})
	c.ventilator(VentilatorConfig{ClientTimeout: 500 * time.Millisecond})
	c.sink(SinkConfig{})
	rec := newRecorder()
	c.workers(1, WorkerConfig{Parallel: 2, Work: time.Minute, Hooks: rec.hooks()})
	cl := c.client("quiet")
	req := Request{ID: "q0", Chunks: 10, Size: 10}
	require.NoError(t, cl.Submit(c.ctx, req))
	eventually(t, "2 chunks in flight", func() bool { return rec.nStarts("q0") == 2 })
	time.Sleep(700 * time.Millisecond) // alive: beating, so not cancelled
	_, js := c.conn()
	require.Equal(t, stateOpen, c.record(js, "q0").State, "a beating client keeps its requests")

	cl.Silence()
	eventually(t, "the request cancelled", func() bool { return c.record(js, "q0").State == stateCancel })
	require.Equal(t, "its client went silent", c.record(js, "q0").Reason)
	eventually(t, "chunks in flight stopped", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.stopped) == 2
	})
	eventually(t, "JOBS and RES empty", func() bool { return c.msgs(streamJobs) == 0 && c.msgs(streamRes) == 0 })
	require.Equal(t, 2, rec.nStarts("q0"))
}
