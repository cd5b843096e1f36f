package nats

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// cluster starts n JetStream servers on loopback, each with its own store
// and routes to all the others, as nats-server's own cluster tests do; it
// returns them and the client URLs of all of them, comma-separated. They
// are shut down when t ends.
func cluster(t *testing.T, n int) ([]*server.Server, string) {
	t.Helper()
	ports := make([]int, n)
	var routes []string
	for i := range ports {
		ports[i] = freePort(t)
		routes = append(routes, "nats://127.0.0.1:"+strconv.Itoa(ports[i]))
	}
	var srvs []*server.Server
	var urls []string
	for i := range n {
		o := &server.Options{
			ServerName: "s" + strconv.Itoa(i), Host: "127.0.0.1", Port: server.RANDOM_PORT,
			JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "runlet", Host: "127.0.0.1", Port: ports[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		}
		s, err := server.NewServer(o)
		require.NoError(t, err)
		go s.Start()
		t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
		srvs = append(srvs, s)
	}
	for i, s := range srvs {
		require.True(t, s.ReadyForConnections(20*time.Second), "server %d ready", i)
		urls = append(urls, s.ClientURL())
	}
	return srvs, strings.Join(urls, ",")
}

// freePort returns a loopback TCP port free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// clusterClient connects to any server of urls, reconnecting forever (a
// fresh server of urls after one goes away), and returns a JetStream
// client.
func clusterClient(t *testing.T, urls string) jetstream.JetStream {
	t.Helper()
	nc, err := Dial(urls, DialConfig{}, natsgo.MaxReconnects(-1), natsgo.ReconnectWait(50*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return js
}

// supervise runs flow until it returns nil or ctx ends, starting it again
// after each failure, as a process supervisor restarts a worker that
// exited; it counts the restarts.
func supervise(ctx context.Context, t *testing.T, restarts *atomic.Int64, flow func(context.Context) error) error {
	for {
		err := flow(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		t.Logf("restart after: %v", err)
		restarts.Add(1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestCluster3: a flow Publish → Consume/ParallelMap → PublishAcked → a
// local sink, over streams replicated on a 3-server JetStream cluster,
// with two workers on their own connections; the server leading the jobs
// stream is shut down mid-run. Every chunk's result reaches the sink with
// its exact value (the sink keeps one result per chunk id), and both
// streams end empty: every chunk and every result acked.
func TestCluster3(t *testing.T) {
	if testing.Short() {
		t.Skip("a leader election takes seconds")
	}
	srvs, urls := cluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	admin := clusterClient(t, urls)
	var jobs, res jetstream.Stream
	for name, sc := range map[string]jetstream.StreamConfig{"JOBS": WorkQueue("JOBS", 1000, "jobs.>"), "RES": WorkQueue("RES", 1000, "res.>")} {
		sc.Replicas = 3
		var s jetstream.Stream
		eventually(t, "stream "+name+" created (the meta leader elected)", func() bool {
			actx, done := context.WithTimeout(ctx, 2*time.Second)
			defer done()
			var err error
			s, err = admin.CreateOrUpdateStream(actx, sc)
			if err != nil {
				t.Logf("create %s: %v", name, err)
			}
			return err == nil
		})
		if name == "JOBS" {
			jobs = s
		} else {
			res = s
		}
	}

	const n = 300
	var restarts atomic.Int64
	var wg sync.WaitGroup
	wctx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	for w := range 2 {
		js := clusterClient(t, urls)
		wg.Go(func() {
			_ = supervise(wctx, t, &restarts, func(ctx context.Context) error {
				return clusterWorker(ctx, js, w)
			})
		})
	}
	wg.Go(func() {
		js := clusterClient(t, urls)
		id := func(v int) string { return "job-" + strconv.Itoa(v) }
		_ = supervise(ctx, t, &restarts, func(ctx context.Context) error {
			return produce(ctx, js, "jobs.in", ints(n), PublishConfig[int]{ID: id})
		})
	})

	got, seen := map[string]int{}, 0
	sinkJS := clusterClient(t, urls)
	killed := false
	err := supervise(ctx, t, &restarts, func(ctx context.Context) error {
		sctx, done := context.WithCancel(ctx)
		defer done()
		p := pool.New("sink", 16)
		in := pool.NewPend[Msg[int]](p, "in")
		err := runlet.Run(sctx,
			Consume("results", in, ConsumeConfig[int]{JS: sinkJS, Stream: "RES", Durable: "sink", AckWait: time.Second, FetchWait: 100 * time.Millisecond}),
			chip.ForEach("sink", in, func(m Msg[int]) error {
				seen++
				got[m.ID] = m.Value
				if !killed && len(got) >= n/3 {
					killed = true
					shutdownLeader(t, srvs, jobs)
				}
				if err := m.Ack(); err != nil {
					return err
				}
				if len(got) == n {
					done()
				}
				return nil
			}))
		if len(got) == n {
			return nil
		}
		return err
	})
	require.NoError(t, err)
	stopWorkers()
	wg.Wait()
	require.True(t, killed)
	for i := range n {
		require.Equal(t, i*i, got["job-"+strconv.Itoa(i)], "chunk %d", i)
	}
	t.Logf("%d results, %d deliveries to the sink, %d flow restarts (elections at start and after the shutdown)", len(got), seen, restarts.Load())
	eventually(t, "every chunk and result acked", func() bool { return msgs(t, jobs) == 0 && msgs(t, res) == 0 })
}

// clusterWorker is one worker: Consume(JOBS) → ParallelMap(square) →
// PublishAcked(res.out), with a short AckWait so that what a failed worker
// held comes back soon.
func clusterWorker(ctx context.Context, js jetstream.JetStream, w int) error {
	p := pool.New("w"+strconv.Itoa(w), 16)
	in := pool.NewPend[Msg[int]](p, "in")
	out := pool.NewPend[Msg[int]](p, "out")
	return runlet.Run(ctx,
		Consume("jobs", in, ConsumeConfig[int]{JS: js, Stream: "JOBS", Durable: "workers", AckWait: time.Second, FetchWait: 100 * time.Millisecond}),
		chip.ParallelMap("square", in, out, 4, func(ctx context.Context, m Msg[int]) (Msg[int], error) {
			time.Sleep(time.Millisecond) // a little work, so the run spans the shutdown
			return Carry(m, m.Value*m.Value), nil
		}),
		PublishAcked("results", out, PublishConfig[int]{JS: js, Subject: "res.out"}))
}

// shutdownLeader shuts down the server leading stream s.
func shutdownLeader(t *testing.T, srvs []*server.Server, s jetstream.Stream) {
	info, err := s.Info(context.Background())
	if err != nil || info.Cluster == nil {
		t.Errorf("stream info: %v", err)
		return
	}
	for _, srv := range srvs {
		if srv.Name() == info.Cluster.Leader {
			t.Logf("shutting down %s, leader of %s", srv.Name(), info.Config.Name)
			srv.Shutdown()
			return
		}
	}
	t.Errorf("leader %q of %s is none of the servers", info.Cluster.Leader, info.Config.Name)
}
