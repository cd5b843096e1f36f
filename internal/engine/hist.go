package engine

import (
	"math/bits"
	"time"
)

// hist is a log-linear histogram of durations in nanoseconds: values below
// 16 ns have a bucket each, and every power of two above is cut into 16
// equal buckets, so a percentile read from it is within 1/32 (about 3%) of
// the true value, from nanoseconds to hours. It is our own rather than
// hdrhistogram-go's so that the core module keeps no dependency, recording
// is an index computation and an increment (no allocation, no lock: only
// the scheduler records), and its size is fixed (histBuckets counters, 8 KiB
// a chip, only when statistics are on).
//
// The zero value is an empty histogram.
type hist struct {
	counts [histBuckets]uint64
	n      uint64
	max    int64
}

const (
	histSub     = 16 // buckets per power of two
	histSubBits = 4
	histBuckets = histSub + (63-histSubBits+1)*histSub
)

// record adds one observation of d (negative counts as 0).
func (h *hist) record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[histIndex(uint64(v))]++
	h.n++
	if v > h.max {
		h.max = v
	}
}

// histIndex is the bucket of v.
func histIndex(v uint64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - 1 // v's highest bit; e >= histSubBits
	sub := int(v>>(e-histSubBits)) & (histSub - 1)
	return histSub + (e-histSubBits)*histSub + sub
}

// histValue is the middle of bucket i.
func histValue(i int) int64 {
	if i < histSub {
		return int64(i)
	}
	e := (i-histSub)/histSub + histSubBits
	sub := (i - histSub) % histSub
	width := int64(1) << (e - histSubBits)
	return (int64(histSub+sub) << (e - histSubBits)) + width/2
}

// quantile returns the value below which a fraction q of the observations
// fall (the middle of its bucket, at most the largest observation), or 0
// when there are none.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(histValue(i), h.max))
		}
	}
	return time.Duration(h.max)
}

// latency summarises h.
func (h *hist) latency() Latency {
	return Latency{Samples: h.n, P50: h.quantile(0.50), P95: h.quantile(0.95),
		P99: h.quantile(0.99), Max: time.Duration(h.max)}
}
