// Command worker is the worker process of the nats package's tests: it
// squares the chunks of the JOBS stream and publishes them to res.out,
// acking each chunk after its result's PubAck. On the first delivery of
// the chunk named by -hang it prints "working <n>" and hangs, to be killed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/runlet/runlet/chip"
	rnats "github.com/runlet/runlet/nats"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

func main() {
	url := flag.String("url", "", "server URL")
	hang := flag.Int("hang", -1, "hang on the first delivery of this chunk")
	ackWait := flag.Duration("ackwait", time.Second, "AckWait")
	flag.Parse()
	if err := run(*url, *hang, *ackWait); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(url string, hang int, ackWait time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	nc, err := rnats.Dial(url, rnats.DialConfig{User: os.Getenv("RUNLET_NATS_USER"), Password: os.Getenv("RUNLET_NATS_PASSWORD")})
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	p := pool.New("w", 8)
	in := pool.NewPend[rnats.Msg[int]](p, "in")
	out := pool.NewPend[rnats.Msg[int]](p, "out")
	err = runlet.Run(ctx,
		rnats.Consume("jobs", in, rnats.ConsumeConfig[int]{JS: js, Stream: "JOBS", Durable: "workers", AckWait: ackWait, FetchWait: 100 * time.Millisecond}),
		chip.ParallelMap("square", in, out, 2, func(ctx context.Context, m rnats.Msg[int]) (rnats.Msg[int], error) {
			if m.Value == hang && m.Delivered == 1 {
				fmt.Printf("working %d\n", m.Value)
				<-ctx.Done()
				return m, ctx.Err()
			}
			return rnats.Carry(m, m.Value*m.Value), nil
		}),
		rnats.PublishAcked("results", out, rnats.PublishConfig[int]{JS: js, Subject: "res.out"}))
	if ctx.Err() != nil {
		return nil // stopped by a signal
	}
	return err
}
