package nats

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// TestStopGivesBack: when a worker's runlet stops with messages pushed but
// not acked, Consume naks them (NakWithDelay), so they come back at once
// rather than after AckWait (a minute here, longer than the test may
// wait); nothing is acked, and no goroutine of the runlet is left.
func TestStopGivesBack(t *testing.T) {
	_, _, js := embedded(t, EmbeddedConfig{})
	s := stream(t, js, WorkQueue("GB", 100, "gb.>"))
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	require.NoError(t, produce(ctx, js, "gb.in", ints(3), PublishConfig[int]{}))
	cc := ConsumeConfig[int]{JS: js, Stream: "GB", Durable: "w", AckWait: time.Minute, RetryDelay: time.Millisecond, FetchWait: 50 * time.Millisecond}
	// The server's goroutines for the consumer are not the runlet's: make
	// the consumer first.
	_, err := js.CreateOrUpdateConsumer(ctx, "GB", cc.ConsumerConfig("jobs"))
	require.NoError(t, err)
	before := runtime.NumGoroutine()

	// The first worker takes all three and stops before acking any.
	wctx, stop := context.WithCancel(ctx)
	p := pool.New("c", 8)
	in := pool.NewPend[Msg[int]](p, "in")
	var held []Msg[int]
	err = runlet.Run(wctx, Consume("jobs", in, cc), chip.ForEach("hold", in, func(m Msg[int]) error {
		held = append(held, m)
		if len(held) == 3 {
			stop()
		}
		return nil
	}))
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, held, 3)
	require.EqualValues(t, 3, msgs(t, s), "nothing acked")
	eventually(t, "the runlet's goroutines gone", func() bool { return runtime.NumGoroutine() <= before })

	// A second worker gets them back, second deliveries, long before AckWait.
	wctx, stop = context.WithCancel(ctx)
	defer stop()
	p = pool.New("c", 8)
	in = pool.NewPend[Msg[int]](p, "in")
	got := map[int]int{}
	err = runlet.Run(wctx, Consume("jobs", in, cc), chip.ForEach("ack", in, func(m Msg[int]) error {
		got[m.Value] = m.Delivered
		if len(got) == 3 {
			stop()
		}
		return m.Ack()
	}))
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, map[int]int{0: 2, 1: 2, 2: 2}, got)
	require.Zero(t, msgs(t, s))
}
