package chip_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Helpers of this file are prefixed with ad, to keep clear of other test
// files of the package.

// adPend declares pend "a" of element type T in a fresh pool "default" of
// the given limit: the one pend most tests here need (declare more in its
// Pool).
func adPend[T any](limit int) *pool.Pend[T] { return pool.NewPend[T](pool.New("default", limit), "a") }

func adEqual[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// adTake is a pass-through chip that ends after n data values: a consumer
// that stops early.
func adTake[T any](key string, prev, next *pool.Pend[T], n int) chip.Chip {
	return chip.New(chip.Config[T, T, int]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], seen *int) (hints.Pack[T], error) {
			if in.Hint == hints.End || *seen == n {
				return hints.EndOf[T](1), nil
			}
			*seen++
			return in, nil
		},
	})
}

// adCounting is an endless sequence 0, 1, 2, ... that records whether its
// loop saw yield return false (it was stopped) and whether it returned.
type adCounting struct {
	stopped, returned atomic.Bool
}

func (c *adCounting) seq(yield func(int) bool) {
	defer c.returned.Store(true)
	for i := 0; ; i++ {
		if !yield(i) {
			c.stopped.Store(true)
			return
		}
	}
}

func adInts(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

var errAdapter = errors.New("adapter failure")

func TestFromSlice(t *testing.T) {
	for _, n := range []int{0, 1, 100} {
		want := adInts(n)
		a := adPend[int](4)
		var got []int
		if err := runlet.Run(context.Background(),
			chip.FromSlice("in", a, want), chip.Collect("out", a, &got)); err != nil {
			t.Fatalf("n=%d: Run: %v", n, err)
		}
		adEqual(t, fmt.Sprintf("n=%d", n), got, want)
	}
}

// The index lives in the chip's state: each runlet the chip serves gets the
// whole slice.
func TestFromSliceFreshStatePerRunlet(t *testing.T) {
	a := adPend[string](4)
	in := chip.FromSlice("in", a, []string{"x", "y"})
	for i := range 2 {
		var got []string
		if err := runlet.Run(context.Background(), in, chip.Collect("out", a, &got)); err != nil {
			t.Fatal(err)
		}
		adEqual(t, fmt.Sprintf("run %d", i), got, []string{"x", "y"})
	}
}

func TestFromSeq(t *testing.T) {
	for _, n := range []int{0, 3, 1000} {
		a := adPend[int](8)
		var got []int
		if err := runlet.Run(context.Background(),
			chip.FromSeq("in", a, slices.Values(adInts(n))), chip.Collect("out", a, &got)); err != nil {
			t.Fatalf("n=%d: Run: %v", n, err)
		}
		adEqual(t, fmt.Sprintf("n=%d", n), got, adInts(n))
	}
}

// When the flow ends before the sequence does, the chip's Close hook stops
// the pulled iterator: the sequence's yield returns false before Run returns.
func TestFromSeqStoppedWhenFlowEndsEarly(t *testing.T) {
	var c adCounting
	a := adPend[int](4)
	b := pool.NewPend[int](a.Pool(), "b")
	var got []int
	if err := runlet.Run(context.Background(),
		chip.FromSeq("in", a, c.seq),
		adTake("take", a, b, 2),
		chip.Collect("out", b, &got)); err != nil {
		t.Fatal(err)
	}
	adEqual(t, "taken", got, []int{0, 1})
	if !c.stopped.Load() || !c.returned.Load() {
		t.Errorf("sequence stopped %v, returned %v; want both when Run returns", c.stopped.Load(), c.returned.Load())
	}
}

// Abort (from a consumer, here) stops the iterator too, and a runlet that
// stops before the input chip ever ran does not start it.
func TestFromSeqStoppedOnAbort(t *testing.T) {
	var c adCounting
	a := adPend[int](4)
	var r *runlet.Runlet
	n := 0
	r = runlet.New([]chip.Chip{
		chip.FromSeq("in", a, c.seq),
		chip.ForEach("out", a, func(int) error {
			if n++; n == 3 {
				r.Abort(errAdapter)
			}
			return nil
		}),
	}, runlet.Config{})
	err := r.Run(context.Background())
	if !errors.Is(err, runlet.ErrAborted) || !errors.Is(err, errAdapter) {
		t.Fatalf("Run = %v, want ErrAborted wrapping errAdapter", err)
	}
	if !c.stopped.Load() || !c.returned.Load() {
		t.Errorf("sequence stopped %v, returned %v; want both when Run returns", c.stopped.Load(), c.returned.Load())
	}
}

// A panic in the sequence fails the runlet with a PanicError.
func TestFromSeqPanic(t *testing.T) {
	seq := func(yield func(int) bool) {
		yield(1)
		panic(errAdapter)
	}
	a := adPend[int](4)
	err := runlet.Run(context.Background(), chip.FromSeq("in", a, seq), chip.Collect("out", a, new([]int)))
	var pe *chip.PanicError
	var ce *runlet.ChipError
	if !errors.As(err, &pe) || !errors.Is(err, errAdapter) || !errors.As(err, &ce) || ce.Chip != "in" {
		t.Fatalf("Run = %v, want a PanicError of errAdapter from chip \"in\"", err)
	}
}

func TestFromChan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 300} {
			ch := make(chan int)
			go func() {
				for _, v := range adInts(n) {
					ch <- v
				}
				close(ch)
			}()
			a := adPend[int](4)
			var got []int
			if err := runlet.Run(context.Background(),
				chip.FromChan("in", a, ch), chip.Collect("out", a, &got)); err != nil {
				t.Fatalf("n=%d: Run: %v", n, err)
			}
			adEqual(t, fmt.Sprintf("n=%d", n), got, adInts(n))
		}
	})
}

// A source that waits for each value to come out before it sends the next
// (ping-pong) flows: an async input chip pushes each value as soon as it has
// it instead of holding it in a batch.
func TestFromChanPingPong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in, out := make(chan int), make(chan int)
		go func() {
			for v := range 50 {
				in <- v
				if got := <-out; got != v*10 {
					t.Errorf("reply %d, want %d", got, v*10)
				}
			}
			close(in)
		}()
		srcPingPong(t, func(next *pool.Pend[int]) chip.Chip { return chip.FromChan("in", next, in) }, out)
	})
}

// A chip waiting on a channel nobody closes gives up when Run's ctx ends, and
// Run returns ctx's error leaving no goroutine behind.
func TestFromChanCtxCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int)
		go func() { ch <- 1 }() // then silence, never closed
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		a := adPend[int](4)
		start := time.Now()
		err := runlet.Run(ctx, chip.FromChan("in", a, ch), chip.Collect("out", a, new([]int)))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("Run returned after %v, want 1s", d)
		}
	})
}

func TestGenerate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 300} {
			gen := func(ctx context.Context, yield func(int) bool) error {
				for _, v := range adInts(n) {
					if !yield(v) {
						return nil
					}
				}
				return nil
			}
			a := adPend[int](4)
			var got []int
			if err := runlet.Run(context.Background(),
				chip.Generate("in", a, gen), chip.Collect("out", a, &got)); err != nil {
				t.Fatalf("n=%d: Run: %v", n, err)
			}
			adEqual(t, fmt.Sprintf("n=%d", n), got, adInts(n))
		}
	})
}

// gen's error fails the runlet, named by the chip key.
func TestGenerateError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gen := func(ctx context.Context, yield func(int) bool) error {
			yield(1)
			yield(2)
			return errAdapter
		}
		a := adPend[int](4)
		err := runlet.Run(context.Background(), chip.Generate("gen", a, gen), chip.Collect("out", a, new([]int)))
		var ce *runlet.ChipError
		if !errors.Is(err, errAdapter) || !errors.As(err, &ce) || ce.Chip != "gen" {
			t.Fatalf("Run = %v, want errAdapter from chip \"gen\"", err)
		}
	})
}

// A panic on gen's goroutine fails the runlet instead of the program.
func TestGeneratePanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gen := func(ctx context.Context, yield func(int) bool) error { panic(errAdapter) }
		a := adPend[int](4)
		err := runlet.Run(context.Background(), chip.Generate("gen", a, gen), chip.Collect("out", a, new([]int)))
		var pe *chip.PanicError
		if !errors.As(err, &pe) || !errors.Is(err, errAdapter) {
			t.Fatalf("Run = %v, want a PanicError of errAdapter", err)
		}
	})
}

// An endless generator is stopped when the flow ends early or is aborted:
// yield returns false, gen returns before Run does, and no goroutine is left
// (synctest fails the test if one is).
func TestGenerateStoppedLeavesNoGoroutine(t *testing.T) {
	for _, abort := range []bool{false, true} {
		t.Run(fmt.Sprintf("abort=%v", abort), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var sawFalse, returned atomic.Bool
				gen := func(ctx context.Context, yield func(int) bool) error {
					defer returned.Store(true)
					for i := 0; ; i++ {
						if !yield(i) {
							sawFalse.Store(true)
							return ctx.Err() // dropped: the runlet has stopped
						}
					}
				}
				a := adPend[int](4)
				b := pool.NewPend[int](a.Pool(), "b")
				var r *runlet.Runlet
				var got []int
				chips := []chip.Chip{chip.Generate("gen", a, gen)}
				if abort {
					chips = append(chips, chip.ForEach("out", a, func(v int) error {
						if len(got) < 5 { // the burst may run on a little after Abort
							got = append(got, v)
						}
						if len(got) == 5 {
							r.Abort(nil)
						}
						return nil
					}))
				} else {
					chips = append(chips, adTake("take", a, b, 5), chip.Collect("out", b, &got))
				}
				r = runlet.New(chips, runlet.Config{})
				err := r.Run(context.Background())
				if abort != errors.Is(err, runlet.ErrAborted) || !abort && err != nil {
					t.Fatalf("Run = %v", err)
				}
				adEqual(t, "got", got, []int{0, 1, 2, 3, 4})
				if !sawFalse.Load() || !returned.Load() {
					t.Errorf("yield returned false %v, gen returned %v; want both when Run returns", sawFalse.Load(), returned.Load())
				}
			})
		})
	}
}

func TestLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, c := range []struct {
			in   string
			want []string
		}{
			{"", nil},
			{"one", []string{"one"}},
			{"a\nb\r\n\nlast", []string{"a", "b", "", "last"}},
			{strings.Repeat("x\n", 500), slices.Repeat([]string{"x"}, 500)},
		} {
			a := adPend[string](4)
			var got []string
			if err := runlet.Run(context.Background(),
				chip.Lines("in", a, strings.NewReader(c.in)), chip.Collect("out", a, &got)); err != nil {
				t.Fatalf("%q: Run: %v", c.in, err)
			}
			adEqual(t, fmt.Sprintf("%.20q", c.in), got, c.want)
		}
	})
}

// A read error after some data fails the runlet with that error.
func TestLinesReadError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := io.MultiReader(strings.NewReader("a\nb\n"), iotest.ErrReader(errAdapter))
		a := adPend[string](4)
		err := runlet.Run(context.Background(), chip.Lines("lines", a, r), chip.Collect("out", a, new([]string)))
		var ce *runlet.ChipError
		if !errors.Is(err, errAdapter) || !errors.As(err, &ce) || ce.Chip != "lines" {
			t.Fatalf("Run = %v, want errAdapter from chip \"lines\"", err)
		}
	})
}

// Collect keeps order through a small pool, and appends to what *dst holds.
func TestCollect(t *testing.T) {
	got := []int{-1}
	a := adPend[int](2)
	if err := runlet.Run(context.Background(),
		chip.FromSlice("in", a, adInts(50)), chip.Collect("out", a, &got)); err != nil {
		t.Fatal(err)
	}
	adEqual(t, "collected", got, append([]int{-1}, adInts(50)...))
}

func TestForEach(t *testing.T) {
	a := adPend[string](4)
	var got []string
	if err := runlet.Run(context.Background(), chip.FromSlice("in", a, []string{"a", "b", "c"}),
		chip.ForEach("each", a, func(s string) error { got = append(got, s); return nil })); err != nil {
		t.Fatal(err)
	}
	adEqual(t, "seen", got, []string{"a", "b", "c"})
}

// f's error fails Run, which names the chip.
func TestForEachError(t *testing.T) {
	a := adPend[int](4)
	var got []int
	err := runlet.Run(context.Background(), chip.FromSlice("in", a, adInts(10)),
		chip.ForEach("each", a, func(v int) error {
			if v == 3 {
				return errAdapter
			}
			got = append(got, v)
			return nil
		}))
	var ce *runlet.ChipError
	if !errors.Is(err, errAdapter) || !errors.As(err, &ce) || ce.Chip != "each" || !strings.Contains(err.Error(), `"each"`) {
		t.Fatalf("Run = %v, want errAdapter from chip \"each\"", err)
	}
	adEqual(t, "seen before the error", got, []int{1, 2})
}

// ToChan sends everything in order and closes the channel at END, so a
// consumer ranging over it gets all values and stops.
func TestToChanClosesOnEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 300} {
			ch := make(chan int)
			done := make(chan []int)
			go func() {
				var got []int
				for v := range ch {
					got = append(got, v)
				}
				done <- got
			}()
			a := adPend[int](4)
			if err := runlet.Run(context.Background(),
				chip.FromSlice("in", a, adInts(n)), chip.ToChan("out", a, ch)); err != nil {
				t.Fatalf("n=%d: Run: %v", n, err)
			}
			adEqual(t, fmt.Sprintf("n=%d", n), <-done, adInts(n))
		}
	})
}

// On an error ToChan leaves the channel open, and a send nobody receives
// does not keep Run from returning.
func TestToChanOpenOnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int) // nobody receives
		gen := func(ctx context.Context, yield func(int) bool) error {
			yield(1)
			return errAdapter
		}
		a := adPend[int](4)
		err := runlet.Run(context.Background(), chip.Generate("gen", a, gen), chip.ToChan("out", a, ch))
		if !errors.Is(err, errAdapter) {
			t.Fatalf("Run = %v, want errAdapter", err)
		}
		select {
		case _, ok := <-ch:
			t.Fatalf("receive after Run: ok=%v, want the channel open and empty", ok)
		default:
		}
	})
}

// FromSlice feeds a pend that Collect drains: the smallest chain. The pend
// needs no name: the runlet names it after the chip that pushes into it.
func ExampleFromSlice() {
	words := pool.NewPend[string](pool.New("default", 2), "")
	var got []string
	err := runlet.Run(context.Background(),
		chip.FromSlice("words", words, []string{"to", "be", "or", "not"}),
		chip.Collect("collect", words, &got))
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println(got)
	// Output: [to be or not]
}
