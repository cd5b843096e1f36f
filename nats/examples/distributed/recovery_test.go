package main

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	rnats "github.com/runlet/runlet/nats"
)

// TestBackpressure: a slow sink fills RES to its limit; the workers and
// then the ventilator are held back (not failed): neither stream ever holds
// more than its limit, and every answer is exact.
func TestBackpressure(t *testing.T) {
	const jobsMax, resMax = 8, 32
	c := start(t, rnats.EmbeddedConfig{}, Limits{Jobs: jobsMax, Results: resMax})
	c.ventilator(VentilatorConfig{})
	c.workers(2, WorkerConfig{Parallel: 2})
	c.sink(SinkConfig{Slow: 15 * time.Millisecond})
	_, js := c.conn()
	var maxJobs, maxRes atomic.Uint64
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() { // sample both streams until the answers are in
		defer wg.Done()
		jobs, _ := js.Stream(c.ctx, streamJobs)
		res, _ := js.Stream(c.ctx, streamRes)
		for {
			for _, p := range []struct {
				s jetstream.Stream
				m *atomic.Uint64
			}{{jobs, &maxJobs}, {res, &maxRes}} {
				if info, err := p.s.Info(c.ctx); err == nil && info.State.Msgs > p.m.Load() {
					p.m.Store(info.State.Msgs)
				}
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	cl := c.client("b")
	var reqs []Request
	for i := range 16 {
		r := Request{ID: "b" + strconv.Itoa(i), From: int64(i) * 1000, Chunks: 4, Size: 20}
		reqs = append(reqs, r)
		require.NoError(t, cl.Submit(c.ctx, r))
	}
	finals(t, cl, reqs...)
	close(done)
	wg.Wait()
	t.Logf("most held: JOBS %d (limit %d), RES %d (limit %d)", maxJobs.Load(), jobsMax, maxRes.Load(), resMax)
	require.LessOrEqual(t, maxJobs.Load(), uint64(jobsMax))
	require.LessOrEqual(t, maxRes.Load(), uint64(resMax))
	require.Greater(t, maxRes.Load(), uint64(resMax/2), "the slow sink was the bottleneck: RES filled")
}

// TestServerRestart: chunks waiting in JOBS and the request records survive
// a server shutdown with file storage; workers and a sink on the new server
// (same StoreDir) give the exact answers.
func TestServerRestart(t *testing.T) {
	dir := t.TempDir()
	c := start(t, rnats.EmbeddedConfig{StoreDir: dir}, Limits{Storage: jetstream.FileStorage})
	stopVent := c.ventilator(VentilatorConfig{})
	cl := c.client("s")
	reqs := []Request{{ID: "s0", Chunks: 8, Size: 30}, {ID: "s1", From: 5000, Chunks: 8, Size: 30}}
	for _, r := range reqs {
		require.NoError(t, cl.Submit(c.ctx, r))
	}
	eventually(t, "every chunk in JOBS", func() bool { return c.msgs(streamJobs) == 16 })
	require.NoError(t, stopVent())
	c.e.Shutdown()

	c2 := start(t, rnats.EmbeddedConfig{StoreDir: dir}, Limits{Storage: jetstream.FileStorage})
	require.EqualValues(t, 16, c2.msgs(streamJobs), "nothing lost in the restart")
	cl2 := c2.client("s")
	c2.sink(SinkConfig{})
	c2.workers(2, WorkerConfig{})
	finals(t, cl2, reqs...)
}

// TestSinkKilled: the sink process killed with SIGKILL in the middle of a
// request; a new sink process rebuilds the request from DIST_REQS, gets
// the results the dead one had not acked (redelivered after AckWait), and
// answers exactly.
func TestSinkKilled(t *testing.T) {
	c := start(t, rnats.EmbeddedConfig{Listen: true}, Limits{})
	c.ventilator(VentilatorConfig{})
	c.workers(1, WorkerConfig{Parallel: 1, Work: 30 * time.Millisecond})
	first, lines := c.proc("-role", "sink", "-ackwait", "500ms")
	cl := c.client("d")
	req := Request{ID: "d0", Chunks: 10, Size: 40}
	require.NoError(t, cl.Submit(c.ctx, req))
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "result d0/") {
	}
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	require.Error(t, first.Wait(), "killed")

	second, out := c.proc("-role", "sink", "-ackwait", "500ms")
	lastc := make(chan string, 1)
	go func() {
		var last string
		for out.Scan() {
			last = out.Text()
		}
		lastc <- last
	}()
	finals(t, cl, req)
	// A result the dead sink took comes back after AckWait even if its
	// value reached the cache: the new sink acks it as late.
	eventually(t, "RES empty", func() bool { return c.msgs(streamRes) == 0 })
	require.NoError(t, second.Process.Signal(syscall.SIGTERM))
	last := <-lastc
	require.NoError(t, second.Wait())
	require.True(t, strings.HasPrefix(last, "sink: "), last)
}
