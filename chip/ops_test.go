package chip_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Helpers of this file carry an ops prefix: other test files of the package
// have their own.

const opsPool = "default"

// opsPends declares the "in" and "out" pends of an operator under test in a
// fresh pool of the given limit.
func opsPends[In, Out any](limit int) (*pool.Pend[In], *pool.Pend[Out]) {
	p := pool.New(opsPool, limit)
	return pool.NewPend[In](p, "in"), pool.NewPend[Out](p, "out")
}

var errOps = errors.New("ops: user function failed")

// opsSource is a sync input chip of values, then END.
func opsSource[T any](key string, next *pool.Pend[T], values []T) chip.Chip {
	return chip.NewInput(key, next, nil, func(_ context.Context, i *int) (hints.Pack[T], error) {
		if *i == len(values) {
			return hints.EndOf[T](1), nil
		}
		*i++
		return hints.Data(values[*i-1]), nil
	})
}

// opsCounter is a sync input chip of 1, 2, 3, ... that never ends; closed
// counts calls of its Close hook.
func opsCounter(key string, next *pool.Pend[int], closed *int) chip.Chip {
	return chip.New(chip.Config[struct{}, int, int]{
		Key: key, Next: next,
		Process: func(_ context.Context, _ hints.Pack[struct{}], i *int) (hints.Pack[int], error) {
			*i++
			return hints.Data(*i), nil
		},
		Close: func(*int) {
			if closed != nil {
				*closed++
			}
		},
	})
}

// opsCollect is a sync output chip appending data values to *dst and
// counting END packs in *ends.
func opsCollect[T any](key string, prev *pool.Pend[T], dst *[]T, ends *int) chip.Chip {
	return chip.NewOutput(key, prev, nil, func(_ context.Context, in hints.Pack[T], _ *struct{}) error {
		if in.Hint == hints.End {
			if ends != nil {
				*ends++
			}
			return nil
		}
		*dst = append(*dst, in.Value)
		return nil
	})
}

// opsRun runs op (key "op", from pend in to pend out, declared by
// opsPends(pool.Unlimited)) over values, fed by a source chip, in a runlet
// whose out pend is drained only after Run returned: so every pack op pushed
// is still there, and ends counts its END packs exactly.
func opsRun[In, Out any](t *testing.T, in *pool.Pend[In], out *pool.Pend[Out], op chip.Chip, values []In) (got []Out, ends int, err error) {
	t.Helper()
	r := runlet.New([]chip.Chip{opsSource("src", in, values), op}, runlet.Config{})
	o, herr := runlet.PendOutput(r, out)
	if herr != nil {
		t.Fatal(herr)
	}
	err = r.Run(context.Background())
	for {
		pk, ok := o.Pull()
		if !ok {
			return got, ends, err
		}
		if pk.Hint == hints.End {
			ends++
			continue
		}
		if ends > 0 {
			t.Errorf("data %v after END", pk.Value)
		}
		got = append(got, pk.Value)
	}
}

// opsStart runs r on a goroutine of the synctest bubble and waits until it is
// idle; defer stop so that a failing test leaves no goroutine blocked.
func opsStart(r *runlet.Runlet) (done <-chan error, stop func()) {
	ch := make(chan error, 1)
	go func() { ch <- r.Run(context.Background()) }()
	synctest.Wait()
	return ch, func() {
		r.Abort(nil)
		<-r.Done()
	}
}

// opsCase is one row of an operator's table.
type opsCase[In, Out any] struct {
	name   string
	op     chip.Chip // key "op", from the table's in pend to its out pend
	in     []In
	want   []Out // data pushed: all of it, or what came before the failure
	err    error // if set, Run fails with it (errors.Is), naming chip "op"
	panics any   // if set, Run fails with a *chip.PanicError holding it
}

// opsTable runs every case twice with the same chip value: state comes from
// a factory at each Bind, so the second run must give the same result. Every
// case's op pulls from in and pushes to out.
func opsTable[In, Out any](t *testing.T, in *pool.Pend[In], out *pool.Pend[Out], cases []opsCase[In, Out]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for run := 1; run <= 2; run++ {
				got, ends, err := opsRun(t, in, out, tc.op, tc.in)
				if !opsEqual(got, tc.want) {
					t.Errorf("run %d: pushed %v, want %v", run, got, tc.want)
				}
				if tc.err == nil && tc.panics == nil {
					if err != nil {
						t.Errorf("run %d: Run = %v, want nil", run, err)
					}
					if ends != 1 {
						t.Errorf("run %d: %d END packs pushed, want 1", run, ends)
					}
					continue
				}
				if ends != 0 {
					t.Errorf("run %d: a failed chip pushed %d END packs, want 0", run, ends)
				}
				var ce *runlet.ChipError
				if !errors.As(err, &ce) || ce.Chip != "op" {
					t.Errorf("run %d: Run = %v, want a ChipError naming chip \"op\"", run, err)
				}
				if tc.err != nil && !errors.Is(err, tc.err) {
					t.Errorf("run %d: Run = %v, want errors.Is %v", run, err, tc.err)
				}
				if tc.panics != nil {
					var pe *chip.PanicError
					if !errors.As(err, &pe) || pe.Value != tc.panics {
						t.Errorf("run %d: Run = %v, want a PanicError of %v", run, err, tc.panics)
					}
				}
			}
		})
	}
}

func opsEqual[T any](got, want []T) bool {
	return len(got) == 0 && len(want) == 0 || reflect.DeepEqual(got, want)
}

func TestOpsMap(t *testing.T) {
	in, out := opsPends[int, string](pool.Unlimited)
	show := func(v int) (string, error) { return strconv.Itoa(v) + "!", nil }
	opsTable(t, in, out, []opsCase[int, string]{
		{name: "normal", op: chip.Map("op", in, out, show), in: []int{1, 2, 3}, want: []string{"1!", "2!", "3!"}},
		{name: "empty", op: chip.Map("op", in, out, show)},
		{name: "error", in: []int{1, 2, 3, 4}, want: []string{"1!", "2!"}, err: errOps,
			op: chip.Map("op", in, out, func(v int) (string, error) {
				if v == 3 {
					return "", errOps
				}
				return show(v)
			})},
		{name: "panic", in: []int{1, 2, 3}, want: []string{"1!"}, panics: "map boom",
			op: chip.Map("op", in, out, func(v int) (string, error) {
				if v == 2 {
					panic("map boom")
				}
				return show(v)
			})},
	})
}

func TestOpsFilter(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	even := func(v int) (bool, error) { return v%2 == 0, nil }
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "normal", op: chip.Filter("op", in, out, even), in: []int{1, 2, 3, 4, 5, 6}, want: []int{2, 4, 6}},
		{name: "none kept", op: chip.Filter("op", in, out, even), in: []int{1, 3, 5}},
		{name: "empty", op: chip.Filter("op", in, out, even)},
		{name: "error", in: []int{1, 2, 3, 4, 5, 6}, want: []int{2}, err: errOps,
			op: chip.Filter("op", in, out, func(v int) (bool, error) {
				if v == 4 {
					return true, errOps
				}
				return even(v)
			})},
		{name: "panic", in: []int{1, 2, 3, 4, 5, 6}, want: []int{2, 4}, panics: "filter boom",
			op: chip.Filter("op", in, out, func(v int) (bool, error) {
				if v == 5 {
					panic("filter boom")
				}
				return even(v)
			})},
	})
}

func TestOpsFlatMap(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	copies := func(v int) ([]int, error) { return slices.Repeat([]int{v}, v), nil }
	var buf []int // one buffer for every call: FlatMap is done with it first
	reuse := func(v int) ([]int, error) {
		buf = append(buf[:0], v, -v)
		return buf, nil
	}
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "normal", op: chip.FlatMap("op", in, out, copies), in: []int{1, 0, 2, 3, 0}, want: []int{1, 2, 2, 3, 3, 3}},
		{name: "all empty", op: chip.FlatMap("op", in, out, copies), in: []int{0, 0}},
		{name: "empty", op: chip.FlatMap("op", in, out, copies)},
		{name: "reused buffer", op: chip.FlatMap("op", in, out, reuse), in: []int{1, 2, 3}, want: []int{1, -1, 2, -2, 3, -3}},
		{name: "error", in: []int{1, 2, 3, 4}, want: []int{1, 2, 2}, err: errOps,
			op: chip.FlatMap("op", in, out, func(v int) ([]int, error) {
				if v == 3 {
					return []int{3}, errOps
				}
				return copies(v)
			})},
		{name: "panic", in: []int{2, 1, 3}, want: []int{2, 2}, panics: "flatmap boom",
			op: chip.FlatMap("op", in, out, func(v int) ([]int, error) {
				if v == 1 {
					panic("flatmap boom")
				}
				return copies(v)
			})},
	})
}

func TestOpsBatch(t *testing.T) {
	in, out := opsPends[int, []int](pool.Unlimited)
	opsTable(t, in, out, []opsCase[int, []int]{
		{name: "partial last", op: chip.Batch("op", in, out, 2, 0), in: []int{1, 2, 3, 4, 5}, want: [][]int{{1, 2}, {3, 4}, {5}}},
		{name: "full last", op: chip.Batch("op", in, out, 2, 0), in: []int{1, 2, 3, 4}, want: [][]int{{1, 2}, {3, 4}}},
		{name: "size 1", op: chip.Batch("op", in, out, 1, time.Hour), in: []int{7, 8}, want: [][]int{{7}, {8}}},
		{name: "one partial", op: chip.Batch("op", in, out, 10, time.Hour), in: []int{7, 8}, want: [][]int{{7, 8}}},
		{name: "empty", op: chip.Batch("op", in, out, 3, time.Hour)},
	})
}

func TestOpsUnbatch(t *testing.T) {
	in, out := opsPends[[]int, int](pool.Unlimited)
	opsTable(t, in, out, []opsCase[[]int, int]{
		{name: "normal", op: chip.Unbatch("op", in, out), in: [][]int{{1, 2}, {}, {3}, nil, {4, 5, 6}}, want: []int{1, 2, 3, 4, 5, 6}},
		{name: "all empty", op: chip.Unbatch("op", in, out), in: [][]int{{}, nil}},
		{name: "empty", op: chip.Unbatch("op", in, out)},
	})
}

func TestOpsReduce(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	digits := func(acc, v int) (int, error) { return acc*10 + v, nil } // order shows
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "normal", op: chip.Reduce("op", in, out, digits), in: []int{1, 2, 3}, want: []int{123}},
		{name: "one value", in: []int{7}, want: []int{7},
			op: chip.Reduce("op", in, out, func(acc, v int) (int, error) {
				panic("f called for the first value")
			})},
		{name: "empty", op: chip.Reduce("op", in, out, digits)},
		{name: "error", in: []int{1, 2, 3, 4}, err: errOps,
			op: chip.Reduce("op", in, out, func(acc, v int) (int, error) {
				if v == 3 {
					return 0, errOps
				}
				return digits(acc, v)
			})},
		{name: "panic", in: []int{1, 2}, panics: "reduce boom",
			op: chip.Reduce("op", in, out, func(acc, v int) (int, error) { panic("reduce boom") })},
	})
}

func TestOpsFold(t *testing.T) {
	in, out := opsPends[int, string](pool.Unlimited)
	join := func(acc string, v int) (string, error) { return acc + strconv.Itoa(v), nil }
	opsTable(t, in, out, []opsCase[int, string]{
		{name: "normal", op: chip.Fold("op", in, out, "<", join), in: []int{1, 2, 3}, want: []string{"<123"}},
		{name: "empty", op: chip.Fold("op", in, out, "<", join), want: []string{"<"}},
		{name: "error", in: []int{1, 2, 3}, err: errOps,
			op: chip.Fold("op", in, out, "<", func(acc string, v int) (string, error) {
				if v == 2 {
					return "", errOps
				}
				return join(acc, v)
			})},
		{name: "panic", in: []int{1}, panics: "fold boom",
			op: chip.Fold("op", in, out, "<", func(string, int) (string, error) { panic("fold boom") })},
	})
}

func TestOpsTap(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	nothing := func(int) error { return nil }
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "normal", op: chip.Tap("op", in, out, nothing), in: []int{3, 1, 2}, want: []int{3, 1, 2}},
		{name: "empty", op: chip.Tap("op", in, out, nothing)},
		{name: "error", in: []int{1, 2, 3, 4}, want: []int{1, 2}, err: errOps,
			op: chip.Tap("op", in, out, func(v int) error {
				if v == 3 {
					return errOps
				}
				return nil
			})},
		{name: "panic", in: []int{1, 2}, want: []int{1}, panics: "tap boom",
			op: chip.Tap("op", in, out, func(v int) error {
				if v == 2 {
					panic("tap boom")
				}
				return nil
			})},
	})
	t.Run("sees every value", func(t *testing.T) {
		var seen []int
		got, ends, err := opsRun(t, in, out, chip.Tap("op", in, out, func(v int) error {
			seen = append(seen, v)
			return nil
		}), []int{5, 6, 7})
		if err != nil || ends != 1 || !slices.Equal(got, []int{5, 6, 7}) || !slices.Equal(seen, []int{5, 6, 7}) {
			t.Errorf("Run = %v, pushed %v and %d END, f saw %v; want nil, [5 6 7] and 1 END, f saw [5 6 7]", err, got, ends, seen)
		}
	})
}

func TestOpsTake(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "first 3", op: chip.Take("op", in, out, 3), in: []int{1, 2, 3, 4, 5}, want: []int{1, 2, 3}},
		{name: "exactly all", op: chip.Take("op", in, out, 5), in: []int{1, 2, 3, 4, 5}, want: []int{1, 2, 3, 4, 5}},
		{name: "more than all", op: chip.Take("op", in, out, 10), in: []int{1, 2, 3}, want: []int{1, 2, 3}},
		{name: "zero", op: chip.Take("op", in, out, 0), in: []int{1, 2, 3}},
		{name: "empty", op: chip.Take("op", in, out, 2)},
	})
}

// opsAttach attaches op, fed by a source chip on in and drained from outside
// on out, and returns Attach's error.
func opsAttach[Out any](t *testing.T, in *pool.Pend[int], out *pool.Pend[Out], op chip.Chip) error {
	t.Helper()
	r := runlet.New([]chip.Chip{opsSource("src", in, []int{1}), op}, runlet.Config{})
	if _, err := runlet.PendOutput(r, out); err != nil {
		t.Fatal(err)
	}
	return r.Attach()
}

// Bad counts and nil user functions are Attach errors naming the chip.
func TestOpsAttachErrors(t *testing.T) {
	in, out := opsPends[int, int](4)
	batches := pool.NewPend[[]int](in.Pool(), "batches")
	for _, tc := range []struct {
		err  error // of opsAttach
		want string
	}{
		{opsAttach(t, in, batches, chip.Batch("op", in, batches, 0, time.Second)), `chip "op": batch size 0 is below 1`},
		{opsAttach(t, in, out, chip.Take("op", in, out, -1)), `chip "op": take count -1 is negative`},
		{opsAttach(t, in, out, chip.Map("op", in, out, nil)), `chip "op": nil process`},
		{opsAttach(t, in, out, chip.Filter("op", in, out, nil)), `chip "op": nil process`},
		{opsAttach(t, in, out, chip.FlatMap("op", in, out, nil)), `chip "op": nil process`},
		{opsAttach(t, in, out, chip.Reduce("op", in, out, nil)), `chip "op": nil process`},
		{opsAttach(t, in, out, chip.Fold("op", in, out, 0, nil)), `chip "op": nil process`},
		{opsAttach(t, in, out, chip.Tap("op", in, out, nil)), `chip "op": nil process`},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("Attach = %v, want it to say %s", tc.err, tc.want)
		}
	}
}

// A partial batch is flushed maxWait after its first value, with no new
// input, at exactly that fake time; a full batch goes at once.
func TestOpsBatchTimedFlush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const wait = 200 * time.Millisecond
		a, b := opsPends[int, []int](100)
		r := runlet.New([]chip.Chip{chip.Batch("b", a, b, 3, wait)}, runlet.Config{})
		in, _ := runlet.PendInput(r, a)
		out, _ := runlet.PendOutput(r, b)
		done, stop := opsStart(r)
		defer stop()
		ctx := context.Background()
		push := func(v int) {
			t.Helper()
			if err := in.PushWait(ctx, hints.Data(v)); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		for v := 1; v <= 4; v++ {
			push(v)
		}
		p, err := out.PullWait(ctx)
		if err != nil || !slices.Equal(p.Value, []int{1, 2, 3}) || time.Since(start) != 0 {
			t.Fatalf("first batch %v at %v (%v), want [1 2 3] at once", p.Value, time.Since(start), err)
		}
		time.Sleep(50 * time.Millisecond) // 5 comes later: the wait counts from 4
		push(5)
		p, err = out.PullWait(ctx)
		if err != nil || !slices.Equal(p.Value, []int{4, 5}) {
			t.Fatalf("second batch %v (%v), want [4 5]", p.Value, err)
		}
		if d := time.Since(start); d != wait {
			t.Errorf("partial batch flushed %v after its first value, want %v", d, wait)
		}
		// Nothing is flushed while the batch is empty; a new value starts a
		// new wait, and END flushes it early.
		time.Sleep(time.Hour)
		if out.CanPull() {
			t.Fatal("something flushed with no input")
		}
		push(6)
		if err := in.PushWait(ctx, hints.EndOf[int](1)); err != nil {
			t.Fatal(err)
		}
		p, _ = out.PullWait(ctx)
		end, _ := out.PullWait(ctx)
		if !slices.Equal(p.Value, []int{6}) || end.Hint != hints.End {
			t.Errorf("after END got %v then %v, want [6] then END", p, end)
		}
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		if p, err := out.PullWait(ctx); !errors.Is(err, runlet.ErrEnded) {
			t.Errorf("after the END: %v (%v), want ErrEnded", p, err)
		}
	})
}

// When input keeps the chip busy past maxWait (here: queued while paused),
// the overdue batch goes with the first value after the wait.
func TestOpsBatchOverdueFlushesWithNextValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const wait = 100 * time.Millisecond
		a, b := opsPends[int, []int](100)
		r := runlet.New([]chip.Chip{chip.Batch("b", a, b, 10, wait)}, runlet.Config{})
		in, _ := runlet.PendInput(r, a)
		out, _ := runlet.PendOutput(r, b)
		done, stop := opsStart(r)
		defer stop()
		ctx := context.Background()
		start := time.Now()
		in.PushWait(ctx, hints.Data(1)) // batch [1] from start
		r.Pause()
		in.PushWait(ctx, hints.Data(2))
		in.PushWait(ctx, hints.Data(3))
		time.Sleep(150 * time.Millisecond) // the timer fires while paused
		r.Resume()
		p, err := out.PullWait(ctx)
		if err != nil || !slices.Equal(p.Value, []int{1, 2}) || time.Since(start) != 150*time.Millisecond {
			t.Fatalf("got %v at %v (%v), want [1 2] at 150ms", p.Value, time.Since(start), err)
		}
		p, err = out.PullWait(ctx) // [3] started at 150ms
		if err != nil || !slices.Equal(p.Value, []int{3}) || time.Since(start) != 250*time.Millisecond {
			t.Fatalf("got %v at %v (%v), want [3] at 250ms", p.Value, time.Since(start), err)
		}
		in.PushWait(ctx, hints.EndOf[int](1))
		if p, err := out.PullWait(ctx); err != nil || p.Hint != hints.End {
			t.Errorf("got %v (%v), want END", p, err)
		}
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// With maxWait <= 0 a partial batch waits for END however long it takes.
func TestOpsBatchWithoutTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := opsPends[int, []int](100)
		r := runlet.New([]chip.Chip{chip.Batch("b", a, b, 3, 0)}, runlet.Config{})
		in, _ := runlet.PendInput(r, a)
		out, _ := runlet.PendOutput(r, b)
		done, stop := opsStart(r)
		defer stop()
		ctx := context.Background()
		in.PushWait(ctx, hints.Data(1))
		time.Sleep(24 * time.Hour)
		if out.CanPull() {
			t.Fatal("a partial batch was flushed with no timer")
		}
		in.PushWait(ctx, hints.EndOf[int](1))
		p, _ := out.PullWait(ctx)
		end, _ := out.PullWait(ctx)
		if !slices.Equal(p.Value, []int{1}) || end.Hint != hints.End {
			t.Errorf("got %v then %v, want [1] then END", p, end)
		}
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// Take ends on its nth value, without waiting for more input.
func TestOpsTakeEndsOnNthValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := opsPends[int, int](100)
		r := runlet.New([]chip.Chip{chip.Take("take", a, b, 2)}, runlet.Config{})
		in, _ := runlet.PendInput(r, a)
		out, _ := runlet.PendOutput(r, b)
		done, stop := opsStart(r)
		defer stop()
		for v := 1; v <= 2; v++ {
			if err := in.Push(hints.Data(v)); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		var got []string
		for {
			p, ok := out.Pull()
			if !ok {
				break
			}
			got = append(got, p.String())
		}
		if want := []string{`"1"|-`, `"2"|-`, "0|END"}; !slices.Equal(got, want) {
			t.Fatalf("pushed %v, want %v", got, want)
		}
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
}

// Take ends the flow over an input that never ends: Run returns, exactly n
// values arrive, and the input chip is closed.
func TestOpsTakeStopsSyncUpstream(t *testing.T) {
	var got []int
	ends, closed := 0, 0
	p := pool.New(opsPool, 8)
	a, b := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
	r := runlet.New([]chip.Chip{
		opsCounter("src", a, &closed),
		chip.Take("take", a, b, 5),
		opsCollect("out", b, &got, &ends),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !slices.Equal(got, []int{1, 2, 3, 4, 5}) || ends != 1 {
		t.Errorf("got %v and %d END, want [1 2 3 4 5] and 1 END", got, ends)
	}
	if closed != 1 {
		t.Errorf("input chip closed %d times, want 1", closed)
	}
}

// Take ends the flow over an async input with a call blocked on its ctx: Run
// returns, and the blocked call saw its ctx cancelled.
//
// The input's 101st call blocks until ctx is done. A blocked call holds back
// its whole batch, so a second worker keeps values coming; and Take(150)
// needs values from calls after the 101st, so that call is in flight when
// Take ends.
func TestOpsTakeStopsAsyncUpstream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(opsPool, 8)
		a, b := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
		var calls atomic.Int64
		var sawCancel atomic.Bool
		src := chip.New(chip.Config[struct{}, int, struct{}]{
			Key: "src", Next: a, Async: true, Concurrency: 2,
			Process: func(ctx context.Context, _ hints.Pack[struct{}], _ *struct{}) (hints.Pack[int], error) {
				n := calls.Add(1)
				if n == 101 {
					<-ctx.Done()
					sawCancel.Store(true)
					return hints.Pack[int]{}, ctx.Err()
				}
				return hints.Data(int(n)), nil
			},
		})
		var got []int
		ends := 0
		r := runlet.New([]chip.Chip{
			src,
			chip.Take("take", a, b, 150),
			opsCollect("out", b, &got, &ends),
		}, runlet.Config{})
		if err := r.Run(context.Background()); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if len(got) != 150 || ends != 1 || slices.Contains(got, 101) {
			t.Errorf("got %d values (101 among them: %v) and %d END, want 150 without 101 and 1 END",
				len(got), slices.Contains(got, 101), ends)
		}
		if !sawCancel.Load() {
			t.Error("the blocked call did not see its ctx cancelled")
		}
	})
}

// FlatMap's REDO runs respect tight pools: the outputs still come in order,
// and the pool never holds more than its limit plus one pack per producer.
func TestOpsFlatMapTightPools(t *testing.T) {
	for _, limit := range []int{0, 1} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			in := []int{3, 0, 1, 4, 2}
			var want []int
			for _, v := range in {
				for i := range v {
					want = append(want, v*10+i)
				}
			}
			var got []int
			ends := 0
			p := pool.New(opsPool, limit)
			a, b := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
			r := runlet.New([]chip.Chip{
				opsSource("src", a, in),
				chip.FlatMap("fm", a, b, func(v int) ([]int, error) {
					out := make([]int, v)
					for i := range out {
						out[i] = v*10 + i
					}
					return out, nil
				}),
				opsCollect("out", b, &got, &ends),
			}, runlet.Config{})
			if err := r.Run(context.Background()); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if !slices.Equal(got, want) || ends != 1 {
				t.Errorf("got %v and %d END, want %v and 1 END", got, ends, want)
			}
			if p.High() > limit+2 {
				t.Errorf("pool high-water mark %d, want at most %d", p.High(), limit+2)
			}
		})
	}
}

// opsMallocs returns the heap allocations made while f ran.
func opsMallocs(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs
}

// Map, Filter, Take, Tap and FlatMap (over a reused buffer) allocate nothing
// per value: a whole run of 100,000 ints, setup included, makes fewer than
// one allocation per 100 values.
func TestOpsAllocsPerValue(t *testing.T) {
	const n = 100_000
	check := func(t *testing.T, what string, items int, allocs uint64) {
		t.Helper()
		t.Logf("%s: %d allocations for %d values", what, allocs, items)
		if per := float64(allocs) / float64(items); per >= 0.01 {
			t.Errorf("%s: %d allocations for %d values (%.4f per value), want < 0.01", what, allocs, items, per)
		}
	}
	t.Run("Map Filter Take Tap", func(t *testing.T) {
		var sum, count int
		var err error
		allocs := opsMallocs(func() {
			p := pool.New(opsPool, 64)
			a, b, c := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b"), pool.NewPend[int](p, "c")
			d, e := pool.NewPend[int](p, "d"), pool.NewPend[int](p, "e")
			r := runlet.New([]chip.Chip{
				opsCounter("src", a, nil),
				chip.Map("map", a, b, func(v int) (int, error) { return v * 3, nil }),
				chip.Filter("even", b, c, func(v int) (bool, error) { return v%2 == 0, nil }),
				chip.Take("take", c, d, n/2),
				chip.Tap("tap", d, e, func(v int) error { sum += v; return nil }),
				chip.NewOutput("out", e, nil, func(_ context.Context, in hints.Pack[int], _ *struct{}) error {
					if in.Hint != hints.End {
						count++
					}
					return nil
				}),
			}, runlet.Config{})
			err = r.Run(context.Background())
		})
		// Take(n/2) of the even multiples of 3: 6, 12, ..., 6*(n/2).
		if err != nil || count != n/2 || sum != 6*(n/2)*(n/2+1)/2 {
			t.Fatalf("Run = %v, %d values summing to %d; want nil, %d values summing to %d", err, count, sum, n/2, 6*(n/2)*(n/2+1)/2)
		}
		check(t, "Map Filter Take Tap", n, allocs)
	})
	t.Run("FlatMap", func(t *testing.T) {
		count := 0
		var buf []int
		var err error
		allocs := opsMallocs(func() {
			p := pool.New(opsPool, 64)
			a, b, c := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b"), pool.NewPend[int](p, "c")
			r := runlet.New([]chip.Chip{
				opsCounter("src", a, nil),
				chip.FlatMap("fm", a, b, func(v int) ([]int, error) {
					buf = append(buf[:0], v, v, v)
					return buf, nil
				}),
				chip.Take("take", b, c, n),
				chip.NewOutput("out", c, nil, func(_ context.Context, in hints.Pack[int], _ *struct{}) error {
					if in.Hint != hints.End {
						count++
					}
					return nil
				}),
			}, runlet.Config{})
			err = r.Run(context.Background())
		})
		if err != nil || count != n {
			t.Fatalf("Run = %v, %d values; want nil, %d", err, count, n)
		}
		check(t, "FlatMap", n, allocs)
	})
}

// Map, Filter and Batch in a line: squares of 1..10, the odd ones, in
// batches of two (the last one partial, flushed by END). The pends need no
// names: the runlet names each after the chip that pushes into it.
func ExampleBatch() {
	p := pool.New("default", 16)
	numbers, squares, odd := pool.NewPend[int](p, ""), pool.NewPend[int](p, ""), pool.NewPend[int](p, "")
	pairs := pool.NewPend[[]int](p, "")
	err := runlet.Run(context.Background(),
		chip.FromSlice("numbers", numbers, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
		chip.Map("square", numbers, squares, func(v int) (int, error) { return v * v, nil }),
		chip.Filter("odd", squares, odd, func(v int) (bool, error) { return v%2 == 1, nil }),
		chip.Batch("pairs", odd, pairs, 2, time.Second),
		chip.ForEach("print", pairs, func(v []int) error { fmt.Println(v); return nil }),
	)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// [1 9]
	// [25 49]
	// [81]
}
