package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The histogram's percentiles are within 1/32 of the exact ones, over
// values from nanoseconds to seconds, and recording allocates nothing.
func TestHistQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h hist
	var vals []time.Duration
	for range 20000 {
		v := time.Duration(rng.ExpFloat64() * float64(rng.IntN(6)+1) * float64(time.Millisecond))
		vals = append(vals, v)
		h.record(v)
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.95, 0.99} {
		exact := vals[int(q*float64(len(vals)))-1]
		got := h.quantile(q)
		if d := float64(got-exact) / float64(exact); d > 1.0/32+0.001 || d < -1.0/32-0.001 {
			t.Errorf("q%.2f = %v, exact %v (%.2f%% off)", q, got, exact, 100*d)
		}
	}
	l := h.latency()
	if l.Samples != 20000 || l.Max != vals[len(vals)-1] {
		t.Errorf("latency %+v, want 20000 samples and max %v", l, vals[len(vals)-1])
	}
	for _, v := range []uint64{0, 1, 15, 16, 17, 1 << 20, 1<<63 - 1} {
		i := histIndex(v)
		if i < 0 || i >= histBuckets {
			t.Errorf("index of %d = %d, out of [0, %d)", v, i, histBuckets)
		}
		if v < histSub && histValue(i) != int64(v) {
			t.Errorf("value of small %d = %d", v, histValue(i))
		}
	}
	if a := testing.AllocsPerRun(100, func() { h.record(time.Millisecond) }); a != 0 {
		t.Errorf("record allocates %v", a)
	}
	var empty hist
	if empty.quantile(0.5) != 0 {
		t.Error("an empty histogram's median is not 0")
	}
}
