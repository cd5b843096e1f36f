package bench

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// cancelWorkers is how many calls are blocked in "I/O" when ctx is
// cancelled.
const cancelWorkers = 16

// BenchmarkCancel measures the time from cancelling Run's ctx to Run
// returning, while an async chip has cancelWorkers calls blocked in I/O
// (waiting on their ctx, as a well-behaved network call does). It reports
// the median and the 99th percentile over b.N cancellations. The Channels
// baseline is the same work on goroutines and a WaitGroup: the time from
// cancel to Wait returning.
func BenchmarkCancel(b *testing.B) {
	b.Run("Runlet", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		for range b.N {
			lat = append(lat, cancelRunlet(b))
		}
		reportLatency(b, lat)
	})
	b.Run("Channels", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		for range b.N {
			lat = append(lat, cancelChannels())
		}
		reportLatency(b, lat)
	})
}

// blockedIO waits like a network call that honours ctx, counting itself in
// blocked while it waits.
func blockedIO(ctx context.Context, blocked *sync.WaitGroup, once *atomic.Int32) error {
	if once.Add(1) <= cancelWorkers {
		blocked.Done()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Hour):
		return errors.New("not cancelled")
	}
}

// cancelRunlet runs source -> ParallelMap(cancelWorkers, blocked I/O) ->
// sink, cancels ctx once every worker is blocked, and returns how long Run
// took to return after the cancel.
func cancelRunlet(b *testing.B) time.Duration {
	var blocked sync.WaitGroup
	var calls atomic.Int32
	blocked.Add(cancelWorkers)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := pool.New("p", 64)
	items, results := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in", items, make([]int, 1000)),
		chip.ParallelMap("io", items, results, cancelWorkers, func(ctx context.Context, v int) (int, error) {
			return v, blockedIO(ctx, &blocked, &calls)
		}),
		chip.ForEach("out", results, func(int) error { return nil }),
	}, runlet.Config{})
	done := make(chan error, 1)
	var returned time.Time
	go func() {
		err := r.Run(ctx)
		returned = time.Now()
		done <- err
	}()
	blocked.Wait()
	start := time.Now()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		b.Fatalf("Run = %v, want context.Canceled", err)
	}
	return returned.Sub(start)
}

// cancelChannels is the baseline: cancelWorkers goroutines blocked in the
// same I/O, a feeder, and a WaitGroup.
func cancelChannels() time.Duration {
	var blocked, wg sync.WaitGroup
	var calls atomic.Int32
	blocked.Add(cancelWorkers)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := make(chan int)
	wg.Add(cancelWorkers + 1)
	go func() {
		defer wg.Done()
		defer close(in)
		for i := range 1000 {
			select {
			case in <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range cancelWorkers {
		go func() {
			defer wg.Done()
			for range in {
				if blockedIO(ctx, &blocked, &calls) != nil {
					return
				}
			}
		}()
	}
	blocked.Wait()
	start := time.Now()
	cancel()
	wg.Wait()
	return time.Since(start)
}

// reportLatency reports the median and 99th percentile of lat in µs.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	q := func(f float64) float64 {
		return float64(lat[min(len(lat)-1, int(f*float64(len(lat))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(q(0.5), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(0, "ns/op")
}

// TestCancelStopsBlockedIO checks what BenchmarkCancel measures: Run returns
// context.Canceled after a cancel while every worker is blocked, because the
// workers' ctx is cancelled too (a worker that ignored it would block Run
// for the hour).
func TestCancelStopsBlockedIO(t *testing.T) {
	var blocked sync.WaitGroup
	var calls, cancelled atomic.Int32
	blocked.Add(cancelWorkers)
	ctx, cancel := context.WithCancel(context.Background())
	p := pool.New("p", 64)
	items, results := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in", items, make([]int, 1000)),
		chip.ParallelMap("io", items, results, cancelWorkers, func(ctx context.Context, v int) (int, error) {
			err := blockedIO(ctx, &blocked, &calls)
			if errors.Is(err, context.Canceled) {
				cancelled.Add(1)
			}
			return v, err
		}),
		chip.ForEach("out", results, func(int) error { return nil }),
	}, runlet.Config{})
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	blocked.Wait()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return a minute after the cancel")
	}
	if n := cancelled.Load(); n != cancelWorkers {
		t.Errorf("%d blocked calls saw their ctx cancelled, want %d", n, cancelWorkers)
	}
}
