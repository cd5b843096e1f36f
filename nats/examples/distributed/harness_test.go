package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	rnats "github.com/runlet/runlet/nats"
)

// testBound bounds every test.
const testBound = 30 * time.Second

// cluster is an embedded server with the example's streams and buckets.
type cluster struct {
	t   *testing.T
	e   *rnats.Embedded
	ctx context.Context
}

// start starts a server (in-process, or listening for processes) and
// creates the streams and buckets with l.
func start(t *testing.T, c rnats.EmbeddedConfig, l Limits) *cluster {
	t.Helper()
	e, err := rnats.StartEmbedded(c)
	require.NoError(t, err)
	t.Cleanup(e.Shutdown)
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	t.Cleanup(cancel)
	cl := &cluster{t: t, e: e, ctx: ctx}
	_, js := cl.conn()
	require.NoError(t, setup(ctx, js, l))
	return cl
}

// conn returns a new connection (one per role, as in separate processes).
func (c *cluster) conn() (*natsgo.Conn, jetstream.JetStream) {
	c.t.Helper()
	nc, err := c.e.Connect()
	require.NoError(c.t, err)
	c.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(c.t, err)
	return nc, js
}

// goRole runs f in a goroutine until the returned stop is called (or the
// test ends); stop returns f's error.
func (c *cluster) goRole(f func(ctx context.Context) error) (stop func() error) {
	ctx, cancel := context.WithCancel(c.ctx)
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	c.t.Cleanup(func() { _ = stop() })
	return stop
}

// ventilator runs a ventilator with config vc (NC, JS filled in).
func (c *cluster) ventilator(vc VentilatorConfig) func() error {
	vc.NC, vc.JS = c.conn()
	ready := make(chan struct{})
	vc.Ready = func() { close(ready) }
	stop := c.goRole(func(ctx context.Context) error { return runVentilator(ctx, vc) })
	select {
	case <-ready:
	case <-c.ctx.Done():
		c.t.Fatal("the ventilator did not start")
	}
	return stop
}

// workers runs n workers with config wc (NC, JS filled in).
func (c *cluster) workers(n int, wc WorkerConfig) {
	for range n {
		w := wc // each worker its own copy: the goroutine reads it while the next is made
		w.NC, w.JS = c.conn()
		c.goRole(func(ctx context.Context) error { return runWorker(ctx, w) })
	}
}

// sink runs a sink; its stop returns its stats.
func (c *cluster) sink(sc SinkConfig) func() SinkStats {
	_, sc.JS = c.conn()
	var st SinkStats
	stop := c.goRole(func(ctx context.Context) (err error) { st, err = runSink(ctx, sc); return err })
	return func() SinkStats { require.NoError(c.t, stop()); return st }
}

// client returns a client beating every 50 ms.
func (c *cluster) client(id string) *Client {
	nc, _ := c.conn()
	cl, err := NewClient(nc, id, 50*time.Millisecond)
	require.NoError(c.t, err)
	c.t.Cleanup(cl.Close)
	return cl
}

// clientAs returns client name connected as its own user (password) with
// its own inbox, beating every 50 ms; the server's asynchronous errors to
// it (permission violations) arrive on the returned channel.
func (c *cluster) clientAs(name, password string) (*Client, *natsgo.Conn, chan error) {
	c.t.Helper()
	errs := make(chan error, 16)
	nc, err := rnats.Dial(c.e.URL(), rnats.DialConfig{User: name, Password: password}, rnats.ClientOption(name),
		natsgo.ErrorHandler(func(_ *natsgo.Conn, _ *natsgo.Subscription, err error) { errs <- err }))
	require.NoError(c.t, err)
	c.t.Cleanup(nc.Close)
	cl, err := NewClient(nc, name, 50*time.Millisecond)
	require.NoError(c.t, err)
	c.t.Cleanup(cl.Close)
	return cl, nc, errs
}

// msgs returns how many messages stream name holds.
func (c *cluster) msgs(name string) uint64 {
	_, js := c.conn()
	s, err := js.Stream(c.ctx, name)
	require.NoError(c.t, err)
	info, err := s.Info(c.ctx)
	require.NoError(c.t, err)
	return info.State.Msgs
}

// record returns request id's record.
func (c *cluster) record(js jetstream.JetStream, id string) Record {
	kv, err := js.KeyValue(c.ctx, bucketReqs)
	require.NoError(c.t, err)
	e, err := kv.Get(c.ctx, id)
	require.NoError(c.t, err)
	var r Record
	require.NoError(c.t, json.Unmarshal(e.Value(), &r))
	return r
}

// want is the exact answer to r.
func want(r Request) int64 {
	var s int64
	for x := r.From; x < r.From+int64(r.Chunks)*r.Size; x++ {
		s += x * x
	}
	return s
}

// finals reads cl's answers until each of reqs has a final one, and
// returns every answer in arrival order.
func finals(t *testing.T, cl *Client, reqs ...Request) []Answer {
	t.Helper()
	pending := map[string]bool{}
	for _, r := range reqs {
		pending[r.ID] = true
	}
	var all []Answer
	timeout := time.After(testBound)
	for len(pending) > 0 {
		select {
		case a := <-cl.Answers():
			all = append(all, a)
			if a.Final {
				delete(pending, a.Req)
			}
		case <-timeout:
			t.Fatalf("no final answer for %v; got %+v", pending, all)
		}
	}
	for _, r := range reqs {
		for _, a := range all {
			if a.Req == r.ID && a.Final {
				require.Equal(t, want(r), a.Sum, "request %s", r.ID)
				require.Equal(t, r.Chunks, a.Done, "request %s", r.ID)
			}
		}
	}
	return all
}

// eventually polls cond every 10 ms until it holds, failing after testBound.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The example's binary, built once by binary.
var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "runlet-distributed-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "distributed")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("%w: %s", err, out)
		}
	})
	require.NoError(t, binErr)
	return binPath
}

// TestMain removes the built binary.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// proc starts the binary with args against c's listening server, its
// stdout as lines.
func (c *cluster) proc(args ...string) (*exec.Cmd, *bufio.Scanner) {
	c.t.Helper()
	cmd := exec.Command(binary(c.t), args...)
	cmd.Env = append(os.Environ(), "NATS_URL="+c.e.URL(), "RUNLET_NATS_USER="+c.e.User(), "RUNLET_NATS_PASSWORD="+c.e.Password())
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(c.t, err)
	require.NoError(c.t, cmd.Start())
	c.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewScanner(stdout)
}

// recorder collects a worker's hook events. Safe for concurrent use.
type recorder struct {
	mu       sync.Mutex
	starts   map[string][]time.Time // request → chunk start times
	stopped  []time.Time            // chunks in flight that saw their cancel
	stopSeen map[string]time.Time   // request → first stop message seen (earliest over workers)
}

func newRecorder() *recorder {
	return &recorder{starts: map[string][]time.Time{}, stopSeen: map[string]time.Time{}}
}

func (r *recorder) hooks() *WorkerHooks {
	return &WorkerHooks{
		Start: func(c Chunk, at time.Time) {
			r.mu.Lock()
			r.starts[c.Req] = append(r.starts[c.Req], at)
			r.mu.Unlock()
		},
		Stopped: func(c Chunk, at time.Time) {
			r.mu.Lock()
			r.stopped = append(r.stopped, at)
			r.mu.Unlock()
		},
		StopSeen: func(req string, at time.Time) {
			r.mu.Lock()
			if t, ok := r.stopSeen[req]; !ok || at.Before(t) {
				r.stopSeen[req] = at
			}
			r.mu.Unlock()
		},
	}
}

// nStarts returns how many chunks of req started.
func (r *recorder) nStarts(req string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.starts[req])
}
