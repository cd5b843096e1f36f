package bench

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// drainWorkers is how many async I/O calls are in flight when the drain
// comes; drainCall is how long each takes.
const (
	drainWorkers = 64
	drainCall    = 5 * time.Millisecond
)

// drainRun is one drained run: the times from the Drain call to Run
// returning (total) and to the end of the last I/O call (lastCall), the
// I/O calls that started after the drain (packs that were queued before the
// I/O chip), and the values produced and written.
type drainRun struct {
	total, lastCall     time.Duration
	after               int64
	produced, delivered int64
}

// runDrain runs source -> ParallelMap(drainWorkers, a 5ms sleep) -> sink in
// a pool of drainWorkers packs, drains it once 4*drainWorkers calls have
// returned (the I/O chip then has its drainWorkers calls in flight), and
// measures the drain.
func runDrain() drainRun {
	var produced, delivered, done, after, lastEnd atomic.Int64
	var drainAt atomic.Int64
	p := pool.New("p", drainWorkers)
	items, results := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
	r := runlet.New([]chip.Chip{
		chip.NewInput("src", items, nil, func(context.Context, *struct{}) (hints.Pack[int], error) {
			return hints.Data(int(produced.Add(1))), nil
		}),
		chip.ParallelMap("io", items, results, drainWorkers, func(_ context.Context, v int) (int, error) {
			if at := drainAt.Load(); at != 0 && time.Now().UnixNano() > at {
				after.Add(1)
			}
			time.Sleep(drainCall)
			end := time.Now().UnixNano()
			for {
				last := lastEnd.Load()
				if end <= last || lastEnd.CompareAndSwap(last, end) {
					break
				}
			}
			done.Add(1)
			return v, nil
		}),
		chip.ForEach("sink", results, func(int) error { delivered.Add(1); return nil }),
	}, runlet.Config{})
	ran := make(chan error, 1)
	go func() { ran <- r.Run(context.Background()) }()
	for done.Load() < 4*drainWorkers {
		time.Sleep(100 * time.Microsecond)
	}
	t0 := time.Now()
	drainAt.Store(t0.UnixNano())
	if err := r.Drain(context.Background()); err != nil {
		panic(err)
	}
	if err := <-ran; err != nil {
		panic(err)
	}
	total := time.Since(t0)
	return drainRun{
		total: total, lastCall: time.Duration(lastEnd.Load() - t0.UnixNano()),
		after: after.Load(), produced: produced.Load(), delivered: delivered.Load(),
	}
}

// BenchmarkDrain measures a graceful drain of a flow with drainWorkers async
// I/O calls of drainCall in flight: from the Drain call to Run returning
// (drain-ms), against the end of the slowest call that had to finish
// (lastcall-ms: the calls in flight, plus those the packs queued before the
// I/O chip then started), and the scheduler's own share, from that call's
// end to Run returning (tail-µs). Medians over b.N drains; ns/op is
// meaningless here and set to 0.
func BenchmarkDrain(b *testing.B) {
	var total, last, tail []float64
	var after []int64
	for range b.N {
		d := runDrain()
		if d.produced != d.delivered {
			b.Fatalf("produced %d, delivered %d", d.produced, d.delivered)
		}
		total = append(total, float64(d.total)/1e6)
		last = append(last, float64(d.lastCall)/1e6)
		tail = append(tail, float64(d.total-d.lastCall)/1e3)
		after = append(after, d.after)
	}
	med := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	slices.Sort(after)
	b.ReportMetric(med(total), "drain-ms")
	b.ReportMetric(med(last), "lastcall-ms")
	b.ReportMetric(med(tail), "tail-µs")
	b.ReportMetric(float64(after[len(after)/2]), "calls-after")
	b.ReportMetric(0, "ns/op")
}

// TestDrainBenchFlow checks what BenchmarkDrain measures: the drain loses
// nothing (every value produced is delivered), Run returns after the last
// I/O call has ended, and not before the calls in flight could finish.
func TestDrainBenchFlow(t *testing.T) {
	d := runDrain()
	if d.produced != d.delivered {
		t.Fatalf("produced %d, delivered %d", d.produced, d.delivered)
	}
	if d.total < d.lastCall {
		t.Fatalf("Run returned %v after the drain, before the last call ended (%v)", d.total, d.lastCall)
	}
	if d.produced < 4*drainWorkers {
		t.Fatalf("only %d values produced", d.produced)
	}
}
