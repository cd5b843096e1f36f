package chip_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// stBelow returns a predicate v < n that panics on 99: the cases put 99
// after the value that settles the predicate, so a call on it shows the
// operator called pred when it should not have.
func stBelow(n int) func(int) (bool, error) {
	return func(v int) (bool, error) {
		if v == 99 {
			panic("pred called after it settled")
		}
		return v < n, nil
	}
}

// stLess returns the predicate v < n.
func stLess(n int) func(int) (bool, error) {
	return func(v int) (bool, error) { return v < n, nil }
}

// stFails returns a predicate that returns errOps on bad and v < n otherwise.
func stFails(n, bad int) func(int) (bool, error) {
	return func(v int) (bool, error) {
		if v == bad {
			return false, errOps
		}
		return v < n, nil
	}
}

// stPanics returns a predicate that panics with msg on bad and reports
// v < n otherwise.
func stPanics(n, bad int, msg string) func(int) (bool, error) {
	return func(v int) (bool, error) {
		if v == bad {
			panic(msg)
		}
		return v < n, nil
	}
}

func TestSkip(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "skip 2", op: chip.Skip("op", in, out, 2), in: []int{1, 2, 3, 4, 5}, want: []int{3, 4, 5}},
		{name: "zero", op: chip.Skip("op", in, out, 0), in: []int{1, 2}, want: []int{1, 2}},
		{name: "all", op: chip.Skip("op", in, out, 3), in: []int{1, 2, 3}},
		{name: "more than all", op: chip.Skip("op", in, out, 10), in: []int{1, 2, 3}},
		{name: "empty", op: chip.Skip("op", in, out, 2)},
	})
	t.Run("tight", func(t *testing.T) {
		stTight(t, stSeq(stN), stSeq(stN)[7:], func(a, b *pool.Pend[int]) chip.Chip { return chip.Skip("op", a, b, 7) })
	})
}

func TestTakeWhile(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "prefix", op: chip.TakeWhile("op", in, out, stBelow(3)), in: []int{1, 2, 3, 99, 1}, want: []int{1, 2}},
		{name: "all pass", op: chip.TakeWhile("op", in, out, stBelow(10)), in: []int{1, 2, 3}, want: []int{1, 2, 3}},
		{name: "first fails", op: chip.TakeWhile("op", in, out, stBelow(0)), in: []int{1, 99}},
		{name: "empty", op: chip.TakeWhile("op", in, out, stBelow(3))},
		{name: "error", op: chip.TakeWhile("op", in, out, stFails(10, 3)), in: []int{1, 2, 3, 4}, want: []int{1, 2}, err: errOps},
		{name: "panic", op: chip.TakeWhile("op", in, out, stPanics(10, 2, "while boom")), in: []int{1, 2, 3}, want: []int{1}, panics: "while boom"},
	})
	t.Run("tight", func(t *testing.T) {
		stTight(t, stSeq(stN), stSeq(699), func(a, b *pool.Pend[int]) chip.Chip { return chip.TakeWhile("op", a, b, stLess(700)) })
	})
	t.Run("stops upstream", func(t *testing.T) {
		stStops(t, []int{1, 2, 3, 4, 5}, func(a, b *pool.Pend[int]) chip.Chip { return chip.TakeWhile("op", a, b, stBelow(6)) })
	})
}

func TestDropWhile(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	opsTable(t, in, out, []opsCase[int, int]{
		// After 3, pred is not called: 99 does not panic, 1 is not dropped.
		{name: "suffix", op: chip.DropWhile("op", in, out, stBelow(3)), in: []int{1, 2, 3, 99, 1}, want: []int{3, 99, 1}},
		{name: "none dropped", op: chip.DropWhile("op", in, out, stBelow(0)), in: []int{1, 99}, want: []int{1, 99}},
		{name: "all dropped", op: chip.DropWhile("op", in, out, stBelow(10)), in: []int{1, 2, 3}},
		{name: "empty", op: chip.DropWhile("op", in, out, stBelow(3))},
		{name: "error", op: chip.DropWhile("op", in, out, stFails(10, 3)), in: []int{1, 2, 3, 4}, err: errOps},
		{name: "panic", op: chip.DropWhile("op", in, out, stPanics(10, 3, "drop boom")), in: []int{1, 2, 3, 4}, panics: "drop boom"},
		{name: "panic after", op: chip.DropWhile("op", in, out, stPanics(2, 99, "unseen")), in: []int{1, 2, 99}, want: []int{2, 99}},
	})
	t.Run("tight", func(t *testing.T) {
		stTight(t, stSeq(stN), stSeq(stN)[299:], func(a, b *pool.Pend[int]) chip.Chip { return chip.DropWhile("op", a, b, stLess(300)) })
	})
}

func TestTakeUntil(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	atLeast := func(n int) func(int) (bool, error) { // the opposite of stBelow
		below := stBelow(n)
		return func(v int) (bool, error) {
			ok, err := below(v)
			return !ok, err
		}
	}
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "through the stop", op: chip.TakeUntil("op", in, out, atLeast(3)), in: []int{1, 2, 3, 99, 1}, want: []int{1, 2, 3}},
		{name: "never stops", op: chip.TakeUntil("op", in, out, atLeast(10)), in: []int{1, 2, 3}, want: []int{1, 2, 3}},
		{name: "first stops", op: chip.TakeUntil("op", in, out, atLeast(0)), in: []int{1, 99}, want: []int{1}},
		{name: "empty", op: chip.TakeUntil("op", in, out, atLeast(3))},
		{name: "error", op: chip.TakeUntil("op", in, out, stFails(0, 3)), in: []int{1, 2, 3, 4}, want: []int{1, 2}, err: errOps},
		{name: "panic", op: chip.TakeUntil("op", in, out, stPanics(0, 2, "until boom")), in: []int{1, 2, 3}, want: []int{1}, panics: "until boom"},
	})
	t.Run("tight", func(t *testing.T) {
		stTight(t, stSeq(stN), stSeq(700), func(a, b *pool.Pend[int]) chip.Chip {
			return chip.TakeUntil("op", a, b, func(v int) (bool, error) { return v >= 700, nil })
		})
	})
	t.Run("stops upstream", func(t *testing.T) {
		stStops(t, []int{1, 2, 3, 4, 5}, func(a, b *pool.Pend[int]) chip.Chip { return chip.TakeUntil("op", a, b, atLeast(5)) })
	})
}

func TestFirst(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "first", op: chip.First("op", in, out), in: []int{4, 5, 6}, want: []int{4}},
		{name: "empty", op: chip.First("op", in, out)},
	})
	t.Run("tight", func(t *testing.T) {
		stTight(t, stSeq(stN), []int{1}, func(a, b *pool.Pend[int]) chip.Chip { return chip.First("op", a, b) })
	})
	t.Run("stops upstream", func(t *testing.T) {
		stStops(t, []int{1}, func(a, b *pool.Pend[int]) chip.Chip { return chip.First("op", a, b) })
	})
}

func TestLast(t *testing.T) {
	in, out := opsPends[int, int](pool.Unlimited)
	opsTable(t, in, out, []opsCase[int, int]{
		{name: "last", op: chip.Last("op", in, out), in: []int{4, 5, 6}, want: []int{6}},
		{name: "one", op: chip.Last("op", in, out), in: []int{4}, want: []int{4}},
		{name: "empty", op: chip.Last("op", in, out)},
	})
	t.Run("tight", func(t *testing.T) {
		stTight(t, stSeq(stN), []int{stN}, func(a, b *pool.Pend[int]) chip.Chip { return chip.Last("op", a, b) })
	})
}

// TakeWhile passes a sorted stream's values below a bound and ends on the
// first that is not; the input chip is not read further.
func ExampleTakeWhile() {
	p := pool.New("default", 16)
	prices, cheap := pool.NewPend[int](p, ""), pool.NewPend[int](p, "")
	err := runlet.Run(context.Background(),
		chip.FromSlice("prices", prices, []int{3, 5, 8, 13, 21, 5}),
		chip.TakeWhile("cheap", prices, cheap, func(v int) (bool, error) { return v < 10, nil }),
		chip.ForEach("print", cheap, func(v int) error { fmt.Println(v); return nil }),
	)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 3
	// 5
	// 8
}
