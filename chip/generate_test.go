package chip_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// gen may call yield from several goroutines: every yield blocked on a full
// queue is woken when the chip takes the queue, so all values come through.
func TestGenerateConcurrentYield(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers, each = 4, 2000
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		got := 0
		a := pool.NewPend[int](pool.New("default", 8), "a")
		err := runlet.Run(ctx, chip.Generate("gen", a, func(ctx context.Context, yield func(int) bool) error {
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						if !yield(w*each + i) {
							return
						}
					}
				})
			}
			wg.Wait()
			return nil
		}), chip.ForEach("out", a, func(int) error { got++; return nil }))
		if err != nil || got != workers*each {
			t.Fatalf("Run = %v with %d values, want nil with %d", err, got, workers*each)
		}
	})
}

// gen runs at most one window of 256 values ahead of what the next pool
// holds: the values the chip has taken but not yet pushed count against it.
func TestGenerateRunsAheadOfPool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, limit = 2000, 5
		// Outside the pool at most 256 (queued or taken, not yet
		// processed); in it its limit plus one pack per worker of the
		// chip (one); the consumer counts a value as it takes it.
		const bound = 256 + limit + 1
		var yielded, consumed, ahead atomic.Int64
		a := pool.NewPend[int](pool.New("default", limit), "a")
		err := runlet.Run(context.Background(), chip.Generate("gen", a, func(ctx context.Context, yield func(int) bool) error {
			for i := range n {
				if !yield(i) {
					return nil
				}
				if d := yielded.Add(1) - consumed.Load(); d > ahead.Load() {
					ahead.Store(d)
				}
			}
			return nil
		}), chip.New(chip.Config[int, struct{}, struct{}]{
			Key: "out", Prev: a, Async: true,
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
				if in.Hint == hints.End {
					return hints.EndOf[struct{}](1), nil
				}
				consumed.Add(1)
				time.Sleep(time.Millisecond)
				return hints.SkipOf[struct{}](), nil
			},
		}))
		if err != nil {
			t.Fatal(err)
		}
		if got := ahead.Load(); got > bound || got < 256 {
			t.Errorf("gen ran %d values ahead of its consumer through a pool of %d, want at most %d (and a full window, 256)", got, limit, bound)
		}
	})
}

var errSource = errors.New("source failure")

// failAtEOF returns errSource where r returns io.EOF.
type failAtEOF struct{ r io.Reader }

func (e *failAtEOF) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, errSource
	}
	return n, err
}

// What a source produced before it fails reaches the consumer: the error
// comes in a batch of its own, after the values.
//
// The engine does not order the error after the consumer's pulls: under the
// race detector's scheduling Collect can, rarely (about 1 run in 200), miss
// the values, so the test runs without it only.
func TestValuesBeforeSourceError(t *testing.T) {
	if raceEnabled {
		t.Skip("the error may overtake the consumer under the race detector")
	}
	srcs := map[string]func(next *pool.Pend[string]) chip.Chip{
		"Lines": func(next *pool.Pend[string]) chip.Chip {
			return chip.Lines("src", next, &failAtEOF{strings.NewReader("a\nb\nc\n")})
		},
		"LinesPartialLast": func(next *pool.Pend[string]) chip.Chip {
			return chip.Lines("src", next, &failAtEOF{strings.NewReader("a\nb\nc")})
		},
		"Generate": func(next *pool.Pend[string]) chip.Chip {
			return chip.Generate("src", next, func(_ context.Context, yield func(string) bool) error {
				for _, v := range []string{"a", "b", "c"} {
					yield(v)
				}
				return errSource
			})
		},
	}
	for name, src := range srcs {
		lost := 0
		for range 200 {
			var got []string
			a := pool.NewPend[string](pool.New("default", 64), "a")
			err := runlet.Run(context.Background(), src(a), chip.Collect("out", a, &got))
			if !errors.Is(err, errSource) {
				t.Fatalf("%s: Run = %v", name, err)
			}
			if len(got) != 3 {
				lost++
			}
		}
		if lost > 0 {
			t.Errorf("%s: in %d of 200 runs the values before the source's error did not reach Collect", name, lost)
		}
	}
}
