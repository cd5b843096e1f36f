package logicalpool_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
	"github.com/stretchr/testify/require"
)

// The picks are smooth: weights 5, 1, 1 interleave the light viewees into
// the heavy one's run, as nginx's weighted round robin does, and the cycle
// repeats every 7 packs.
func TestLoadBalanceWeightedIsSmooth(t *testing.T) {
	inner := pool.New("store", pool.Unlimited)
	lp := logicalpool.New("lp", inner)
	lb, err := logicalpool.LoadBalanceWeighted(lp, "lb", ips(inner, "a", "b", "c"), []int{5, 1, 1})
	require.NoError(t, err)
	view, err := get[int](lp, lb.Key())
	require.NoError(t, err)
	pends := map[string]int{}
	var order []string
	for i := range 14 {
		require.NoError(t, view.Push(hints.Data(i)))
		for _, k := range []string{"a", "b", "c"} {
			p, err := get[int](inner, k)
			require.NoError(t, err)
			if p.Len() > pends[k] {
				order = append(order, k)
				pends[k] = p.Len()
			}
		}
	}
	require.Equal(t, "a a b a c a a a a b a c a a", strings.Join(order, " "))
}

// Over 1000 packs with no viewee limited, each consumer gets its share of
// the weights within ±2%; a viewee of weight 0 gets only the END; every
// consumer gets exactly one END; no pack is lost or duplicated.
func TestLoadBalanceWeightedSpread(t *testing.T) {
	inner := pool.New("store", pool.Unlimited)
	lp := logicalpool.New("lp", inner)
	weights := []int{1, 2, 3, 4, 0}
	keys := []string{"w0", "w1", "w2", "w3", "w4"}
	ws := ips(inner, keys...)
	lb, err := logicalpool.LoadBalanceWeighted(lp, "lb", ws, weights)
	require.NoError(t, err)
	sinks := make([]*sink[int], len(keys))
	chips := []chip.Chip{chip.FromSlice("in", lb, ints(1000))}
	for i, w := range ws {
		sinks[i] = &sink[int]{}
		chips = append(chips, sinks[i].chip(keys[i], w, 0))
	}
	r := runlet.New(chips, runlet.Config{})
	require.NoError(t, r.Run(context.Background()))
	seen := map[int]int{}
	for i, s := range sinks {
		got := s.values()
		want := 1000 * weights[i] / 10
		require.InDelta(t, want, len(got), 20, "consumer %s of weight %d", keys[i], weights[i])
		require.Equal(t, 1, s.ends, "ENDs seen by %s", keys[i])
		for _, v := range got {
			seen[v]++
		}
	}
	require.Len(t, seen, 1000)
	for v, n := range seen {
		require.Equal(t, 1, n, "value %d delivered %d times", v, n)
	}
}

// With a slow consumer and a small pool, backpressure holds: the pool stays
// within its limit plus a bust, the fast consumer takes the slow one's share
// while it is limited, and still no pack is lost or duplicated and each
// consumer gets exactly one END.
func TestLoadBalanceWeightedSlowConsumer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := pool.New("store", 8)
		lp := logicalpool.New("lp", inner)
		slowPend, fastPend := ip(inner, "slow"), ip(inner, "fast")
		lb, err := logicalpool.LoadBalanceWeighted(lp, "lb", []*pool.Pend[int]{slowPend, fastPend}, []int{3, 1})
		require.NoError(t, err)
		var slow, fast sink[int]
		r := runlet.New([]chip.Chip{
			chip.FromSlice("in", lb, ints(1000)),
			slow.chip("slow", slowPend, time.Millisecond),
			fast.chip("fast", fastPend, 0),
		}, runlet.Config{})
		require.NoError(t, r.Run(context.Background()), "%s", r.Describe())
		seen := map[int]int{}
		for _, v := range append(slow.values(), fast.values()...) {
			seen[v]++
		}
		require.Len(t, seen, 1000)
		for v, n := range seen {
			require.Equal(t, 1, n, "value %d delivered %d times", v, n)
		}
		require.Equal(t, 1, slow.ends)
		require.Equal(t, 1, fast.ends)
		require.LessOrEqual(t, inner.High(), 8+2, "pool high-water mark")
		// The slow consumer is limited most of the time, so the fast one
		// gets more than its weight's quarter.
		require.Greater(t, len(fast.values()), 250)
	})
}

// Bad weights are refused with an error naming the view.
func TestLoadBalanceWeightedBadWeights(t *testing.T) {
	for _, tc := range []struct {
		name    string
		weights []int
		want    string
	}{
		{"count mismatch", []int{1}, `logicalpool: view "lb": 1 weights for 2 viewees`},
		{"negative", []int{1, -2}, `logicalpool: view "lb": viewee 1 has a negative weight -2`},
		{"all zero", []int{0, 0}, `logicalpool: view "lb": every weight is zero (no viewee would get a pack)`},
		{"too large", []int{1 << 30, 1}, `logicalpool: view "lb": weights add up to more than 1073741824`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := pool.New("store", 8)
			lp := logicalpool.New("lp", store)
			lb, err := logicalpool.LoadBalanceWeighted(lp, "lb", ips(store, "a", "b"), tc.weights)
			require.EqualError(t, err, tc.want)
			require.Nil(t, lb)
		})
	}
}

// The weighted view is an ordinary LoadBalance otherwise: once defined, its
// name is taken.
func TestLoadBalanceWeightedDefinedTwice(t *testing.T) {
	store := pool.New("store", 8)
	lp := logicalpool.New("lp", store)
	ab := ips(store, "a", "b")
	_, err := logicalpool.LoadBalanceWeighted(lp, "lb", ab, []int{1, 1})
	require.NoError(t, err)
	_, err = logicalpool.LoadBalanceWeighted(lp, "lb", ab, []int{1, 1})
	require.ErrorContains(t, err, fmt.Sprintf("view %q defined twice", "lb"))
}
