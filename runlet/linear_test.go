package runlet_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// linearCount is a stage: an input chip of 1..n, then END.
func linearCount(n int) runlet.Stage {
	return func(_, next chip.PendRef) chip.Chip {
		return chip.NewInput("count", next, nil, func(_ context.Context, i *int) (hints.Pack[int], error) {
			if *i == n {
				return hints.EndOf[int](1), nil
			}
			*i++
			return hints.Data(*i), nil
		})
	}
}

// linearMap is a stage: a sync or async chip applying f.
func linearMap(key string, async bool, f func(int) (int, error)) runlet.Stage {
	return func(prev, next chip.PendRef) chip.Chip {
		return chip.New(chip.Config[int, int, struct{}]{
			Key: key, Prev: prev, Next: next, Async: async,
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				if in.Hint == hints.End {
					return in, nil
				}
				v, err := f(in.Value)
				return hints.Data(v), err
			},
		})
	}
}

// linearCollect is a stage: an output chip appending to got.
func linearCollect(got *[]int) runlet.Stage {
	return func(prev, _ chip.PendRef) chip.Chip {
		return chip.NewOutput("collect", prev, nil, func(_ context.Context, in hints.Pack[int], _ *struct{}) error {
			if in.Hint == hints.None {
				*got = append(*got, in.Value)
			}
			return nil
		})
	}
}

func TestLinearRunsStagesInOrder(t *testing.T) {
	var got []int
	double := linearMap("double", false, func(v int) (int, error) { return 2 * v, nil })
	inc := linearMap("inc", true, func(v int) (int, error) { return v + 1, nil })
	err := runlet.Linear(context.Background(), pool.New("p", 2), linearCount(100), double, inc, linearCollect(&got))
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int, 100)
	for i := range want {
		want[i] = 2*(i+1) + 1
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// Stage i pushes into pend "i" of the given pool, stage i+1 pulls from it;
// the first stage pulls from chip.Input and the last pushes to chip.Output.
func TestNewLinearWiring(t *testing.T) {
	var refs [][2]chip.PendRef
	spy := func(s runlet.Stage) runlet.Stage {
		return func(prev, next chip.PendRef) chip.Chip {
			refs = append(refs, [2]chip.PendRef{prev, next})
			return s(prev, next)
		}
	}
	var got []int
	id := func(v int) (int, error) { return v, nil }
	r, err := runlet.NewLinear(pool.New("p", 4), runlet.Config{},
		spy(linearCount(3)), spy(linearMap("a", false, id)), spy(linearMap("b", false, id)), spy(linearCollect(&got)))
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]chip.PendRef{
		{chip.Input, chip.At("p", "0")},
		{chip.At("p", "0"), chip.At("p", "1")},
		{chip.At("p", "1"), chip.At("p", "2")},
		{chip.At("p", "2"), chip.Output},
	}
	if !slices.Equal(refs, want) {
		t.Fatalf("stages got %v, want %v", refs, want)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("got %v", got)
	}
	if d := r.Describe(); !strings.Contains(d, "0@p >> 1@p") {
		t.Fatalf("Describe does not show chip a between pends 0 and 1:\n%s", d)
	}
}

func TestLinearNilPoolIsADefaultCountPool(t *testing.T) {
	var got []int
	r, err := runlet.NewLinear(nil, runlet.Config{}, linearCount(50), linearCollect(&got))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 {
		t.Fatalf("got %d values, want 50", len(got))
	}
	s := r.Snapshot()
	i := slices.IndexFunc(s.Pools, func(p runlet.PoolSnapshot) bool { return p.Key == runlet.LinearPool })
	if i < 0 || s.Pools[i].Kind != "count" || s.Pools[i].Limit != runlet.LinearLimit {
		t.Fatalf("pools %+v, want a count pool %q of limit %d", s.Pools, runlet.LinearPool, runlet.LinearLimit)
	}
}

func TestLinearRejectsBadStages(t *testing.T) {
	var got []int
	nilChip := func(_, _ chip.PendRef) chip.Chip { return nil }
	for _, c := range []struct {
		name   string
		stages []runlet.Stage
		want   []string
	}{
		{"none", nil, []string{"0 stages"}},
		{"one", []runlet.Stage{linearCount(1)}, []string{"1 stages"}},
		{"nil stage and nil chip", []runlet.Stage{linearCount(1), nil, nilChip, linearCollect(&got)},
			[]string{"stage #1 is nil", "stage #2 made a nil chip"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := runlet.Linear(context.Background(), nil, c.stages...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// Mistakes Attach finds (here: two chips with one key, and a pend whose two
// sides disagree on the element type) come back from Linear.
func TestLinearReportsAttachErrors(t *testing.T) {
	var got []int
	id := func(v int) (int, error) { return v, nil }
	fromStrings := func(prev, next chip.PendRef) chip.Chip {
		return chip.New(chip.Config[string, int, struct{}]{
			Key: "strings", Prev: prev, Next: next,
			Process: func(context.Context, hints.Pack[string], *struct{}) (hints.Pack[int], error) {
				return hints.Pack[int]{}, nil
			},
		})
	}
	err := runlet.Linear(context.Background(), nil,
		linearCount(1), linearMap("m", false, id), linearMap("m", false, id), fromStrings, linearCollect(&got))
	if err == nil || !linearContains(err.Error(), `duplicate chip key "m"`, "string") {
		t.Fatalf("error %v, want the duplicate key and the type mismatch", err)
	}
}

func linearContains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestLinearReturnsTheChipError(t *testing.T) {
	errOdd := errors.New("odd")
	var got []int
	check := linearMap("check", true, func(v int) (int, error) {
		if v == 7 {
			return 0, errOdd
		}
		return v, nil
	})
	err := runlet.Linear(context.Background(), nil, linearCount(100), check, linearCollect(&got))
	var ce *runlet.ChipError
	if !errors.Is(err, errOdd) || !errors.As(err, &ce) || ce.Chip != "check" {
		t.Fatalf("error %v, want errOdd from chip check", err)
	}
}

// Linear returns ctx's error when ctx ends first, with every goroutine of the
// runlet ended (synctest fails the test otherwise).
func TestLinearCtxTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got []int
		slow := linearMap("slow", true, func(v int) (int, error) {
			time.Sleep(time.Second)
			return v, nil
		})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second+time.Millisecond)
		defer cancel()
		err := runlet.Linear(ctx, nil, linearCount(100), slow, linearCollect(&got))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v, want context.DeadlineExceeded", err)
		}
		if len(got) < 9 || len(got) > 11 {
			t.Fatalf("%d values through a 1 s stage in 10 s", len(got))
		}
	})
}
