package bench

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// BenchmarkSuperviseRestart measures the latency of a one_for_one restart:
// from the failing process call's return to the next process call (the
// failed pack, re-offered to the chip bound again), over b.N restarts (every
// value fails once). It reports p50 and p99 in ns (restart-p50-ns,
// restart-p99-ns), and, as the baseline in the same run, the p50 of the gap
// between a successful call and the next one (gap-p50-ns). The restart
// includes its slog event (to a discarding handler), the retire, the bind
// (a fresh state) and the scheduler's turn; Async also stops and starts the
// chip's worker goroutine.
func BenchmarkSuperviseRestart(b *testing.B) {
	for _, async := range []bool{false, true} {
		name := "Sync"
		if async {
			name = "Async"
		}
		b.Run(name, func(b *testing.B) { benchRestart(b, async) })
	}
}

var errBench = errors.New("bench: failure")

func benchRestart(b *testing.B, async bool) {
	n := b.N
	failed := make([]bool, n)
	var failAt, okAt time.Time
	lat := make([]time.Duration, 0, n)
	gap := make([]time.Duration, 0, n)
	p := pool.New("p", 1024)
	in, out := pool.NewPend[int](p, "in"), pool.NewPend[int](p, "out")
	values := make([]int, n)
	for i := range values {
		values[i] = i
	}
	f := chip.New(chip.Config[int, int, struct{}]{
		Key: "f", Prev: in, Next: out, Async: async, Concurrency: 1,
		Supervise: chip.Supervise{Restart: chip.Transient},
		Process: func(_ context.Context, pk hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			if pk.Hint == hints.End {
				return hints.EndOf[int](1), nil
			}
			now := time.Now()
			if !failAt.IsZero() {
				lat = append(lat, now.Sub(failAt))
				failAt = time.Time{}
			} else if !okAt.IsZero() {
				gap = append(gap, now.Sub(okAt))
			}
			if !failed[pk.Value] {
				failed[pk.Value] = true
				failAt = time.Now()
				return hints.Pack[int]{}, errBench
			}
			okAt = time.Now()
			return hints.Data(pk.Value), nil
		},
	})
	r := runlet.New([]chip.Chip{
		chip.FromSlice("src", in, values), f,
		chip.ForEach("sink", out, func(int) error { return nil }),
	}, runlet.Config{
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Supervisor: runlet.Supervisor{MaxRestarts: n + 1, Period: time.Hour},
	})
	b.ResetTimer()
	if err := r.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if len(lat) != n {
		b.Fatalf("%d restarts measured, want %d", len(lat), n)
	}
	b.ReportMetric(float64(pct(lat, 50)), "restart-p50-ns")
	b.ReportMetric(float64(pct(lat, 99)), "restart-p99-ns")
	if len(gap) > 0 {
		b.ReportMetric(float64(pct(gap, 50)), "gap-p50-ns")
	}
}

// pct returns the p-th percentile of d (sorted in place).
func pct(d []time.Duration, p int) time.Duration {
	slices.Sort(d)
	return d[min(len(d)*p/100, len(d)-1)]
}
