package nats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// The benchmarks run a ventilator, W workers and a sink as goroutines of
// this process, each on its own connection over loopback TCP to an
// embedded server (Listen: true), with file-backed WorkQueue streams JOBS
// and RES: the same messages, round trips and storage as separate
// processes, less the process switches.
//
//	go test -run XXX -bench 'Chunks' -benchtime 3000x -count 6 | tee chunks.txt
//	go test -run XXX -bench 'Request16' -benchtime 200x -count 6 | tee req.txt
//	benchstat chunks.txt req.txt

// benchChunk is a chunk of a request; benchResult its result.
type benchChunk struct {
	Req int `json:"req"`
	I   int `json:"i"`
}

type benchResult struct {
	Req int    `json:"req"`
	I   int    `json:"i"`
	V   uint64 `json:"v"`
}

// spin is the chunks' CPU-bound work: 4000 rounds of an FNV-style hash,
// about 10 µs.
func spin(c benchChunk) benchResult {
	h := uint64(14695981039346656037) ^ uint64(c.I)
	for range 4000 {
		h = (h ^ (h >> 29)) * 1099511628211
	}
	return benchResult{Req: c.Req, I: c.I, V: h}
}

func chunkID(c benchChunk) string { return strconv.Itoa(c.Req) + "." + strconv.Itoa(c.I) }

// benchWorkerConc is how many chunks a worker works at once: Consume's
// Fetchers, ParallelMap's n and PublishAcked's Concurrency for runlet,
// goroutines for the plain loop.
const benchWorkerConc = 4

// benchEnv is a server with its streams, the ventilator's client and the
// sink, which reports every distinct result on results.
type benchEnv struct {
	e       *Embedded
	vent    jetstream.JetStream
	results chan benchResult
}

func newBenchEnv(b testing.TB) *benchEnv {
	b.Helper()
	e, err := StartEmbedded(EmbeddedConfig{Listen: true})
	if err != nil {
		b.Fatal(err)
	}
	env := &benchEnv{e: e, results: make(chan benchResult, 1024)}
	b.Cleanup(e.Shutdown)
	env.vent = env.js(b)
	ctx := context.Background()
	for _, sc := range []jetstream.StreamConfig{WorkQueue("JOBS", 100000, "jobs.>"), WorkQueue("RES", 100000, "res.>")} {
		if _, err := env.vent.CreateOrUpdateStream(ctx, sc); err != nil {
			b.Fatal(err)
		}
	}
	cons, err := env.vent.CreateOrUpdateConsumer(ctx, "RES", jetstream.ConsumerConfig{Durable: "sink", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		b.Fatal(err)
	}
	seen := map[string]bool{}
	cc, err := cons.Consume(func(m jetstream.Msg) { // one goroutine: seen needs no lock
		var r benchResult
		if json.Unmarshal(m.Data(), &r) == nil && !seen[m.Headers().Get(natsgo.MsgIdHdr)] {
			seen[m.Headers().Get(natsgo.MsgIdHdr)] = true
			env.results <- r
		}
		_ = m.Ack()
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cc.Stop)
	return env
}

// js returns a JetStream client on a connection of its own.
func (env *benchEnv) js(b testing.TB) jetstream.JetStream {
	nc, err := env.e.Connect()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	return js
}

// startWorkers starts w workers of kind "runlet" or "plain", each on its
// own connection; they stop before their connections close.
func (env *benchEnv) startWorkers(b *testing.B, kind string, w int) {
	var clients []jetstream.JetStream
	for range w {
		clients = append(clients, env.js(b))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	b.Cleanup(func() { cancel(); wg.Wait() })
	for _, js := range clients {
		wg.Go(func() {
			var err error
			if kind == "runlet" {
				err = runletWorker(ctx, js)
			} else {
				err = plainWorker(ctx, js)
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				b.Error(err)
			}
		})
	}
}

// runletWorker is the worker of the example: Consume → ParallelMap →
// PublishAcked.
func runletWorker(ctx context.Context, js jetstream.JetStream) error {
	p := pool.New("worker", 64)
	in := pool.NewPend[Msg[benchChunk]](p, "in")
	out := pool.NewPend[Msg[benchResult]](p, "out")
	return runlet.Run(ctx,
		Consume("jobs", in, ConsumeConfig[benchChunk]{JS: js, Stream: "JOBS", Durable: "workers", FetchWait: 100 * time.Millisecond, Fetchers: benchWorkerConc}),
		chip.ParallelMap("work", in, out, benchWorkerConc, func(_ context.Context, m Msg[benchChunk]) (Msg[benchResult], error) {
			return Carry(m, spin(m.Value)), nil
		}),
		PublishAcked("results", out, PublishConfig[benchResult]{JS: js, Subject: "res.out", Concurrency: benchWorkerConc}))
}

// plainWorker does what runletWorker does with nats.go alone:
// benchWorkerConc goroutines, each fetching one chunk, working it,
// publishing its result under the chunk's id, waiting for the PubAck and
// acking the chunk (double ack, as PublishAcked does).
func plainWorker(ctx context.Context, js jetstream.JetStream) error {
	cons, err := js.CreateOrUpdateConsumer(ctx, "JOBS", jetstream.ConsumerConfig{Durable: "workers", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxDeliver: 6})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, benchWorkerConc)
	for range benchWorkerConc {
		wg.Go(func() { errs <- plainLoop(ctx, js, cons) })
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func plainLoop(ctx context.Context, js jetstream.JetStream, cons jetstream.Consumer) error {
	for {
		fctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		m, err := cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			continue // no message within the wait
		}
		var c benchChunk
		if err := json.Unmarshal(m.Data(), &c); err != nil {
			return err
		}
		data, _ := json.Marshal(spin(c))
		if _, err := js.Publish(ctx, "res.out", data, jetstream.WithMsgID(m.Headers().Get(natsgo.MsgIdHdr))); err != nil {
			return err
		}
		if err := m.DoubleAck(ctx); err != nil {
			return err
		}
	}
}

// ventilate publishes the chunks of request req, n of them, and waits for
// their PubAcks; it runs in a goroutine of its own.
func (env *benchEnv) ventilate(b testing.TB, req, n int) {
	for i := range n {
		c := benchChunk{Req: req, I: i}
		data, _ := json.Marshal(c)
		if _, err := env.vent.PublishAsync("jobs.in", data, jetstream.WithMsgID(chunkID(c))); err != nil {
			b.Error(err)
			return
		}
	}
	<-env.vent.PublishAsyncComplete()
}

// BenchmarkChunks: chunks per second through ventilator → W workers →
// sink, each b.N chunks of one request, for runlet's worker and the plain
// nats.go loop.
func BenchmarkChunks(b *testing.B) {
	for _, kind := range []string{"runlet", "plain"} {
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", kind, w), func(b *testing.B) {
				env := newBenchEnv(b)
				env.startWorkers(b, kind, w)
				b.ResetTimer()
				go env.ventilate(b, 0, b.N)
				for range b.N {
					<-env.results
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
			})
		}
	}
}

// BenchmarkRequest16: the latency of one request of 16 chunks, from the
// ventilator's first publish to the sink's 16th distinct result, one
// request at a time, with 2 workers; p50 and p99 over b.N requests.
func BenchmarkRequest16(b *testing.B) {
	for _, kind := range []string{"runlet", "plain"} {
		b.Run(kind, func(b *testing.B) {
			env := newBenchEnv(b)
			env.startWorkers(b, kind, 2)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for req := range b.N {
				start := time.Now()
				go env.ventilate(b, req, 16)
				for range 16 {
					if r := <-env.results; r.Req != req {
						b.Fatalf("result of request %d during request %d", r.Req, req)
					}
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
