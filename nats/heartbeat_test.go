package nats

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// beats returns how many InProgress m's handle has sent.
func beats[T any](m Msg[T]) int {
	m.h.mu.Lock()
	defer m.h.mu.Unlock()
	return m.h.beats
}

// TestInProgress: a chunk worked on for several AckWaits is not
// redelivered while its heartbeats last, and is once they are spent
// (Heartbeats bounds how long a stuck worker holds a chunk).
func TestInProgress(t *testing.T) {
	_, _, js := embedded(t, EmbeddedConfig{})
	jobs := stream(t, js, WorkQueue("HB", 10, "hb.>"))
	stream(t, js, WorkQueue("HBR", 10, "hbr.>"))
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	const ackWait = 400 * time.Millisecond

	t.Run("kept", func(t *testing.T) {
		_, err := js.Publish(ctx, "hb.a", []byte("1"))
		require.NoError(t, err)
		wctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		var delivered []int
		go func() {
			done <- worker(wctx, js, ConsumeConfig[int]{Stream: "HB", Subject: "hb.a", Durable: "a", AckWait: ackWait, FetchWait: 50 * time.Millisecond}, "hbr.a",
				func(_ context.Context, m Msg[int]) (int, error) {
					delivered = append(delivered, m.Delivered)
					// Work for 3 heartbeats: 1.5 AckWait.
					for beats(m) < 3 {
						time.Sleep(5 * time.Millisecond)
					}
					return m.Value, nil
				})
		}()
		eventually(t, "the chunk done", func() bool { return msgs(t, jobs) == 0 })
		stop()
		require.ErrorIs(t, <-done, context.Canceled)
		require.Equal(t, []int{1}, delivered, "never redelivered while heartbeats ran")
	})

	t.Run("spent", func(t *testing.T) {
		_, err := js.Publish(ctx, "hb.b", []byte("2"))
		require.NoError(t, err)
		wctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- worker(wctx, js, ConsumeConfig[int]{Stream: "HB", Subject: "hb.b", Durable: "b", AckWait: ackWait, Heartbeats: 1, FetchWait: 50 * time.Millisecond}, "hbr.b",
				func(ctx context.Context, m Msg[int]) (int, error) {
					if m.Delivered == 1 {
						<-ctx.Done() // stuck: the second delivery, on another goroutine, must finish the chunk
						return 0, ctx.Err()
					}
					return m.Value, nil
				})
		}()
		eventually(t, "the chunk redelivered and done", func() bool { return msgs(t, jobs) == 0 })
		stop()
		require.ErrorIs(t, <-done, context.Canceled)
	})
}
