package bench

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	kitsune "github.com/zenbaku/go-kitsune"
)

// The stateful workloads below (issue 18) each run one of chip's stateful
// operators against go-kitsune's equivalent, a hand-written
// goroutines-and-channels version and a plain loop. Every system folds what
// comes out, in order, into one FNV-1a hash (mix), so equal checksums mean
// equal outputs, value for value and in the same order: the systems do the
// same work. TestWorkloads checks each against a reference on small counts.

// mix folds v into the FNV-1a hash h; hashStart is the empty hash.
func mix(h, v uint64) uint64 { return (h ^ v) * 1099511628211 }

const hashStart uint64 = 14695981039346656037

// The sliding window: size values, a new window every step (each value is
// in size/step windows).
const (
	winSize = 10
	winStep = 5
)

// hashWindow folds a window into h: its length, then its values. A window
// shorter than winSize (runlet's and the hand-written ones' last window at
// END; go-kitsune drops it) is skipped, so every system hashes the same full
// windows.
func hashWindow(h uint64, w []int) uint64 {
	if len(w) < winSize {
		return h
	}
	h = mix(h, uint64(len(w)))
	for _, v := range w {
		h = mix(h, uint64(v))
	}
	return h
}

// windowRef is the reference: the full windows of 0..n-1, hashed.
func windowRef(n int) uint64 {
	h := hashStart
	w := make([]int, winSize)
	for i := 0; i+winSize <= n; i += winStep {
		for j := range w {
			w[j] = i + j
		}
		h = hashWindow(h, w)
	}
	return h
}

// slider is the hand-written sliding window of the loop and the channels
// version: it keeps the open window in a buffer of winSize values and
// returns each full window as a new slice (the downstream owns it, as it
// owns runlet's and go-kitsune's windows), then slides by winStep.
type slider struct{ buf []int }

func (s *slider) add(v int) []int {
	s.buf = append(s.buf, v)
	if len(s.buf) < winSize {
		return nil
	}
	w := append([]int(nil), s.buf...)
	n := copy(s.buf, s.buf[winStep:])
	s.buf = s.buf[:n]
	return w
}

// slidingWindow is a SlidingWindow(10, 5) by count over 0..n-1, each window
// hashed. Items are the n inputs; each system allocates one slice per
// window (n/5 windows), which its allocs/item shows as about 0.2.
//
// Loop is the plain loop (one window buffer, a new slice per window);
// Channels a source goroutine, a window goroutine and the consumer, joined
// by channels buffered 1024; Runlet chip.SlidingWindow; Kitsune
// kitsune.SlidingWindow.
var slidingWindow = workload{
	name: "SlidingWindow",
	want: windowRef,
	systems: []system{
		{"Loop", func(n int) (uint64, error) {
			h := hashStart
			s := slider{buf: make([]int, 0, winSize)}
			for i := range n {
				if w := s.add(i); w != nil {
					h = hashWindow(h, w)
				}
			}
			return h, nil
		}},
		{"Channels", func(n int) (uint64, error) {
			in, out := chanCount(n), make(chan []int, 1024)
			go func() {
				s := slider{buf: make([]int, 0, winSize)}
				for v := range in {
					if w := s.add(v); w != nil {
						out <- w
					}
				}
				close(out)
			}()
			h := hashStart
			for w := range out {
				h = hashWindow(h, w)
			}
			return h, nil
		}},
		{"Runlet", func(n int) (uint64, error) {
			h := hashStart
			p := newPool()
			a, b := at[int](p, "a"), at[[]int](p, "b")
			err := runRunlet(
				count("in", a, n),
				chip.SlidingWindow("win", a, b, winSize, winStep),
				chip.ForEach("hash", b, func(w []int) error { h = hashWindow(h, w); return nil }),
			)
			return h, err
		}},
		{"Kitsune", func(n int) (uint64, error) {
			h := hashStart
			p := kitsune.SlidingWindow(kitsuneCount(n), winSize, winStep)
			_, err := p.ForEach(func(_ context.Context, w []int) error { h = hashWindow(h, w); return nil }).Run(context.Background())
			return h, err
		}},
	},
}

func BenchmarkSlidingWindow(b *testing.B) { benchWorkload(b, slidingWindow) }

// distinctKeys is how many keys the distinct workload's values have, and
// distinctLRU the LRU's size: larger, so the LRU never evicts and its output
// is go-kitsune's (whose DistinctBy remembers every key).
const (
	distinctKeys = 1000
	distinctLRU  = 1024
)

// distinctKey is value v's key: a hash of v into distinctKeys keys, so keys
// repeat irregularly, as in a real stream.
func distinctKey(v int) int {
	x := uint64(v) * 0x9e3779b97f4a7c15
	return int((x ^ x>>29) % distinctKeys)
}

// distinctRef is the reference: the hash of the first value of each key.
func distinctRef(n int) uint64 {
	h := hashStart
	seen := make(map[int]bool, distinctKeys)
	for i := range n {
		if k := distinctKey(i); !seen[k] {
			seen[k] = true
			h = mix(h, uint64(i))
		}
	}
	return h
}

// distinctBy keeps the first value of each key of 0..n-1 (distinctKey) and
// hashes them. Items are the n inputs; once every key is seen (after a few
// thousand items) every value is a hit and is dropped, so the figure is the
// cost of a hit.
//
// Runlet is chip.DistinctBy with an LRU(1024), which on a hit also moves
// the key to the front of its recency list; Kitsune is kitsune.DistinctBy,
// a map of every key seen (no bound, no recency). Loop and Channels use a
// map too, as a hand-written version would when the keys are known to be
// few: the same output with less work than an LRU, so they are the limit.
var distinctBy = workload{
	name: "DistinctBy",
	want: distinctRef,
	systems: []system{
		{"Loop", func(n int) (uint64, error) { return distinctRef(n), nil }},
		{"Channels", func(n int) (uint64, error) {
			in, out := chanCount(n), make(chan int, 1024)
			go func() {
				seen := make(map[int]bool, distinctKeys)
				for v := range in {
					if k := distinctKey(v); !seen[k] {
						seen[k] = true
						out <- v
					}
				}
				close(out)
			}()
			h := hashStart
			for v := range out {
				h = mix(h, uint64(v))
			}
			return h, nil
		}},
		{"Runlet", func(n int) (uint64, error) {
			h := hashStart
			p := newPool()
			a, b := at[int](p, "a"), at[int](p, "b")
			err := runRunlet(
				count("in", a, n),
				chip.DistinctBy("distinct", a, b, chip.LRU(distinctLRU), func(v int) (int, error) { return distinctKey(v), nil }),
				chip.ForEach("hash", b, func(v int) error { h = mix(h, uint64(v)); return nil }),
			)
			return h, err
		}},
		{"Kitsune", func(n int) (uint64, error) {
			h := hashStart
			p := kitsune.DistinctBy(kitsuneCount(n), distinctKey)
			_, err := p.ForEach(func(_ context.Context, v int) error { h = mix(h, uint64(v)); return nil }).Run(context.Background())
			return h, err
		}},
	},
}

func BenchmarkDistinctBy(b *testing.B) { benchWorkload(b, distinctBy) }

// The lookup: batches of lookupBatch values, lookupInFlight bulk calls in
// flight, each call a 1 ms sleep standing in for a database round trip.
const (
	lookupBatch    = 100
	lookupInFlight = 4
	lookupKeys     = 1000
)

func lookupKey(v int) int { return v % lookupKeys }

// bulkLookup is the simulated bulk call: it sleeps 1 ms and returns each
// key's data (3k+1).
func bulkLookup(_ context.Context, keys []int) (map[int]int, error) {
	time.Sleep(time.Millisecond)
	m := make(map[int]int, len(keys))
	for _, k := range keys {
		m[k] = 3*k + 1
	}
	return m, nil
}

// lookupRef is the reference: each value and its data, in input order.
func lookupRef(n int) uint64 {
	h := hashStart
	for i := range n {
		h = mix(mix(h, uint64(i)), uint64(3*lookupKey(i)+1))
	}
	return h
}

// lookupBatchOf looks up one batch as every system does: its distinct keys
// in first-seen order, one bulk call, then each value's data in order.
func lookupBatchOf(batch []int) ([]int, error) {
	seen := make(map[int]bool, len(batch))
	keys := make([]int, 0, len(batch))
	for _, v := range batch {
		if k := lookupKey(v); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	m, err := bulkLookup(context.Background(), keys)
	if err != nil {
		return nil, err
	}
	data := make([]int, len(batch))
	for i, v := range batch {
		data[i] = m[lookupKey(v)]
	}
	return data, nil
}

// lookup enriches 0..n-1 with their data through batched bulk calls
// (lookupBatch values a call, lookupInFlight calls in flight, results in
// input order) and hashes each value with its data. Items are the n inputs;
// the limit is lookupInFlight*lookupBatch items per sleep (about 2.8 µs an
// item with a 1.1 ms sleep), which %limit reports against.
//
// Loop splits the batches among lookupInFlight goroutines, each writing its
// batches' data into one result slice, hashed in order at the end: the
// limit, with no hand-off. Channels is a batching goroutine, lookupInFlight
// workers and a consumer that puts the batches back in order; Runlet is
// chip.Lookup; Kitsune is kitsune.LookupBy with Concurrency and Ordered.
// Every system makes the same bulk calls on the same keys.
var lookup = workload{
	name: "Lookup",
	want: lookupRef,
	report: func(b *testing.B, nsPerItem float64) {
		b.ReportMetric(100*sleepNs()/(lookupInFlight*lookupBatch*nsPerItem), "%limit")
	},
	systems: []system{
		{"Loop", lookupLoop},
		{"Channels", lookupChannels},
		{"Runlet", func(n int) (uint64, error) {
			h := hashStart
			p := newPool()
			a, b := at[int](p, "a"), at[chip.Looked[int, int]](p, "b")
			chips := append(chip.Lookup(chip.LookupConfig[int, int, int]{
				Key: "lookup", Prev: a, Next: b, KeyOf: lookupKey, Bulk: bulkLookup,
				BatchSize: lookupBatch, Concurrency: lookupInFlight,
			}), count("in", a, n), chip.ForEach("hash", b, func(l chip.Looked[int, int]) error {
				h = mix(mix(h, uint64(l.Value)), uint64(l.Data))
				return nil
			}))
			err := runRunlet(chips...)
			return h, err
		}},
		{"Kitsune", func(n int) (uint64, error) {
			h := hashStart
			cfg := kitsune.LookupConfig[int, int, int]{Key: lookupKey, Fetch: bulkLookup, BatchSize: lookupBatch}
			p := kitsune.LookupBy(kitsuneCount(n), cfg, kitsune.Concurrency(lookupInFlight), kitsune.Ordered())
			_, err := p.ForEach(func(_ context.Context, e kitsune.Enriched[int, int]) error {
				h = mix(mix(h, uint64(e.Item)), uint64(e.Value))
				return nil
			}).Run(context.Background())
			return h, err
		}},
	},
}

func BenchmarkLookup(b *testing.B) { benchWorkload(b, lookup) }

// lookupLoop is the Loop system of lookup.
func lookupLoop(n int) (uint64, error) {
	data := make([]int, n)
	batches := (n + lookupBatch - 1) / lookupBatch
	errs := make([]error, lookupInFlight)
	var wg sync.WaitGroup
	for w := range lookupInFlight {
		wg.Go(func() {
			batch := make([]int, 0, lookupBatch)
			for bi := w; bi < batches; bi += lookupInFlight {
				batch = batch[:0]
				for v := bi * lookupBatch; v < min(n, (bi+1)*lookupBatch); v++ {
					batch = append(batch, v)
				}
				d, err := lookupBatchOf(batch)
				if err != nil {
					errs[w] = err
					return
				}
				copy(data[bi*lookupBatch:], d)
			}
		})
	}
	wg.Wait()
	h := hashStart
	for i, d := range data {
		h = mix(mix(h, uint64(i)), uint64(d))
	}
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return h, nil
}

// lookupChannels is the Channels system of lookup: batches numbered by a
// batching goroutine, looked up by lookupInFlight workers, and put back in
// order by the consumer, which holds the ones that come early.
func lookupChannels(n int) (uint64, error) {
	type job struct {
		seq   int
		batch []int
		data  []int
		err   error
	}
	in, jobs, done := chanCount(n), make(chan job, lookupInFlight), make(chan job, lookupInFlight)
	go func() {
		seq, batch := 0, make([]int, 0, lookupBatch)
		for v := range in {
			if batch = append(batch, v); len(batch) == lookupBatch {
				jobs <- job{seq: seq, batch: batch}
				seq, batch = seq+1, make([]int, 0, lookupBatch)
			}
		}
		if len(batch) > 0 {
			jobs <- job{seq: seq, batch: batch}
		}
		close(jobs)
	}()
	var wg sync.WaitGroup
	for range lookupInFlight {
		wg.Go(func() {
			for j := range jobs {
				j.data, j.err = lookupBatchOf(j.batch)
				done <- j
			}
		})
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	h, next, early := hashStart, 0, map[int]job{}
	var err error
	for j := range done {
		early[j.seq] = j
		for j, ok := early[next]; ok; j, ok = early[next] {
			delete(early, next)
			next++
			if j.err != nil && err == nil {
				err = j.err
			}
			for i, v := range j.batch {
				h = mix(mix(h, uint64(v)), uint64(j.data[i]))
			}
		}
	}
	return h, err
}
