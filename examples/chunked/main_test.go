package main

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

const testChunk = 4 << 10

func plain(data []byte) Hist {
	var h Hist
	for _, c := range data {
		h[c]++
	}
	return h
}

// collect runs a request and returns its answers in order.
func collect(t *testing.T, s *Service, lo, hi int) []Answer {
	t.Helper()
	var got []Answer
	if err := s.Do(context.Background(), lo, hi, func(a Answer) { got = append(got, a) }); err != nil {
		t.Fatal(err)
	}
	return got
}

// The aggregate is the plain histogram of the range; a request that
// overlaps computed chunks gets the cache's quick answer first (exactly the
// cached chunks' histogram), then the detailed one; the cached chunks are
// not computed again.
func TestAggregateAndQuickAnswerFirst(t *testing.T) {
	data := blob(3<<20 + 100) // a short last chunk
	s := NewService(data, testChunk, 3)
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	n := s.Chunks()

	got := collect(t, s, 10, 40)
	if len(got) != 1 || got[0].Quick || got[0].Hist != plain(data[10*testChunk:40*testChunk]) || got[0].Cached != 0 {
		t.Fatalf("cold request: %d answers (quick %v, cached %d), want one detailed answer equal to the plain histogram", len(got), got[0].Quick, got[0].Cached)
	}
	if c := s.Computed(); c != 30 {
		t.Errorf("%d chunks computed, want 30", c)
	}

	got = collect(t, s, 0, n)
	if len(got) != 2 || !got[0].Quick || got[1].Quick {
		t.Fatalf("warm request: %d answers, want quick then detailed", len(got))
	}
	if got[0].Cached != 30 || got[0].Hist != plain(data[10*testChunk:40*testChunk]) {
		t.Errorf("quick answer: %d cached, histogram equal to the cached chunks' %v; want 30 and true",
			got[0].Cached, got[0].Hist == plain(data[10*testChunk:40*testChunk]))
	}
	if got[1].Chunks != n || got[1].Hist != plain(data) {
		t.Errorf("detailed answer over %d chunks differs from the plain histogram", got[1].Chunks)
	}
	if c := s.Computed(); c != n {
		t.Errorf("%d chunks computed in all, want %d (each once)", c, n)
	}

	got = collect(t, s, 5, 6) // all cached: both answers, nothing computed
	if len(got) != 2 || got[1].Hist != plain(data[5*testChunk:6*testChunk]) || s.Computed() != n {
		t.Errorf("cached request: %d answers, %d computed", len(got), s.Computed())
	}
	if err := s.Do(context.Background(), 0, n+1, func(Answer) {}); err == nil {
		t.Error("a range past the blob: no error")
	}
}

// A request cancelled after its third chunk stops the rest: far fewer
// chunks run than it has, Do returns the ctx's error at once, the service
// goes on serving other requests correctly, and after Close no goroutine is
// left (synctest fails the test if one is).
func TestCancelStopsTheRemainingChunks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		data := blob(1 << 20)
		s := NewService(data, testChunk, 2) // 256 chunks
		ctx, cancel := context.WithCancel(context.Background())
		var calls atomic.Int64
		s.work = func(c context.Context, b []byte) (*Hist, error) {
			if calls.Add(1) == 3 {
				cancel()
			}
			time.Sleep(time.Millisecond) // a chunk takes a while (fake time)
			return histogram(c, b)
		}
		err := s.Do(ctx, 0, s.Chunks(), func(a Answer) { t.Errorf("an answer to a cancelled request: %+v", a.Quick) })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Do: %v, want context.Canceled", err)
		}
		synctest.Wait()
		// Do stops pushing jobs, and the workers skip those already queued:
		// only the third and a call the other worker had started may run.
		if c, n := calls.Load(), s.Chunks(); c > 4 || c >= int64(n)/4 {
			t.Errorf("%d of %d chunks started with a cancel at the third; want at most 4", c, n)
		}
		if s.Computed() > 2 {
			t.Errorf("%d chunks computed to the end, want at most 2 (the third was cancelled in its work)", s.Computed())
		}

		got := collect(t, s, 0, 16)
		last := got[len(got)-1]
		if last.Quick || last.Hist != plain(data[:16*testChunk]) {
			t.Errorf("a request after the cancelled one: %d answers, last quick %v or histogram wrong", len(got), last.Quick)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// Outside synctest too: the goroutines of a service are gone after Close.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	s := NewService(blob(256<<10), testChunk, 4)
	collect(t, s, 0, s.Chunks())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; runtime.NumGoroutine() > before && i < 100; i++ {
		time.Sleep(time.Millisecond) // exiting goroutines may need a moment to be counted out
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines after Close, %d before", after, before)
	}
}
