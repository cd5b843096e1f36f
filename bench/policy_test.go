package bench

import (
	"context"
	"testing"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// chain4Policy is Chain4 (input -> four x*3+1 maps -> sum) with an error
// policy on each of the four maps and no failure: what a policy costs a
// flow that never fails. Sync: the four chip.Map of Chain4's RunletSync,
// bare and with each policy; Async: the four async chips of Chain4's
// RunletAsync, bare and with each policy. Retry and Dead act on the error
// path only, so they should cost nothing; Timeout gives every call a
// context with a deadline and a watchdog timer, the per-item cost of a
// per-call timeout (four calls per item).
var chain4Policy = workload{
	name: "Chain4Policy",
	want: chain4.want,
	systems: []system{
		{"SyncBare", chain4Sync(nil)},
		{"SyncRetry", chain4Sync(func(*pool.Pend[chip.DeadLetter[int]]) chip.Policy[int] {
			return chip.Policy[int]{Retry: &chip.Retry{}}
		})},
		{"SyncDead", chain4Sync(func(d *pool.Pend[chip.DeadLetter[int]]) chip.Policy[int] {
			return chip.Policy[int]{Retry: &chip.Retry{}, Dead: d}
		})},
		{"SyncTimeout", chain4Sync(func(*pool.Pend[chip.DeadLetter[int]]) chip.Policy[int] {
			return chip.Policy[int]{Timeout: time.Minute}
		})},
		{"AsyncBare", chain4Async(nil)},
		{"AsyncRetry", chain4Async(func(*pool.Pend[chip.DeadLetter[int]]) chip.Policy[int] {
			return chip.Policy[int]{Retry: &chip.Retry{}}
		})},
		{"AsyncDead", chain4Async(func(d *pool.Pend[chip.DeadLetter[int]]) chip.Policy[int] {
			return chip.Policy[int]{Retry: &chip.Retry{}, Dead: d}
		})},
		{"AsyncTimeout", chain4Async(func(*pool.Pend[chip.DeadLetter[int]]) chip.Policy[int] {
			return chip.Policy[int]{Timeout: time.Minute}
		})},
	},
}

// policyChips returns the chips of a Chain4 whose four maps are made by
// stage and given the policy pol makes (none for nil); a policy with a
// dead-letter pend gets a drain for it.
func policyChips(n int, s *int, pol func(*pool.Pend[chip.DeadLetter[int]]) chip.Policy[int],
	stage func(key string, prev, next *pool.Pend[int]) *chip.Func[int, int, struct{}]) []chip.Chip {
	p := newPool()
	q := ats[int](p, "p0", "p1", "p2", "p3", "p4")
	chips := []chip.Chip{count("in", q[0], n)}
	for k, key := range []string{"m1", "m2", "m3", "m4"} {
		f := stage(key, q[k], q[k+1])
		if pol != nil {
			d := pool.NewPend[chip.DeadLetter[int]](p, "")
			pl := pol(d)
			f = f.WithPolicy(pl)
			if pl.Dead != nil {
				chips = append(chips, chip.ForEach(key+".drain", d, func(chip.DeadLetter[int]) error { return nil }))
			}
		}
		chips = append(chips, f)
	}
	return append(chips, chip.ForEach("sum", q[4], func(v int) error { *s += v; return nil }))
}

func chain4Sync(pol func(*pool.Pend[chip.DeadLetter[int]]) chip.Policy[int]) func(int) (uint64, error) {
	return func(n int) (uint64, error) {
		s := 0
		err := runRunlet(policyChips(n, &s, pol, func(key string, prev, next *pool.Pend[int]) *chip.Func[int, int, struct{}] {
			return chip.Map(key, prev, next, mapStep)
		})...)
		return uint64(s), err
	}
}

func chain4Async(pol func(*pool.Pend[chip.DeadLetter[int]]) chip.Policy[int]) func(int) (uint64, error) {
	return func(n int) (uint64, error) {
		s := 0
		err := runRunlet(policyChips(n, &s, pol, func(key string, prev, next *pool.Pend[int]) *chip.Func[int, int, struct{}] {
			return chip.New(chip.Config[int, int, struct{}]{
				Key: key, Prev: prev, Next: next, Async: true,
				Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					if in.Hint == hints.None {
						in.Value = step(in.Value)
					}
					return in, nil
				},
			})
		})...)
		return uint64(s), err
	}
}

func BenchmarkChain4Policy(b *testing.B) { benchWorkload(b, chain4Policy) }
