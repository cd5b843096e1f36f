package nats

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// chipState returns the state of the chip key in s, or "".
func chipState(s Seen, key string) string {
	for _, c := range s.Snapshot.Chips {
		if c.Key == key {
			return c.State
		}
	}
	return ""
}

// seenAs reports whether the watcher's latest snapshot of name has the
// runlet state state and the chip key in chipSt.
func seenAs(w *Watcher, name, state, key, chipSt string) bool {
	for _, s := range w.Latest() {
		if s.Name == name {
			return s.Snapshot.State == state && chipState(s, key) == chipSt
		}
	}
	return false
}

// TestWatchSnapshots: two runlets publish their snapshots under one
// prefix; the watcher sees both by name with their chips' states, follows
// one of them live from busy to ended, counts a message that is not a
// snapshot, and writes them all in one view.
func TestWatchSnapshots(t *testing.T) {
	_, nc, _ := embedded(t, EmbeddedConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	w, err := WatchSnapshots(ctx, nc, "snap.flow1")
	require.NoError(t, err)

	// worker-1 holds a chunk in its ParallelMap until release is closed.
	release := make(chan struct{})
	p1 := pool.New("w1", 8)
	in1, out1 := pool.NewPend[int](p1, "in"), pool.NewPend[int](p1, "out")
	r1 := runlet.New([]chip.Chip{
		chip.FromSlice("chunks", in1, []int{1, 2}),
		chip.ParallelMap("work", in1, out1, 1, func(_ context.Context, v int) (int, error) { <-release; return v, nil }),
		chip.ForEach("sink", out1, func(int) error { return nil }),
	}, runlet.Config{})
	// worker-2 has run to its end.
	p2 := pool.New("w2", 8)
	in2 := pool.NewPend[int](p2, "in")
	r2 := runlet.New([]chip.Chip{
		chip.FromSlice("chunks", in2, []int{1, 2, 3}),
		chip.ForEach("sink", in2, func(int) error { return nil }),
	}, runlet.Config{})
	require.NoError(t, r2.Run(ctx))

	pctx, stop := context.WithCancel(ctx)
	done := make(chan error, 3)
	go func() { done <- r1.Run(ctx) }()
	go func() { done <- PublishSnapshots(pctx, nc, "snap.flow1.worker-1", r1, 20*time.Millisecond) }()
	go func() { done <- PublishSnapshots(pctx, nc, "snap.flow1.worker-2", r2, 20*time.Millisecond) }()

	eventually(t, "both workers seen", func() bool {
		return seenAs(w, "worker-1", "running", "work", runlet.ChipBusy) && seenAs(w, "worker-2", "ended", "sink", runlet.ChipEnded)
	})
	require.NoError(t, nc.Publish("snap.flow1.oops", []byte("{not json")))
	var view strings.Builder
	eventually(t, "the bad message counted", func() bool {
		view.Reset()
		n, err := w.WriteTo(&view)
		require.NoError(t, err)
		require.EqualValues(t, view.Len(), n)
		return strings.Contains(view.String(), "1 messages were not snapshots; latest: snap.flow1.oops: not a snapshot")
	})
	v := view.String()
	require.Less(t, strings.Index(v, "worker-1"), strings.Index(v, "worker-2"), v)
	require.Regexp(t, `(?m)^worker-1\s+running\s+hits \d+`, v)
	require.Regexp(t, `(?m)^  work\s+busy\s+RUN x\d`, v)
	require.Regexp(t, `(?m)^worker-2\s+ended\s+hits \d+`, v)
	require.Len(t, w.Latest(), 2, "the bad message is no process")

	close(release)
	require.NoError(t, <-done, "worker-1 ends")
	eventually(t, "worker-1 seen ended", func() bool { return seenAs(w, "worker-1", "ended", "work", runlet.ChipEnded) })
	stop()
	for range 2 {
		require.ErrorIs(t, <-done, context.Canceled)
	}
	_, err = WatchSnapshots(ctx, nc, "snap.>")
	require.ErrorContains(t, err, "WatchSnapshots snap.>")
	require.ErrorContains(t, PublishSnapshots(ctx, nc, "snap.x", r1, 0), "interval 0s")
}
