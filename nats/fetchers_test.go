package nats

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// TestFetchers: two workers on one consumer, each with a Consume chip
// making 4 fetches at once, get every message exactly once between them,
// and ack them all.
func TestFetchers(t *testing.T) {
	_, _, js := embedded(t, EmbeddedConfig{})
	s := stream(t, js, WorkQueue("FE", 1000, "fe.>"))
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	const n = 400
	require.NoError(t, produce(ctx, js, "fe.in", ints(n), PublishConfig[int]{ID: func(v int) string { return "fe-" + strconv.Itoa(v) }}))

	var got [n]atomic.Int32
	var total atomic.Int64
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	errs := make(chan error, 2)
	for w := range 2 {
		go func() {
			p := pool.New("w"+strconv.Itoa(w), 64)
			in := pool.NewPend[Msg[int]](p, "in").Size(0, 8)
			errs <- runlet.Run(wctx,
				Consume("fe", in, ConsumeConfig[int]{JS: js, Stream: "FE", Durable: "fe", Fetchers: 4, FetchWait: 50 * time.Millisecond}),
				chip.ForEach("ack", in, func(m Msg[int]) error {
					got[m.Value].Add(1)
					if total.Add(1) == n {
						stop()
					}
					return m.Ack()
				}))
		}()
	}
	for range 2 {
		require.ErrorIs(t, <-errs, context.Canceled)
	}
	for v := range n {
		require.EqualValues(t, 1, got[v].Load(), "value %d", v)
	}
	require.Zero(t, msgs(t, s), "every message acked")
}
