package chip_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// The input adapters hand over what they have in batches, but never hold a
// value back for a later one: these tests run sources that wait on the world
// (fake time under synctest) or on their own output (ping-pong), where a
// value kept in a batch shows as a late arrival or as a deadlock, which
// synctest reports.

// Helpers of this file are prefixed with src, to keep clear of other test
// files of the package.

// srcEqual checks got against want.
func srcEqual[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// srcInts returns 1..n.
func srcInts(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// srcArrivals runs src into a ForEach over a pool of 64 and returns when
// each value arrived, in fake time since the start.
func srcArrivals[T any](t *testing.T, src func(next *pool.Pend[T]) chip.Chip) (vals []T, at []time.Duration) {
	t.Helper()
	a := pool.NewPend[T](pool.New("default", 64), "a")
	start := time.Now()
	err := runlet.Run(context.Background(), src(a), chip.ForEach("out", a, func(v T) error {
		vals = append(vals, v)
		at = append(at, time.Since(start))
		return nil
	}))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return vals, at
}

// srcWantEverySecond checks that value i arrived at i seconds.
func srcWantEverySecond[T comparable](t *testing.T, vals []T, at []time.Duration, want []T) {
	t.Helper()
	srcEqual(t, "values", vals, want)
	for i, d := range at {
		if d != time.Duration(i)*time.Second {
			t.Errorf("value %d arrived at %v, want %v (held back in a batch?)", i, d, time.Duration(i)*time.Second)
		}
	}
}

func TestGenerateSparseNoLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vals, at := srcArrivals(t, func(next *pool.Pend[int]) chip.Chip {
			return chip.Generate("gen", next, func(ctx context.Context, yield func(int) bool) error {
				for i := range 5 {
					if i > 0 {
						time.Sleep(time.Second)
					}
					if !yield(i) {
						return nil
					}
				}
				return nil
			})
		})
		srcWantEverySecond(t, vals, at, []int{0, 1, 2, 3, 4})
	})
}

func TestFromChanSparseNoLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int, 16)
		go func() {
			for i := range 5 {
				if i > 0 {
					time.Sleep(time.Second)
				}
				ch <- i
			}
			close(ch)
		}()
		vals, at := srcArrivals(t, func(next *pool.Pend[int]) chip.Chip { return chip.FromChan("in", next, ch) })
		srcWantEverySecond(t, vals, at, []int{0, 1, 2, 3, 4})
	})
}

// Lines pushes each line as soon as its newline is read, also when a line
// comes in two writes and when several come in one.
func TestLinesSparseNoLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			for _, w := range []string{"a\n", "b\nc", "\n", "d\n"} {
				_, _ = io.WriteString(pw, w)
				time.Sleep(time.Second)
			}
			_, _ = io.WriteString(pw, "last")
			pw.Close()
		}()
		vals, at := srcArrivals(t, func(next *pool.Pend[string]) chip.Chip { return chip.Lines("lines", next, pr) })
		srcEqual(t, "lines", vals, []string{"a", "b", "c", "d", "last"})
		want := []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second}
		srcEqual(t, "arrivals", at, want)
	})
}

// srcPingPong runs src, made with next pend a of a pool of 64, into a x10
// chip and a ToChan on out, with a 1-minute ctx: a stall is a deadlock
// (synctest) or that ctx's error.
func srcPingPong(t *testing.T, src func(next *pool.Pend[int]) chip.Chip, out chan int) {
	t.Helper()
	pl := pool.New("default", 64)
	a, b := pool.NewPend[int](pl, "a"), pool.NewPend[int](pl, "b")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := runlet.Run(ctx, src(a),
		chip.New(chip.Config[int, int, struct{}]{
			Key: "x10", Prev: a, Next: b,
			Process: func(_ context.Context, p hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				p.Value *= 10
				return p, nil
			},
		}),
		chip.ToChan("out", b, out))
	if err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
}

// A generator that waits for the reply to each value before it yields the
// next (request/reply) flows, with no time passing.
func TestGeneratePingPong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := make(chan int)
		start := time.Now()
		gen := func(next *pool.Pend[int]) chip.Chip {
			return chip.Generate("gen", next, func(ctx context.Context, yield func(int) bool) error {
				for v := range 50 {
					if !yield(v) {
						return nil
					}
					if got := <-out; got != v*10 {
						return fmt.Errorf("reply %d, want %d", got, v*10)
					}
				}
				return nil
			})
		}
		srcPingPong(t, gen, out)
		if d := time.Since(start); d != 0 {
			t.Errorf("ping-pong took %v of fake time, want 0", d)
		}
	})
}

// A writer that waits for the reply to each line before it writes the next
// flows through Lines.
func TestLinesPingPong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		out, ints := make(chan int), make(chan int)
		go func() {
			defer pw.Close()
			for v := range 50 {
				fmt.Fprintf(pw, "%d\n", v)
				if got := <-ints; got != v*10 {
					t.Errorf("reply %d, want %d", got, v*10)
				}
			}
		}()
		go func() {
			for v := range out {
				ints <- v
			}
		}()
		pl := pool.New("default", 64)
		s, a, b := pool.NewPend[string](pl, "s"), pool.NewPend[int](pl, "a"), pool.NewPend[int](pl, "b")
		parse := chip.New(chip.Config[string, int, struct{}]{
			Key: "parse", Prev: s, Next: a,
			Process: func(_ context.Context, p hints.Pack[string], _ *struct{}) (hints.Pack[int], error) {
				var v int
				if p.Hint == hints.End {
					return hints.EndOf[int](1), nil
				}
				_, err := fmt.Sscan(p.Value, &v)
				return hints.Data(v), err
			},
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := runlet.Run(ctx, chip.Lines("lines", s, pr), parse,
			chip.New(chip.Config[int, int, struct{}]{
				Key: "x10", Prev: a, Next: b,
				Process: func(_ context.Context, p hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					p.Value *= 10
					return p, nil
				},
			}),
			chip.ToChan("out", b, out))
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	})
}

// srcPullMisses runs src, made with next pend a of a pool of 1024, into a
// Collect and returns the values and the runlet's pull misses: about one
// per batch handed over.
func srcPullMisses[T any](t *testing.T, src func(next *pool.Pend[T]) chip.Chip) ([]T, uint64) {
	t.Helper()
	var got []T
	a := pool.NewPend[T](pool.New("default", 1024), "a")
	r := runlet.New([]chip.Chip{src(a), chip.Collect("out", a, &got)}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return got, r.Snapshot().Stats.PullMiss
}

// A source with its input at hand moves in batches: far fewer scheduler
// round trips (pull misses) than values.
func TestSourcesBatch(t *testing.T) {
	const n = 10000
	var text strings.Builder
	ch := make(chan int, n)
	for i := range n {
		fmt.Fprintf(&text, "line %d\n", i)
		ch <- i
	}
	close(ch)
	lines, misses := srcPullMisses(t, func(next *pool.Pend[string]) chip.Chip {
		return chip.Lines("lines", next, strings.NewReader(text.String()))
	})
	if len(lines) != n || lines[n-1] != fmt.Sprint("line ", n-1) {
		t.Fatalf("Lines: %d lines, last %q", len(lines), lines[len(lines)-1])
	}
	if misses > n/20 {
		t.Errorf("Lines: %d pull misses for %d lines, want batches (at most %d)", misses, n, n/20)
	}
	ints, misses := srcPullMisses(t, func(next *pool.Pend[int]) chip.Chip { return chip.FromChan("in", next, ch) })
	if len(ints) != n || ints[n-1] != n-1 {
		t.Fatalf("FromChan: %d values, want %d", len(ints), n)
	}
	if misses > n/20 {
		t.Errorf("FromChan: %d pull misses for %d values, want batches (at most %d)", misses, n, n/20)
	}
}

// FromReader over memory and FromFile over a regular file hand their chunks
// over in batches into a count pool.
func TestFromReaderBatches(t *testing.T) {
	const chunks, size = 200, 16
	data := []byte(strings.Repeat("0123456789abcdef", chunks))
	path := t.TempDir() + "/data"
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]func(next *pool.Pend[[]byte]) chip.Chip{
		"FromReader": func(next *pool.Pend[[]byte]) chip.Chip {
			return chip.FromReader("read", next, bytes.NewReader(data), pool.NewBuffers(size))
		},
		"FromFile": func(next *pool.Pend[[]byte]) chip.Chip {
			return chip.FromFile("read", next, path, pool.NewBuffers(size))
		},
	} {
		got, misses := srcPullMisses(t, src)
		if len(got) != chunks || !bytes.Equal(bytes.Join(got, nil), data) {
			t.Errorf("%s: %d chunks, want %d of the data", name, len(got), chunks)
		}
		if misses > chunks/10 {
			t.Errorf("%s: %d pull misses for %d chunks, want batches (at most %d)", name, misses, chunks, chunks/10)
		}
	}
}

// FromReader over a reader that may wait (a pipe) pushes each chunk as soon
// as it is read.
func TestFromReaderSparseNoLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			for i := range 4 {
				if i > 0 {
					time.Sleep(time.Second)
				}
				fmt.Fprintf(pw, "chunk%d", i)
			}
			pw.Close()
		}()
		vals, at := srcArrivals(t, func(next *pool.Pend[[]byte]) chip.Chip {
			return chip.FromReader("read", next, pr, pool.NewBuffers(6))
		})
		var s []string
		for _, v := range vals {
			s = append(s, string(v))
		}
		srcWantEverySecond(t, s, at, []string{"chunk0", "chunk1", "chunk2", "chunk3"})
	})
}

// A source waiting on the world does not hold its pool's room from other
// producers: while FromChan waits (on a channel that is closed only at the
// end of another branch), a branch sharing its pool moves in bursts as large
// as the pool allows, not one pack per scheduler round (push misses).
func TestWaitingSourceLeavesPoolRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 1000
		ch := make(chan int)
		seen := 0
		p := pool.New("default", 64)
		a, b := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
		r := runlet.New([]chip.Chip{
			chip.FromChan("in", a, ch),
			chip.Collect("out", a, new([]int)),
			chip.FromSlice("slice", b, srcInts(n)),
			chip.ForEach("count", b, func(int) error {
				if seen++; seen == n {
					close(ch)
				}
				return nil
			}),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if m := r.Snapshot().Stats.PushMiss; m > n/10 {
			t.Errorf("%d push misses for %d packs, want at most %d", m, n, n/10)
		}
	})
}

// A source moving in batches keeps to its next pend's bound like any async
// chip of one worker: a batch counts against the pend's room, so the pend
// holds at most max(private, limit) + 1 + the END, while a slow consumer
// lets it fill.
func TestBatchingSourcesKeepToThePendBound(t *testing.T) {
	const n = 300
	sources := map[string]func(next *pool.Pend[string]) chip.Chip{
		"Lines": func(next *pool.Pend[string]) chip.Chip {
			return chip.Lines("src", next, strings.NewReader(strings.Repeat("x\n", n)))
		},
		"FromChan": func(next *pool.Pend[string]) chip.Chip {
			ch := make(chan string, n)
			for range n {
				ch <- "x"
			}
			close(ch)
			return chip.FromChan("src", next, ch)
		},
		"Generate": func(next *pool.Pend[string]) chip.Chip {
			return chip.Generate("src", next, func(_ context.Context, yield func(string) bool) error {
				for range n {
					if !yield("x") {
						return nil
					}
				}
				return nil
			})
		},
	}
	for name, src := range sources {
		synctest.Test(t, func(t *testing.T) {
			p := pool.New("P", 64)
			next := pool.NewPend[string](p, "b").Size(1, 5)
			var b *engine.Pend[string]
			high, got := 0, 0
			out := chip.New(chip.Config[string, struct{}, struct{}]{
				Key: "out", Prev: next, Async: true,
				Process: func(_ context.Context, in hints.Pack[string], _ *struct{}) (hints.Pack[struct{}], error) {
					if in.Hint == hints.End {
						return hints.EndOf[struct{}](1), nil
					}
					got++
					time.Sleep(time.Millisecond)
					return hints.SkipOf[struct{}](), nil
				},
			})
			r := runlet.New([]chip.Chip{
				&probe{Chip: src(next), after: func() {
					if b == nil {
						b, _ = engine.Get[string]((*engine.Pool)(p), "b")
					}
					high = max(high, b.Size())
				}},
				out,
			}, runlet.Config{})
			if err := r.Run(context.Background()); err != nil {
				t.Fatalf("%s: Run: %v", name, err)
			}
			if got != n {
				t.Errorf("%s: %d values reached the output, want %d", name, got, n)
			}
			if bound := 5 + 1 + 1; high > bound || high < 5 {
				t.Errorf("%s: pend b held at most %d packs, want it filled to 5..%d", name, high, bound)
			}
		})
	}
}

// A chip of one's own gets the same batches through Config.Ready, and
// without it each call is its own batch: an async input chip that counts to
// n from its state, with everything at hand.
func TestConfigReadyBatchesOwnSource(t *testing.T) {
	const n = 10000
	own := func(ready bool) func(next *pool.Pend[int]) chip.Chip {
		return func(next *pool.Pend[int]) chip.Chip {
			c := chip.Config[struct{}, int, int]{
				Key: "own", Next: next, Async: true,
				Process: func(_ context.Context, _ hints.Pack[struct{}], i *int) (hints.Pack[int], error) {
					if *i == n {
						return hints.EndOf[int](1), nil
					}
					*i++
					return hints.Data(*i), nil
				},
			}
			if ready {
				c.Ready = func(i *int) int { return n - *i + 1 } // the values left and the END
			}
			return chip.New(c)
		}
	}
	got, batched := srcPullMisses(t, own(true))
	if len(got) != n || got[n-1] != n {
		t.Fatalf("with Ready: %d values, last %v", len(got), got[len(got)-1:])
	}
	_, single := srcPullMisses(t, own(false))
	if batched > n/20 || single < n/2 {
		t.Errorf("pull misses: %d with Ready, %d without, for %d values; want batches only with Ready", batched, single, n)
	}
}

// Attach refuses Ready on a chip that is not an async input chip, naming it.
func TestConfigReadyOnlyOnAsyncInput(t *testing.T) {
	var got []int
	p := pool.New("default", 8)
	a, b := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
	sync := chip.New(chip.Config[int, int, struct{}]{
		Key: "notinput", Prev: a, Next: b, Async: true,
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) { return in, nil },
		Ready:   func(*struct{}) int { return 1 },
	})
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in", a, []int{1}), sync, chip.Collect("out", b, &got),
	}, runlet.Config{})
	err := r.Attach()
	if err == nil || !strings.Contains(err.Error(), `chip "notinput"`) || !strings.Contains(err.Error(), "Ready is for async input chips only") {
		t.Fatalf("Attach = %v, want an error naming chip \"notinput\" and Ready", err)
	}
}
