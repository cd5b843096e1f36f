package runlet_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// traceChain builds I -> pend:1 -> M -> pend:2 -> O over values 1..n and
// records every process call as name:value.
func traceChain(limit, n int, async bool) (*runlet.Runlet, *[]string) {
	var trace []string
	rec := func(name string, pk hints.Pack[int]) {
		if pk.Hint == hints.End {
			trace = append(trace, name+":END")
		} else {
			trace = append(trace, fmt.Sprintf("%s:%d", name, pk.Value))
		}
	}
	p := pool.New("default", limit)
	p1, p2 := ip(p, "pend:1"), ip(p, "pend:2")
	in := chip.New(chip.Config[struct{}, int, int]{
		Key: "I", Next: p1, Async: async,
		Process: func(_ context.Context, _ hints.Pack[struct{}], i *int) (hints.Pack[int], error) {
			if *i == n {
				rec("I", hints.EndOf[int](1))
				return hints.EndOf[int](1), nil
			}
			*i++
			rec("I", hints.Data(*i))
			return hints.Data(*i), nil
		},
	})
	mid := chip.New(chip.Config[int, int, struct{}]{
		Key: "M", Prev: p1, Next: p2, Async: async,
		Process: func(_ context.Context, pk hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			rec("M", pk)
			return pk, nil
		},
	})
	out := chip.NewOutput("O", p2, nil, func(_ context.Context, pk hints.Pack[int], _ *struct{}) error {
		rec("O", pk)
		return nil
	})
	r := runlet.New([]chip.Chip{in, mid, out}, runlet.Config{})
	return r, &trace
}

func TestSyncTraceMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		limit int
		want  string
	}{
		{2, "I:1 I:2 M:1 M:2 O:1 O:2 I:3 I:4 M:3 M:4 O:3 O:4 I:5 I:END M:5 M:END O:5 O:END"},
		{0, "I:1 M:1 O:1 I:2 M:2 O:2 I:3 M:3 O:3 I:4 M:4 O:4 I:5 M:5 O:5 I:END M:END O:END"},
	} {
		r, trace := traceChain(tc.limit, 5, false)
		if err := r.Run(context.Background()); err != nil {
			t.Fatalf("limit %d: Run: %v", tc.limit, err)
		}
		if got := strings.Join(*trace, " "); got != tc.want {
			t.Errorf("limit %d trace:\n got %s\nwant %s", tc.limit, got, tc.want)
		}
		t.Log(r.Describe())
	}
}
