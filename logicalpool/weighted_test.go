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
	require.NoError(t, logicalpool.LoadBalanceWeighted[int](lp, "lb", []string{"a", "b", "c"}, []int{5, 1, 1}))
	view, err := get[int](lp, "lb")
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
	require.NoError(t, logicalpool.LoadBalanceWeighted[int](lp, "lb", keys, weights))
	sinks := make([]*sink[int], len(keys))
	chips := []chip.Chip{chip.FromSlice("in", chip.At("lp", "lb"), ints(1000))}
	for i, k := range keys {
		sinks[i] = &sink[int]{}
		chips = append(chips, sinks[i].chip(k, chip.At("store", k), 0))
	}
	r := runlet.New([]*pool.Pool{inner, lp}, chips, runlet.Config{})
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
		require.NoError(t, logicalpool.LoadBalanceWeighted[int](lp, "lb", []string{"slow", "fast"}, []int{3, 1}))
		var slow, fast sink[int]
		r := runlet.New([]*pool.Pool{inner, lp}, []chip.Chip{
			chip.FromSlice("in", chip.At("lp", "lb"), ints(1000)),
			slow.chip("slow", chip.At("store", "slow"), time.Millisecond),
			fast.chip("fast", chip.At("store", "fast"), 0),
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
		{"negative", []int{1, -2}, `logicalpool: view "lb": viewee "b" has a negative weight -2`},
		{"all zero", []int{0, 0}, `logicalpool: view "lb": every weight is zero (no viewee would get a pack)`},
		{"too large", []int{1 << 30, 1}, `logicalpool: view "lb": weights add up to more than 1073741824`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lp := logicalpool.New("lp", pool.New("store", 8))
			err := logicalpool.LoadBalanceWeighted[int](lp, "lb", []string{"a", "b"}, tc.weights)
			require.EqualError(t, err, tc.want)
		})
	}
}

// The weighted view is an ordinary LoadBalance otherwise: once defined, its
// name is taken.
func TestLoadBalanceWeightedDefinedTwice(t *testing.T) {
	lp := logicalpool.New("lp", pool.New("store", 8))
	require.NoError(t, logicalpool.LoadBalanceWeighted[int](lp, "lb", []string{"a", "b"}, []int{1, 1}))
	err := logicalpool.LoadBalanceWeighted[int](lp, "lb", []string{"a", "b"}, []int{1, 1})
	require.ErrorContains(t, err, fmt.Sprintf("view %q defined twice", "lb"))
}
