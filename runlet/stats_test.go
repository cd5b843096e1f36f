package runlet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// sleepy is a 1:1 chip that sleeps d per data pack: under synctest its busy
// time is exactly d per pack, and cheap chips take no time at all.
func sleepy(key string, prev, next *pool.Pend[int], async bool, n int, d time.Duration) chip.Chip {
	return chip.New(chip.Config[int, int, struct{}]{
		Key: key, Prev: prev, Next: next, Async: async, Concurrency: n,
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				return hints.EndOf[int](1), nil
			}
			time.Sleep(d)
			return in, nil
		},
	})
}

func chipStats(t *testing.T, s runlet.Snapshot, key string) *runlet.ChipStats {
	t.Helper()
	for _, c := range s.Chips {
		if c.Key == key {
			require.NotNil(t, c.Stats, "chip %s has no stats", key)
			return c.Stats
		}
	}
	t.Fatalf("no chip %s", key)
	return nil
}

// A slow sync stage among cheap ones is the bottleneck: it is busy all the
// run (100 packs x 1 ms), the cheap ones not at all.
func TestStatsBottleneckSlowSyncStage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 16)
		a, b, c, d := ip(p, "a"), ip(p, "b"), ip(p, "c"), ip(p, "d")
		var s sink[int]
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in", a, ints(100)),
			mapper("cheap1", a, b, false, 0, func(v int) int { return v + 1 }),
			sleepy("slow", b, c, false, 0, time.Millisecond),
			mapper("cheap2", c, d, false, 0, func(v int) int { return v * 2 }),
			s.output("out", d),
		}, runlet.Config{Stats: true})
		require.NoError(t, r.Run(context.Background()))
		snap := r.Snapshot()
		require.NotNil(t, snap.Flow)
		require.NotNil(t, snap.Flow.Bottleneck, "%s", snap)
		assert.Equal(t, "slow", snap.Flow.Bottleneck.Chip)
		assert.Contains(t, snap.Flow.Bottleneck.Reason, "busy 100%")
		assert.Equal(t, 100*time.Millisecond, snap.Flow.Elapsed)
		slow := chipStats(t, snap, "slow")
		assert.Equal(t, uint64(101), slow.In) // 100 data packs and END
		assert.Equal(t, uint64(100), slow.Out)
		assert.Equal(t, 100*time.Millisecond, slow.Busy)
		assert.InDelta(t, 1.0, slow.Load, 0.001)
		assert.GreaterOrEqual(t, slow.Latency.Samples, uint64(1))
		assert.InDelta(t, float64(time.Millisecond), float64(slow.Latency.P50), 0.04*float64(time.Millisecond))
		assert.InDelta(t, float64(time.Millisecond), float64(slow.Latency.P99), 0.04*float64(time.Millisecond))
		for _, k := range []string{"in", "cheap1", "cheap2", "out"} {
			cs := chipStats(t, snap, k)
			assert.Zero(t, cs.Busy, "chip %s", k)
			assert.Zero(t, cs.Load, "chip %s", k)
		}
		assert.Equal(t, uint64(100), chipStats(t, snap, "in").Out)
		// cheap1 waits for room behind the slow chip, which the pool of 16
		// holds back; it spends the run held back, not busy.
		assert.Greater(t, chipStats(t, snap, "cheap1").WaitRoom+chipStats(t, snap, "in").WaitRoom, 50*time.Millisecond)

		d1 := r.Describe()
		assert.Contains(t, d1, "#slow [END]")
		line := lineWith(d1, "#slow ")
		assert.True(t, strings.HasSuffix(line, runlet.BottleneckMark), "slow's line: %q", line)
		assert.NotContains(t, lineWith(d1, "#cheap1 "), runlet.BottleneckMark)
		assert.Contains(t, d1, "bottleneck=#slow")
		assert.Contains(t, snap.Mermaid(), "slow (sync, ended, load 100%, BOTTLENECK)")
		assert.Contains(t, snap.DOT(), "BOTTLENECK")
		assert.Contains(t, snap.ASCII(), "BOTTLENECK")
		assert.NotContains(t, snap.Mermaid(), "cheap1 (sync, ended, load 0%, BOTTLENECK)")
	})
}

func lineWith(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// A slow async stage with 2 workers is the bottleneck: its workers are
// busy all the run (100 packs x 2 ms over 2 workers).
func TestStatsBottleneckSlowAsyncStage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 16)
		a, b, c := ip(p, "a"), ip(p, "b"), ip(p, "c")
		var s sink[int]
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in", a, ints(100)),
			sleepy("fetch", a, b, true, 2, 2*time.Millisecond),
			mapper("cheap", b, c, false, 0, func(v int) int { return v }),
			s.output("out", c),
		}, runlet.Config{Stats: true})
		require.NoError(t, r.Run(context.Background()))
		snap := r.Snapshot()
		require.NotNil(t, snap.Flow.Bottleneck, "%s", snap)
		assert.Equal(t, "fetch", snap.Flow.Bottleneck.Chip)
		assert.Contains(t, snap.Flow.Bottleneck.Reason, "its 2 workers busy")
		f := chipStats(t, snap, "fetch")
		assert.Equal(t, 200*time.Millisecond, f.Busy)
		assert.Equal(t, uint64(100), f.Out)
		assert.Equal(t, 100*time.Millisecond, snap.Flow.Elapsed)
		assert.InDelta(t, 1.0, f.Load, 0.001)
		assert.InDelta(t, float64(2*time.Millisecond), float64(f.Latency.P95), 0.04*float64(2*time.Millisecond))
		assert.Len(t, s.Got, 100)
	})
}

// A slow consumer behind a Duplicate is the bottleneck, not its fast peer
// nor the source it holds back.
func TestStatsBottleneckSlowConsumerBehindDuplicate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := pool.New("store", 8)
		fan := logicalpool.New("fan", store)
		a, b := ip(store, "a"), ip(store, "b")
		both, err := logicalpool.Duplicate(fan, "both", []*pool.Pend[int]{a, b}, nil)
		require.NoError(t, err)
		fast, slow := 0, 0
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in", both, ints(50)),
			chip.ForEach("fast", a, func(int) error { fast++; return nil }),
			chip.ForEach("slow", b, func(int) error { time.Sleep(time.Millisecond); slow++; return nil }),
		}, runlet.Config{Stats: true})
		require.NoError(t, r.Run(context.Background()))
		require.Equal(t, 50, fast)
		require.Equal(t, 50, slow)
		snap := r.Snapshot()
		require.NotNil(t, snap.Flow.Bottleneck, "%s", snap)
		assert.Equal(t, "slow", snap.Flow.Bottleneck.Chip)
		assert.Equal(t, 50*time.Millisecond, chipStats(t, snap, "slow").Busy)
		assert.Greater(t, chipStats(t, snap, "in").WaitRoom, 25*time.Millisecond, "the source is held back")
		assert.Zero(t, chipStats(t, snap, "fast").Load)
		// The pends' depth: b is full (8) at some sample while slow lags.
		var high int
		for _, ps := range snap.Flow.Pends {
			if ps.Pend == "b" {
				assert.Equal(t, len(ps.Depth), len(ps.High))
				for _, h := range ps.High {
					high = max(high, h)
				}
			}
		}
		assert.GreaterOrEqual(t, high, 4, "%+v", snap.Flow.Pends)
	})
}

// Off (the default), a snapshot has no statistics, and the JSON no "flow"
// nor chip "stats"; on, they encode under their stable names.
func TestStatsOffAndJSON(t *testing.T) {
	p := pool.New(pk, 16)
	a := ip(p, "a")
	var s sink[int]
	r := newRunlet(chip.FromSlice("in", a, ints(5)), s.output("out", a))
	mustRun(t, r)
	snap := r.Snapshot()
	assert.Nil(t, snap.Flow)
	for _, c := range snap.Chips {
		assert.Nil(t, c.Stats)
	}
	j, err := json.Marshal(snap)
	require.NoError(t, err)
	assert.NotContains(t, string(j), `"flow"`)
	assert.NotContains(t, r.Describe(), "flow:")

	p2 := pool.New(pk, 16)
	a2 := ip(p2, "a")
	var s2 sink[int]
	r2 := runlet.New([]chip.Chip{chip.FromSlice("in", a2, ints(5)), s2.output("out", a2)}, runlet.Config{Stats: true})
	mustRun(t, r2)
	snap2 := r2.Snapshot()
	j, err = json.Marshal(snap2)
	require.NoError(t, err)
	for _, name := range []string{`"flow":`, `"elapsed_ns":`, `"pends":`, `"stats":{"in":`, `"out":5`, `"busy_ns":`,
		`"wait_input_ns":`, `"wait_room_ns":`, `"latency":{"samples":`, `"p95_ns":`, `"in_rate":`, `"load":`, `"restarts":0`,
		`"progress":{"unit":"packs","done":5,"total":5,"eta_ns":0}`} {
		assert.Contains(t, string(j), name)
	}
	var back runlet.Snapshot
	require.NoError(t, json.Unmarshal(j, &back))
	assert.Equal(t, snap2, back)
}

// Progress: a FromSlice reports done/total, and Config.Total gives a count;
// mid-run the ETA is the time left at the rate so far.
func TestStatsProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 4)
		a, b := ip(p, "a"), ip(p, "b")
		var s sink[int]
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in", a, ints(100)),
			sleepy("slow", a, b, true, 1, time.Millisecond),
			s.output("out", b),
		}, runlet.Config{Stats: true})
		done := make(chan error, 1)
		go func() { done <- r.Run(context.Background()) }()
		time.Sleep(50*time.Millisecond + time.Microsecond)
		mid := r.Snapshot()
		require.NotNil(t, mid.Flow.Progress)
		pr := *mid.Flow.Progress
		assert.Equal(t, "packs", pr.Unit)
		assert.Equal(t, int64(100), pr.Total)
		assert.Greater(t, pr.Done, int64(40))
		assert.Less(t, pr.Done, int64(60))
		assert.Greater(t, pr.ETA, 30*time.Millisecond)
		assert.Less(t, pr.ETA, 80*time.Millisecond)
		assert.Contains(t, mid.String(), "progress=")
		require.NoError(t, <-done)
		end := r.Snapshot().Flow.Progress
		assert.Equal(t, int64(100), end.Done)
		assert.Zero(t, end.ETA)

		// Config.Total counts the input chips' packs out.
		p2 := pool.New(pk, 4)
		a2 := ip(p2, "a")
		var s2 sink[int]
		r2 := runlet.New([]chip.Chip{source("gen", a2, ints(30)), s2.output("out", a2)}, runlet.Config{Stats: true, Total: 60})
		require.NoError(t, r2.Run(context.Background()))
		tp := r2.Snapshot().Flow.Progress
		require.NotNil(t, tp)
		assert.Equal(t, runlet.Progress{Unit: "packs", Done: 30, Total: 60, ETA: tp.ETA}, *tp)
		assert.InDelta(t, 0.5, tp.Fraction(), 1e-9)
	})
}

// A FromFile knows its file's size: its progress counts bytes, and a
// mid-run snapshot sees part of the file read; a FromReader over memory
// knows its length.
func TestStatsProgressBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data")
	require.NoError(t, os.WriteFile(path, make([]byte, 10_000), 0o600))
	bufs := pool.NewBuffers(1000)
	for _, src := range []string{"file", "reader"} {
		t.Run(src, func(t *testing.T) {
			bp := pool.NewBytes("bytes", 3000)
			in := pool.NewPend[[]byte](bp, "in")
			var mid *runlet.Progress
			var r *runlet.Runlet
			chunks := 0
			read := chip.FromFile("read", in, path, bufs)
			if src == "reader" {
				read = chip.FromReader("read", in, bytes.NewReader(make([]byte, 10_000)), bufs)
			}
			r = runlet.New([]chip.Chip{
				read,
				chip.ForEach("use", in, func(b []byte) error {
					if chunks++; chunks == 5 {
						mid = r.Snapshot().Chips[0].Stats.Progress // the copy published last
					}
					bufs.Put(b)
					return nil
				}),
			}, runlet.Config{Stats: true})
			require.NoError(t, r.Run(context.Background()))
			end := r.Snapshot()
			p := end.Chips[0].Stats.Progress
			require.NotNil(t, p)
			assert.Equal(t, runlet.Progress{Unit: "bytes", Done: 10_000, Total: 10_000}, *p)
			assert.Equal(t, p, end.Flow.Progress)
			if src == "reader" { // its length is known from the start
				require.NotNil(t, mid)
			}
			if mid != nil { // a copy published before the end: part of the file
				assert.Equal(t, int64(10_000), mid.Total)
				assert.Less(t, mid.Done, int64(10_000))
			}
		})
	}
}

// Statistics allocate nothing per pack, on or off: a run of 100 times more
// packs allocates no more (Chain-like sync flow; the state is made once at
// Attach).
func TestStatsNoAllocationPerPack(t *testing.T) {
	for _, on := range []bool{false, true} {
		allocs := func(n int) float64 {
			return testing.AllocsPerRun(3, func() {
				p := pool.New(pk, 1024)
				a, b, c := ip(p, "a").Size(256, 0), ip(p, "b").Size(256, 0), ip(p, "c").Size(256, 0)
				sum := 0
				r := runlet.New([]chip.Chip{
					source("in", a, make([]int, n)),
					chip.Map("m1", a, b, func(v int) (int, error) { return v + 1, nil }),
					chip.Map("m2", b, c, func(v int) (int, error) { return v + 1, nil }),
					chip.ForEach("sum", c, func(v int) error { sum += v; return nil }),
				}, runlet.Config{Stats: on})
				if err := r.Run(context.Background()); err != nil {
					t.Fatal(err)
				}
			})
		}
		small, large := allocs(1_000), allocs(100_000)
		// 99,000 packs more: one allocation per pack would add 99,000; a
		// few more per run come from the scheduler's hand-offs and
		// publications, which depend on timing (a loaded machine).
		assert.LessOrEqual(t, large, small+50, "stats=%v: %v allocations for 1000 packs, %v for 100000", on, small, large)
	}
}

// Rates and loads are over the last seconds (the sample ring), and each
// pend's depth comes as a ring of samples with now last.
func TestStatsRatesOverWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(pk, 16)
		a, b := ip(p, "a"), ip(p, "b")
		var s sink[int]
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in", a, ints(8000)),
			sleepy("slow", a, b, false, 0, time.Millisecond),
			s.output("out", b),
		}, runlet.Config{Stats: true, Budget: 8})
		done := make(chan error, 1)
		go func() { done <- r.Run(context.Background()) }()
		time.Sleep(7 * time.Second)
		// The scheduler may be inside the slow chip's sleep at this instant
		// (goroutines woken at one fake time run in any order); it
		// publishes between bursts, so ask until the copy is of now.
		snap := r.Snapshot()
		for i := 0; i < 50 && snap.Flow.Elapsed < 7*time.Second; i++ {
			time.Sleep(time.Millisecond)
			snap = r.Snapshot()
		}
		f := snap.Flow
		assert.InDelta(t, float64(5*time.Second), float64(f.Window), float64(300*time.Millisecond))
		assert.InDelta(t, float64(7*time.Second), float64(f.Elapsed), float64(20*time.Millisecond))
		slow := chipStats(t, snap, "slow")
		assert.InDelta(t, 1000, slow.InRate, 10) // 1 pack per ms
		assert.InDelta(t, 1000, slow.OutRate, 10)
		assert.InDelta(t, 1.0, slow.Load, 0.01)
		assert.InDelta(t, 1000, chipStats(t, snap, "out").InRate, 20)
		for _, ps := range f.Pends {
			assert.Len(t, ps.Depth, 22, "pend %s: 21 samples and now", ps.Pend)
			assert.Len(t, ps.High, 22)
			for i := range ps.Depth {
				assert.LessOrEqual(t, ps.Depth[i], ps.High[i])
			}
		}
		require.NoError(t, <-done)
	})
}
