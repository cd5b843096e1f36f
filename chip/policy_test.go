package chip_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errFlaky = errors.New("flaky")

// policyFlow is a flow of a source of 1..n, the chip "work" under test
// (made by mk from its pends), a Collect of its outputs and one of its
// dead letters.
type policyFlow struct {
	out  []int
	dead []chip.DeadLetter[int]
}

func runPolicy(t *testing.T, n int, useDead bool, mk func(prev, next *pool.Pend[int], dead *pool.Pend[chip.DeadLetter[int]]) chip.Chip) (policyFlow, error) {
	t.Helper()
	p := pool.New("default", 64)
	src, out := pool.NewPend[int](p, "src"), pool.NewPend[int](p, "out")
	dead := pool.NewPend[chip.DeadLetter[int]](p, "dead")
	in := make([]int, n)
	for i := range in {
		in[i] = i + 1
	}
	var f policyFlow
	chips := []chip.Chip{chip.FromSlice("src", src, in), mk(src, out, dead), chip.Collect("sink", out, &f.out)}
	if useDead {
		chips = append(chips, chip.Collect("deadsink", dead, &f.dead))
	}
	return f, runlet.Run(context.Background(), chips...)
}

// calls records process calls from any goroutine: value and fake time
// since the start.
type calls struct {
	mu    sync.Mutex
	start time.Time
	at    map[int][]time.Duration
	order []int
}

func newCalls() *calls { return &calls{start: time.Now(), at: map[int][]time.Duration{}} }

func (c *calls) add(v int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at[v] = append(c.at[v], time.Since(c.start))
	c.order = append(c.order, v)
	return len(c.at[v])
}

// modes are the ways a chip can run: sync, and async with and without order.
var policyModes = []struct {
	name          string
	async, order  bool
	n             int
	keepsOrder    bool
	overtakesSlow bool
}{
	{"sync", false, false, 1, true, false},
	{"async1", true, false, 1, true, false},
	{"ordered4", true, true, 4, true, false},
	{"unordered4", true, false, 4, false, true},
}

func TestPolicyRetryThenDeadLetter(t *testing.T) {
	for _, m := range policyModes {
		t.Run(m.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newCalls()
				f, err := runPolicy(t, 10, true, func(prev, next *pool.Pend[int], dead *pool.Pend[chip.DeadLetter[int]]) chip.Chip {
					return chip.New(chip.Config[int, int, struct{}]{
						Key: "work", Prev: prev, Next: next, Async: m.async, Concurrency: m.n, Ordered: m.order,
						Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
							if in.Hint == hints.End {
								return in, nil
							}
							k := c.add(in.Value)
							if in.Value%3 == 0 || (in.Value == 4 && k < 3) {
								return hints.Pack[int]{}, fmt.Errorf("value %d: %w", in.Value, errFlaky)
							}
							return hints.Data(in.Value * 10), nil
						},
						Policy: chip.Policy[int]{
							Retry: &chip.Retry{MaxAttempts: 3, Initial: 10 * time.Millisecond, Jitter: -1},
							Dead:  dead,
						},
					})
				})
				require.NoError(t, err)
				want := []int{10, 20, 40, 50, 70, 80, 100}
				if m.keepsOrder {
					assert.Equal(t, want, f.out)
				} else {
					assert.ElementsMatch(t, want, f.out)
				}
				require.Len(t, f.dead, 3)
				slices.SortFunc(f.dead, func(a, b chip.DeadLetter[int]) int { return a.Value - b.Value })
				for i, d := range f.dead {
					assert.Equal(t, 3*(i+1), d.Value)
					assert.Equal(t, "work", d.Chip)
					assert.Equal(t, 3, d.Attempts)
					assert.ErrorIs(t, d.Err, errFlaky)
				}
				// Backoff 10ms then 20ms, in fake time, exactly.
				at := c.at[4]
				require.Len(t, at, 3)
				assert.Equal(t, []time.Duration{10 * time.Millisecond, 30 * time.Millisecond}, []time.Duration{at[1] - at[0], at[2] - at[0]})
				// 10 inputs: 7 outputs + 3 dead letters, 10 + 2*(3+1)... calls.
				assert.Len(t, c.order, 10+2+3*2)
			})
		})
	}
}

func TestPolicyOrderAndOvertaking(t *testing.T) {
	for _, m := range policyModes {
		t.Run(m.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newCalls()
				f, err := runPolicy(t, 8, false, func(prev, next *pool.Pend[int], _ *pool.Pend[chip.DeadLetter[int]]) chip.Chip {
					return chip.New(chip.Config[int, int, struct{}]{
						Key: "work", Prev: prev, Next: next, Async: m.async, Concurrency: m.n, Ordered: m.order,
						Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
							if in.Hint == hints.End {
								return in, nil
							}
							if c.add(in.Value) == 1 && in.Value == 1 {
								return hints.Pack[int]{}, errFlaky // the first pack backs off 1s once
							}
							time.Sleep(time.Millisecond) // async work takes time
							return hints.Data(in.Value), nil
						},
						Policy: chip.Policy[int]{Retry: &chip.Retry{Initial: time.Second, Jitter: -1}},
					})
				})
				require.NoError(t, err)
				require.ElementsMatch(t, []int{1, 2, 3, 4, 5, 6, 7, 8}, f.out)
				if m.keepsOrder {
					assert.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8}, f.out)
				} else {
					// Every later pack overtook the one backing off.
					assert.Equal(t, 1, f.out[len(f.out)-1], f.out)
				}
				assert.Equal(t, time.Second, c.at[1][1]-c.at[1][0])
				assert.Empty(t, f.dead)
			})
		})
	}
}

func TestPolicyRetryExhaustedFailsNamingChip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCalls()
		_, err := runPolicy(t, 3, false, func(prev, next *pool.Pend[int], _ *pool.Pend[chip.DeadLetter[int]]) chip.Chip {
			return chip.New(chip.Config[int, int, struct{}]{
				Key: "work", Prev: prev, Next: next,
				Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					if in.Hint == hints.End {
						return in, nil
					}
					c.add(in.Value)
					if in.Value == 2 {
						return hints.Pack[int]{}, errFlaky
					}
					return hints.Data(in.Value), nil
				},
				Policy: chip.Policy[int]{Retry: &chip.Retry{MaxAttempts: 4, Initial: time.Millisecond}},
			})
		})
		require.ErrorIs(t, err, errFlaky)
		assert.ErrorContains(t, err, `"work"`)
		assert.ErrorContains(t, err, "after 4 attempts")
		assert.Len(t, c.at[2], 4)
	})
}

func TestPolicyRetryPredicateAndMaxElapsed(t *testing.T) {
	errFatal := errors.New("fatal")
	synctest.Test(t, func(t *testing.T) {
		c := newCalls()
		f, err := runPolicy(t, 2, true, func(prev, next *pool.Pend[int], dead *pool.Pend[chip.DeadLetter[int]]) chip.Chip {
			return chip.New(chip.Config[int, int, struct{}]{
				Key: "work", Prev: prev, Next: next,
				Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					if in.Hint == hints.End {
						return in, nil
					}
					c.add(in.Value)
					if in.Value == 1 {
						return hints.Pack[int]{}, errFatal
					}
					return hints.Pack[int]{}, errFlaky
				},
				Policy: chip.Policy[int]{
					Retry: &chip.Retry{MaxAttempts: 10, Initial: 100 * time.Millisecond, MaxElapsed: 250 * time.Millisecond, Jitter: -1,
						Retryable: func(err error) bool { return !errors.Is(err, errFatal) }},
					Dead: dead,
				},
			})
		})
		require.NoError(t, err)
		assert.Empty(t, f.out)
		require.Len(t, f.dead, 2)
		assert.Equal(t, 1, f.dead[0].Attempts) // not retryable
		assert.ErrorIs(t, f.dead[0].Err, errFatal)
		// 100ms then 200ms would end 300ms after the first failure, past 250ms.
		assert.Equal(t, 2, f.dead[1].Attempts)
		assert.Equal(t, 100*time.Millisecond, c.at[2][1]-c.at[2][0])
	})
}

func TestPolicyBreakerOpensAndProbes(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New("default", 64)
				src, out := pool.NewPend[int](p, "src"), pool.NewPend[int](p, "out")
				dead := pool.NewPend[chip.DeadLetter[int]](p, "dead")
				c := newCalls()
				var got []int
				var dl []chip.DeadLetter[int]
				err := runlet.Run(context.Background(),
					chip.Generate("src", src, func(ctx context.Context, yield func(int) bool) error {
						for i := 1; i <= 25; i++ {
							time.Sleep(100 * time.Millisecond) // value i at i*100ms
							if !yield(i) {
								return nil
							}
						}
						return nil
					}),
					chip.New(chip.Config[int, int, struct{}]{
						Key: "work", Prev: src, Next: out, Async: async,
						Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
							if in.Hint == hints.End {
								return in, nil
							}
							c.add(in.Value)
							if in.Value <= 3 || in.Value == 13 {
								return hints.Pack[int]{}, errFlaky
							}
							return hints.Data(in.Value), nil
						},
						Policy: chip.Policy[int]{Breaker: &chip.Breaker{Failures: 3, Open: 950 * time.Millisecond}, Dead: dead},
					}),
					chip.Collect("sink", out, &got),
					chip.Collect("deadsink", dead, &dl),
				)
				require.NoError(t, err)
				// Open at 300ms after 3 failures; 13 at 1300ms is the half-open
				// probe, which fails and opens it again until 2250ms; 23 closes it.
				assert.Equal(t, []int{1, 2, 3, 13, 23, 24, 25}, c.order)
				assert.Equal(t, []int{23, 24, 25}, got)
				require.Len(t, dl, 22)
				for i, d := range dl {
					assert.Equal(t, i+1, d.Value)
					if v := d.Value; v <= 3 || v == 13 {
						assert.ErrorIs(t, d.Err, errFlaky)
					} else {
						assert.ErrorIs(t, d.Err, chip.ErrCircuitOpen, v)
					}
				}
			})
		})
	}
}

func TestPolicyBreakerWithoutDeadFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, err := runPolicy(t, 5, false, func(prev, next *pool.Pend[int], _ *pool.Pend[chip.DeadLetter[int]]) chip.Chip {
			return chip.New(chip.Config[int, int, struct{}]{
				Key: "work", Prev: prev, Next: next,
				Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					if in.Hint == hints.End {
						return in, nil
					}
					return hints.Pack[int]{}, errFlaky
				},
				Policy: chip.Policy[int]{Breaker: &chip.Breaker{Failures: 1}, Retry: &chip.Retry{MaxAttempts: 5}},
			})
		})
		// The first call fails and opens the breaker; its retry is refused:
		// ErrCircuitOpen is not retried, so the runlet fails with it.
		require.ErrorIs(t, err, chip.ErrCircuitOpen)
		assert.ErrorContains(t, err, `"work"`)
		assert.ErrorContains(t, err, "after 2 attempts")
	})
}

func TestPolicyRatePacing(t *testing.T) {
	for _, m := range policyModes {
		t.Run(m.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newCalls()
				f, err := runPolicy(t, 6, false, func(prev, next *pool.Pend[int], _ *pool.Pend[chip.DeadLetter[int]]) chip.Chip {
					return chip.New(chip.Config[int, int, struct{}]{
						Key: "work", Prev: prev, Next: next, Async: m.async, Concurrency: m.n, Ordered: m.order,
						Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
							if in.Hint == hints.End {
								return in, nil
							}
							c.add(in.Value)
							return hints.Data(in.Value), nil
						},
						Policy: chip.Policy[int]{Rate: &chip.Rate{PerSecond: 10, Burst: 2}},
					})
				})
				require.NoError(t, err)
				assert.ElementsMatch(t, []int{1, 2, 3, 4, 5, 6}, f.out)
				var at []time.Duration
				for _, v := range c.order {
					at = append(at, c.at[v][0])
				}
				slices.Sort(at)
				ms := time.Millisecond
				assert.Equal(t, []time.Duration{0, 0, 100 * ms, 200 * ms, 300 * ms, 400 * ms}, at)
			})
		})
	}
}

func TestPolicyTimeout(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var stuck []string
				f, err := runPolicy(t, 3, true, func(prev, next *pool.Pend[int], dead *pool.Pend[chip.DeadLetter[int]]) chip.Chip {
					return chip.New(chip.Config[int, int, struct{}]{
						Key: "work", Prev: prev, Next: next, Async: async,
						Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
							if in.Hint == hints.End {
								return in, nil
							}
							switch in.Value {
							case 2: // ignores its ctx for 5s, then succeeds
								time.Sleep(5 * time.Second)
							case 3: // honours its ctx
								<-ctx.Done()
								return hints.Pack[int]{}, ctx.Err()
							}
							return hints.Data(in.Value), nil
						},
						Policy: chip.Policy[int]{
							Timeout: time.Second, Grace: 500 * time.Millisecond, Dead: dead,
							Stuck: func(chip string, running time.Duration) {
								mu.Lock()
								defer mu.Unlock()
								stuck = append(stuck, fmt.Sprintf("%s %v", chip, running))
							},
						},
					})
				})
				require.NoError(t, err)
				assert.Equal(t, []int{1, 2}, f.out)
				require.Len(t, f.dead, 1)
				assert.Equal(t, 3, f.dead[0].Value)
				assert.ErrorIs(t, f.dead[0].Err, chip.ErrTimeout)
				assert.ErrorIs(t, f.dead[0].Err, context.DeadlineExceeded)
				mu.Lock()
				defer mu.Unlock()
				assert.Equal(t, []string{"work 1.5s"}, stuck)
			})
		})
	}
}

// TestPolicyNothingLost runs random transient and permanent faults through
// every mode and checks that every input comes out once, as an output or a
// dead letter.
func TestPolicyNothingLost(t *testing.T) {
	for _, m := range policyModes {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("%s/seed=%d", m.name, seed), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(seed, 99))
					const n = 300
					fails := make([]int, n+1) // how many calls of each value fail
					for i := range fails {
						switch r := rng.IntN(10); {
						case r < 2:
							fails[i] = 1 + rng.IntN(2) // transient
						case r < 3:
							fails[i] = 100 // permanent
						}
					}
					c := newCalls()
					f, err := runPolicy(t, n, true, func(prev, next *pool.Pend[int], dead *pool.Pend[chip.DeadLetter[int]]) chip.Chip {
						return chip.New(chip.Config[int, int, struct{}]{
							Key: "work", Prev: prev, Next: next, Async: m.async, Concurrency: m.n, Ordered: m.order,
							Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
								if in.Hint == hints.End {
									return in, nil
								}
								if c.add(in.Value) <= fails[in.Value] {
									return hints.Pack[int]{}, errFlaky
								}
								return hints.Data(in.Value), nil
							},
							Policy: chip.Policy[int]{Retry: &chip.Retry{MaxAttempts: 3, Initial: time.Millisecond}, Dead: dead},
						})
					})
					require.NoError(t, err)
					seen := map[int]int{}
					for _, v := range f.out {
						seen[v]++
						assert.Less(t, fails[v], 3, v)
					}
					for _, d := range f.dead {
						seen[d.Value]++
						assert.Equal(t, 3, d.Attempts)
						assert.GreaterOrEqual(t, fails[d.Value], 3, d.Value)
					}
					require.Len(t, seen, n)
					for v, k := range seen {
						require.Equal(t, 1, k, "value %d", v)
					}
					if m.keepsOrder {
						assert.True(t, slices.IsSorted(f.out))
					}
				})
			})
		}
	}
}

func TestPolicyBadSettings(t *testing.T) {
	p := pool.New("default", 64)
	a, b := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
	dead := pool.NewPend[chip.DeadLetter[int]](p, "dead")
	cases := []struct {
		name string
		pol  chip.Policy[int]
		next *pool.Pend[int]
		want string
	}{
		{"attempts", chip.Policy[int]{Retry: &chip.Retry{MaxAttempts: -1}}, b, "negative MaxAttempts -1"},
		{"multiplier", chip.Policy[int]{Retry: &chip.Retry{Multiplier: 0.5}}, b, "Multiplier 0.5 is below 1"},
		{"max", chip.Policy[int]{Retry: &chip.Retry{Initial: time.Second, Max: time.Millisecond}}, b, "Max 1ms is below Initial 1s"},
		{"rate", chip.Policy[int]{Rate: &chip.Rate{}}, b, "PerSecond 0 must be positive"},
		{"breaker", chip.Policy[int]{Breaker: &chip.Breaker{Failures: -2}}, b, "negative Failures -2"},
		{"timeout", chip.Policy[int]{Timeout: -time.Second}, b, "negative Timeout"},
		{"dead is next", chip.Policy[int]{Dead: dead}, nil, "is the chip's own prev or next pend"},
		{"dead has no pool", chip.Policy[int]{Dead: &pool.Pend[chip.DeadLetter[int]]{}}, b, "dead-letter pend has no pool"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			next := tc.next
			var chips []chip.Chip
			var got []int
			var dl []chip.DeadLetter[int]
			chips = append(chips, chip.FromSlice("src", a, []int{1}))
			if next == nil { // the dead-letter pend is the chip's next pend
				chips = append(chips, chip.New(chip.Config[int, chip.DeadLetter[int], struct{}]{
					Key: "work", Prev: a, Next: dead, Policy: tc.pol,
					Process: func(context.Context, hints.Pack[int], *struct{}) (hints.Pack[chip.DeadLetter[int]], error) {
						return hints.Pack[chip.DeadLetter[int]]{}, nil
					},
				}), chip.Collect("deadsink", dead, &dl))
			} else {
				chips = append(chips, chip.New(chip.Config[int, int, struct{}]{
					Key: "work", Prev: a, Next: next, Policy: tc.pol,
					Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) { return in, nil },
				}), chip.Collect("sink", next, &got))
			}
			err := runlet.Run(context.Background(), chips...)
			require.Error(t, err)
			assert.ErrorContains(t, err, `chip "work"`)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// A limited dead-letter pend still takes every dead letter: a failed pack
// is never held back for it.
func TestPolicyDeadPendLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("default", 64)
		src, out := pool.NewPend[int](p, "src"), pool.NewPend[int](p, "out")
		dead := pool.NewPend[chip.DeadLetter[int]](p, "dead").Size(0, 1)
		var got []int
		var dl []chip.DeadLetter[int]
		err := runlet.Run(context.Background(),
			chip.FromSlice("src", src, []int{1, 2, 3, 4, 5, 6, 7, 8}),
			chip.Map("work", src, out, func(v int) (int, error) {
				if v > 2 {
					return 0, errFlaky
				}
				return v, nil
			}).WithPolicy(chip.Policy[int]{Dead: dead}),
			chip.Collect("sink", out, &got),
			chip.Collect("deadsink", dead, &dl),
		)
		require.NoError(t, err)
		assert.Equal(t, []int{1, 2}, got)
		require.Len(t, dl, 6)
		for i, d := range dl {
			assert.Equal(t, i+3, d.Value)
			assert.Equal(t, 1, d.Attempts)
		}
	})
}

// WithPolicy leaves the chip it was called on as it was.
func TestWithPolicyCopies(t *testing.T) {
	p := pool.New("default", 64)
	src, out := pool.NewPend[int](p, "src"), pool.NewPend[int](p, "out")
	m := chip.Map("work", src, out, func(v int) (int, error) {
		if v == 2 {
			return 0, errFlaky
		}
		return v, nil
	})
	dead := pool.NewPend[chip.DeadLetter[int]](p, "dead")
	withDead := m.WithPolicy(chip.Policy[int]{Dead: dead})
	assert.Empty(t, m.Spec().Dead.Pend)
	assert.Equal(t, "dead", withDead.Spec().Dead.Pend)
	var got []int
	err := runlet.Run(context.Background(), chip.FromSlice("src", src, []int{1, 2, 3}), m, chip.Collect("sink", out, &got))
	require.ErrorIs(t, err, errFlaky)
}

// A sync chip backing off waits on its timer: the scheduler runs the other
// chips of its runlet meanwhile, at once in fake time.
func TestPolicyRetryNeverBlocksScheduler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("default", 64)
		a, b := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
		c, d := pool.NewPend[int](p, "c"), pool.NewPend[int](p, "d")
		start := time.Now()
		var slowAt, fastAt []time.Duration
		tries := 0
		err := runlet.Run(context.Background(),
			chip.FromSlice("src1", a, []int{1, 2}),
			chip.Map("slow", a, b, func(v int) (int, error) {
				if v == 1 {
					if tries++; tries < 3 {
						return 0, errFlaky
					}
				}
				return v, nil
			}).WithPolicy(chip.Policy[int]{Retry: &chip.Retry{Initial: time.Second, Jitter: -1}}),
			chip.ForEach("sink1", b, func(int) error { slowAt = append(slowAt, time.Since(start)); return nil }),
			chip.FromSlice("src2", c, []int{1, 2, 3}),
			chip.Map("fast", c, d, func(v int) (int, error) { return v, nil }),
			chip.ForEach("sink2", d, func(int) error { fastAt = append(fastAt, time.Since(start)); return nil }),
		)
		require.NoError(t, err)
		assert.Equal(t, []time.Duration{0, 0, 0}, fastAt)
		assert.Equal(t, []time.Duration{3 * time.Second, 3 * time.Second}, slowAt) // 1s, then 2s
	})
}

// Describe shows a sync chip's pack waiting for its retry.
func TestPolicyDescribeShowsWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("default", 64)
		a, b := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
		tries := 0
		var got []int
		r := runlet.New([]chip.Chip{
			chip.FromSlice("src", a, []int{7}),
			chip.Map("work", a, b, func(v int) (int, error) {
				if tries++; tries < 2 {
					return 0, errFlaky
				}
				return v, nil
			}).WithPolicy(chip.Policy[int]{Retry: &chip.Retry{Initial: time.Second, Jitter: -1}}),
			chip.Collect("sink", b, &got),
		}, runlet.Config{})
		done := make(chan error)
		go func() { done <- r.Run(context.Background()) }()
		time.Sleep(time.Second / 2)
		synctest.Wait()
		assert.Contains(t, r.Describe(), `#work ["7"|-|WAIT]`)
		require.NoError(t, <-done)
		assert.Equal(t, []int{7}, got)
	})
}

// A runlet stopped while a pack backs off returns the stop's error at once,
// with no goroutine left, in every mode.
func TestPolicyStopDuringBackoff(t *testing.T) {
	for _, m := range policyModes {
		t.Run(m.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New("default", 64)
				src, out := pool.NewPend[int](p, "src"), pool.NewPend[int](p, "out")
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				var got []int
				start := time.Now()
				err := runlet.Run(ctx,
					chip.FromSlice("src", src, []int{1, 2, 3}),
					chip.New(chip.Config[int, int, struct{}]{
						Key: "work", Prev: src, Next: out, Async: m.async, Concurrency: m.n, Ordered: m.order,
						Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
							if in.Hint == hints.End {
								return in, nil
							}
							return hints.Pack[int]{}, errFlaky
						},
						Policy: chip.Policy[int]{Retry: &chip.Retry{Initial: time.Hour, Jitter: -1}},
					}),
					chip.Collect("sink", out, &got),
				)
				require.ErrorIs(t, err, context.DeadlineExceeded)
				assert.NotErrorIs(t, err, errFlaky)
				assert.Equal(t, time.Second, time.Since(start))
				assert.Empty(t, got)
			})
		})
	}
}
