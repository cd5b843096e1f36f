package nats_test

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/runlet/runlet/chip"
	rnats "github.com/runlet/runlet/nats"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A producer, a worker and a sink, each its own runlet (each could be its
// own process), joined by two JetStream streams on an embedded server. The
// worker acks each job only once its result is stored.
func Example() {
	srv, err := rnats.StartEmbedded(rnats.EmbeddedConfig{})
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown()
	nc, err := srv.Connect()
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, sc := range []jetstream.StreamConfig{rnats.WorkQueue("JOBS", 100, "jobs.>"), rnats.WorkQueue("RES", 100, "res.>")} {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			panic(err)
		}
	}

	// The producer: jobs 1..4, with ids for deduplication, then an end marker.
	p := pool.New("producer", 8)
	jobs := pool.NewPend[int](p, "jobs")
	err = runlet.Run(ctx, chip.FromSlice("jobs", jobs, []int{1, 2, 3, 4}),
		rnats.Publish("publish", jobs, rnats.PublishConfig[int]{JS: js, Subject: "jobs.in", End: true,
			ID: func(v int) string { return "job-" + strconv.Itoa(v) }}))
	if err != nil {
		panic(err)
	}

	// The worker: square each job; the end marker ends its flow and the
	// result stream's.
	w := pool.New("worker", 8)
	in := pool.NewPend[rnats.Msg[int]](w, "in")
	out := pool.NewPend[rnats.Msg[int]](w, "out")
	err = runlet.Run(ctx,
		rnats.Consume("jobs", in, rnats.ConsumeConfig[int]{JS: js, Stream: "JOBS", Durable: "workers"}),
		chip.Map("square", in, out, func(m rnats.Msg[int]) (rnats.Msg[int], error) {
			return rnats.Carry(m, m.Value*m.Value), nil
		}),
		rnats.PublishAcked("results", out, rnats.PublishConfig[int]{JS: js, Subject: "res.out", End: true}))
	if err != nil {
		panic(err)
	}

	// The sink: print each result with the job it came from, ack it.
	s := pool.New("sink", 8)
	res := pool.NewPend[rnats.Msg[int]](s, "res")
	err = runlet.Run(ctx,
		rnats.Consume("results", res, rnats.ConsumeConfig[int]{JS: js, Stream: "RES"}),
		chip.ForEach("print", res, func(m rnats.Msg[int]) error {
			fmt.Println(m.ID, m.Value)
			return m.Ack()
		}))
	fmt.Println(err)
	// Output:
	// job-1 1
	// job-2 4
	// job-3 9
	// job-4 16
	// <nil>
}
