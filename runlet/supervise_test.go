package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// flaky is a pass-through chip whose calls fail for chosen values: fails
// maps a value to the failures left (-1: always), ends to the early ENDs
// left. binds counts its state factory's calls (one per Bind), calls the
// process calls with data.
type flaky struct {
	mu    sync.Mutex
	fails map[int]int
	ends  map[int]int
	binds atomic.Int32
	calls atomic.Int32
	at    []time.Time // when each data call began (fake time)
}

func newFlaky(fails map[int]int) *flaky {
	if fails == nil {
		fails = map[int]int{}
	}
	return &flaky{fails: fails, ends: map[int]int{}}
}

var errFlaky = errors.New("flaky")

func take(m map[int]int, v int) bool {
	n := m[v]
	if n == 0 {
		return false
	}
	if n > 0 {
		m[v] = n - 1
	}
	return true
}

func (f *flaky) chip(key string, prev, next *pool.Pend[int], async bool, s chip.Supervise) *chip.Func[int, int, int] {
	n := 0
	if async {
		n = 4
	}
	return chip.New(chip.Config[int, int, int]{
		Key: key, Prev: prev, Next: next, Async: async, Concurrency: n, Supervise: s,
		State:   func() int { f.binds.Add(1); return 0 },
		Salvage: func(*int) []int { return nil }, // the state holds no input
		Process: func(_ context.Context, in hints.Pack[int], _ *int) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				return hints.EndOf[int](1), nil
			}
			f.calls.Add(1)
			f.mu.Lock()
			defer f.mu.Unlock()
			f.at = append(f.at, time.Now())
			if take(f.fails, in.Value) {
				return hints.Pack[int]{}, fmt.Errorf("%w on %d", errFlaky, in.Value)
			}
			if take(f.ends, in.Value) {
				return hints.EndOf[int](1), nil
			}
			return hints.Data(in.Value), nil
		},
	})
}

// supEvents is a slog handler that keeps the supervisor's records.
type supEvents struct {
	mu   sync.Mutex
	msgs []string
}

func (e *supEvents) Enabled(context.Context, slog.Level) bool { return true }
func (e *supEvents) Handle(_ context.Context, r slog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.msgs = append(e.msgs, r.Message)
	return nil
}
func (e *supEvents) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e *supEvents) WithGroup(string) slog.Handler      { return e }
func (e *supEvents) count(kind string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, m := range e.msgs {
		if m == "runlet: supervisor: "+kind {
			n++
		}
	}
	return n
}

// line runs src(0..n-1) -> chips -> sink under cfg, in a synctest bubble,
// and returns what reached the sink, Run's error and the final snapshot.
func line(t *testing.T, n int, cfg runlet.Config, mk func(in, out *pool.Pend[int]) []chip.Chip) ([]int, error, runlet.Snapshot) {
	t.Helper()
	p := pool.New("p", 1<<12)
	in, out := ip(p, "in").Size(0, 1), ip(p, "out").Size(0, 1) // each chip waits for the next
	var s sink[int]
	chips := append([]chip.Chip{extSource("src", in, n)}, mk(in, out)...)
	chips = append(chips, chip.Supervised(s.output("sink", out), chip.Supervise{Restart: chip.Transient}))
	r := runlet.New(chips, cfg)
	before := runtime.NumGoroutine()
	err := r.Run(context.Background())
	synctest.Wait()
	assert.Empty(t, bubbleGoroutines(before), "goroutines left after Run")
	return s.values(), err, r.Snapshot()
}

// extSource is a transient input chip producing 0..n-1, then END, whose
// position lives outside its state: a restart goes on where it was.
func extSource(key string, next *pool.Pend[int], n int) chip.Chip {
	i := 0
	return chip.NewInput(key, next, nil, func(_ context.Context, _ *struct{}) (hints.Pack[int], error) {
		if i == n {
			return hints.EndOf[int](1), nil
		}
		i++
		return hints.Data(i - 1), nil
	}).Supervised(chip.Supervise{Restart: chip.Transient})
}

func supChip(s runlet.Snapshot, key string) runlet.ChipSnapshot {
	for _, c := range s.Chips {
		if c.Key == key {
			return c
		}
	}
	return runlet.ChipSnapshot{}
}

// An error restarts permanent and transient chips (fresh state, the failed
// pack re-offered first: every value comes out once, in order); a temporary
// chip's error fails the runlet, as without supervision.
func TestSuperviseErrorByType(t *testing.T) {
	for _, typ := range []chip.Restart{chip.Permanent, chip.Transient, chip.Temporary} {
		t.Run(typ.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFlaky(map[int]int{3: 1})
				got, err, snap := line(t, 10, runlet.Config{}, func(in, out *pool.Pend[int]) []chip.Chip {
					return []chip.Chip{f.chip("f", in, out, false, chip.Supervise{Restart: typ})}
				})
				if typ == chip.Temporary {
					require.ErrorIs(t, err, errFlaky)
					assert.NotErrorIs(t, err, runlet.ErrGaveUp)
					assert.Equal(t, int32(1), f.binds.Load())
					assert.Equal(t, 0, snap.Supervisor.Restarts)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, upTo(10), got)
				assert.Equal(t, int32(2), f.binds.Load(), "bound again once")
				assert.Equal(t, int32(11), f.calls.Load(), "value 3 called twice")
				assert.Equal(t, 1, supChip(snap, "f").Restarts)
				assert.Equal(t, typ.String(), supChip(snap, "f").Restart)
				require.NotNil(t, snap.Supervisor)
				assert.Equal(t, 1, snap.Supervisor.Restarts)
			})
		})
	}
}

// An early END (before the input's END) restarts a permanent chip only,
// with the pack it ended on re-offered; transient and temporary chips end
// there, and the flow ends with what came before.
func TestSuperviseEarlyEndByType(t *testing.T) {
	for _, typ := range []chip.Restart{chip.Permanent, chip.Transient, chip.Temporary} {
		t.Run(typ.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFlaky(nil)
				f.ends[5] = 1
				got, err, snap := line(t, 10, runlet.Config{}, func(in, out *pool.Pend[int]) []chip.Chip {
					return []chip.Chip{f.chip("f", in, out, false, chip.Supervise{Restart: typ})}
				})
				require.NoError(t, err)
				if typ == chip.Permanent {
					assert.Equal(t, upTo(10), got)
					assert.Equal(t, int32(2), f.binds.Load())
					assert.Equal(t, 1, supChip(snap, "f").Restarts)
					return
				}
				assert.Equal(t, upTo(5), got)
				assert.Equal(t, int32(1), f.binds.Load())
				assert.Equal(t, 0, supChip(snap, "f").Restarts)
			})
		})
	}
}

// A normal end (END after the input's END) restarts nobody, permanent
// included.
func TestSuperviseNormalEndNoRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFlaky(nil)
		got, err, snap := line(t, 10, runlet.Config{}, func(in, out *pool.Pend[int]) []chip.Chip {
			return []chip.Chip{f.chip("f", in, out, false, chip.Supervise{Restart: chip.Permanent})}
		})
		require.NoError(t, err)
		assert.Equal(t, upTo(10), got)
		assert.Equal(t, int32(1), f.binds.Load())
		assert.Equal(t, 0, snap.Supervisor.Restarts)
	})
}

// Past the intensity the supervisor gives up: Run returns a GiveUpError
// that reaches the chip's error; the events are logged and hooked; the
// values before the poisoned one came out once, the poisoned one is named
// in the error, and nothing after it came out.
func TestSuperviseIntensityGiveUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFlaky(map[int]int{7: -1})
		ev := &supEvents{}
		var hooked []runlet.EventKind
		cfg := runlet.Config{Logger: slog.New(ev), Supervisor: runlet.Supervisor{
			MaxRestarts: 2, Period: time.Minute,
			OnEvent: func(e runlet.Event) { hooked = append(hooked, e.Kind) },
		}}
		got, err, snap := line(t, 10, cfg, func(in, out *pool.Pend[int]) []chip.Chip {
			return []chip.Chip{f.chip("f", in, out, false, chip.Supervise{Restart: chip.Transient})}
		})
		require.ErrorIs(t, err, runlet.ErrGaveUp)
		require.ErrorIs(t, err, errFlaky)
		var ge *runlet.GiveUpError
		require.ErrorAs(t, err, &ge)
		assert.Equal(t, "f", ge.Chip)
		assert.Equal(t, 2, ge.Restarts)
		assert.Contains(t, err.Error(), "on 7")
		var ce *runlet.ChipError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "f", ce.Chip)
		assert.Equal(t, upTo(7), got)
		assert.Equal(t, int32(3), f.binds.Load())
		assert.Equal(t, 2, ev.count("restart"))
		assert.Equal(t, 1, ev.count("give-up"))
		assert.Equal(t, 1, ev.count("escalate"))
		assert.Equal(t, []runlet.EventKind{runlet.EventRestart, runlet.EventRestart, runlet.EventGiveUp, runlet.EventEscalate}, hooked)
		require.NotNil(t, snap.Supervisor)
		assert.Equal(t, 2, snap.Supervisor.Restarts)
		kinds := []string{}
		for _, e := range snap.Supervisor.Recent {
			kinds = append(kinds, e.Kind)
		}
		assert.Equal(t, []string{"restart", "restart", "give-up", "escalate"}, kinds)
	})
}

// Restarts older than the period do not count: two failures a period apart
// (the chip waits on a timer between them) are both restarted with an
// intensity of 1.
func TestSuperviseIntensityPeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFlaky(map[int]int{2: 1, 8: 1})
		got, err, snap := line(t, 10, runlet.Config{Supervisor: runlet.Supervisor{MaxRestarts: 1, Period: time.Second}},
			func(in, out *pool.Pend[int]) []chip.Chip {
				mid := ip(in.Pool(), "mid")
				return []chip.Chip{
					sleeper("sleep", in, mid, 5, 2*time.Second),
					f.chip("f", mid, out, false, chip.Supervise{Restart: chip.Transient}),
				}
			})
		require.NoError(t, err)
		assert.Equal(t, upTo(10), got)
		assert.Equal(t, 2, snap.Supervisor.Restarts)
	})
}

// sleeper is an async pass-through that sleeps d (fake time) before value
// at.
func sleeper(key string, prev, next *pool.Pend[int], at int, d time.Duration) chip.Chip {
	return chip.New(chip.Config[int, int, struct{}]{
		Key: key, Prev: prev, Next: next, Async: true, Concurrency: 1,
		Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				return hints.EndOf[int](1), nil
			}
			if in.Value == at {
				time.Sleep(d)
			}
			return hints.Data(in.Value), nil
		},
	})
}

// The restart delay does not count in the period: two failures 10 s of
// delay apart, with a period of 5 s and an intensity of 1, give up.
func TestSuperviseDelayNotInPeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFlaky(map[int]int{2: 1, 4: 1})
		_, err, _ := line(t, 10, runlet.Config{Supervisor: runlet.Supervisor{MaxRestarts: 1, Period: 5 * time.Second, Delay: 10 * time.Second}},
			func(in, out *pool.Pend[int]) []chip.Chip {
				return []chip.Chip{f.chip("f", in, out, false, chip.Supervise{Restart: chip.Transient})}
			})
		require.ErrorIs(t, err, runlet.ErrGaveUp)
		assert.Equal(t, int32(2), f.binds.Load())
	})
}

// The restart delay is Delay plus a jitter in [0, Jitter), on a timer, and
// the same Seed gives the same delay.
func TestSuperviseDelayJitter(t *testing.T) {
	var delays []time.Duration
	for range 2 {
		synctest.Test(t, func(t *testing.T) {
			f := newFlaky(map[int]int{3: 1})
			cfg := runlet.Config{Supervisor: runlet.Supervisor{Delay: time.Second, Jitter: 500 * time.Millisecond, Seed: 42}}
			got, err, snap := line(t, 6, cfg, func(in, out *pool.Pend[int]) []chip.Chip {
				return []chip.Chip{f.chip("f", in, out, false, chip.Supervise{Restart: chip.Permanent})}
			})
			require.NoError(t, err)
			assert.Equal(t, upTo(6), got)
			require.Len(t, f.at, 7)
			d := f.at[4].Sub(f.at[3]) // the failed call of 3, then its retry after the restart
			assert.GreaterOrEqual(t, d, time.Second)
			assert.Less(t, d, 1500*time.Millisecond)
			assert.Equal(t, 1, snap.Supervisor.Restarts)
			delays = append(delays, d)
		})
	}
	assert.Equal(t, delays[0], delays[1], "the same seed, the same jitter")
}

// chain builds in -> a -> b -> c -> out of flaky chips (b fails once on 4),
// each with its own restart type.
func chain(types [3]chip.Restart) ([3]*flaky, func(in, out *pool.Pend[int]) []chip.Chip) {
	fs := [3]*flaky{newFlaky(nil), newFlaky(map[int]int{4: 1}), newFlaky(nil)}
	return fs, func(in, out *pool.Pend[int]) []chip.Chip {
		ab, bc := ip(in.Pool(), "ab").Size(0, 1), ip(in.Pool(), "bc").Size(0, 1)
		return []chip.Chip{
			fs[0].chip("a", in, ab, false, chip.Supervise{Restart: types[0]}),
			fs[1].chip("b", ab, bc, false, chip.Supervise{Restart: types[1]}),
			fs[2].chip("c", bc, out, false, chip.Supervise{Restart: types[2]}),
		}
	}
}

func binds(fs [3]*flaky) [3]int32 {
	return [3]int32{fs[0].binds.Load(), fs[1].binds.Load(), fs[2].binds.Load()}
}

// Each strategy restarts exactly its chips: one_for_one b alone,
// rest_for_one b and c (downstream, and the sink), one_for_all every chip.
// Nothing is lost or duplicated.
func TestSuperviseStrategies(t *testing.T) {
	P := chip.Permanent
	for _, tc := range []struct {
		strategy runlet.Strategy
		want     [3]int32
		total    int // restarts with src and sink
	}{
		{runlet.OneForOne, [3]int32{1, 2, 1}, 1},
		{runlet.RestForOne, [3]int32{1, 2, 2}, 3}, // b, c, sink
		{runlet.OneForAll, [3]int32{2, 2, 2}, 5},  // src, a, b, c, sink
	} {
		t.Run(tc.strategy.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fs, mk := chain([3]chip.Restart{P, P, P})
				got, err, snap := line(t, 10, runlet.Config{Supervisor: runlet.Supervisor{Strategy: tc.strategy}}, mk)
				require.NoError(t, err)
				assert.Equal(t, upTo(10), got)
				assert.Equal(t, tc.want, binds(fs))
				for i, k := range []string{"a", "b", "c"} {
					assert.Equal(t, int(tc.want[i]-1), supChip(snap, k).Restarts, k)
				}
				assert.Equal(t, tc.total, snap.Supervisor.Restarts)
			})
		})
	}
}

// Under one_for_all a temporary sibling is stopped and not restarted: it
// ends (its END goes downstream), so the flow ends with what passed it; a
// transient sibling is restarted.
func TestSuperviseOneForAllTemporarySibling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fs, mk := chain([3]chip.Restart{chip.Transient, chip.Permanent, chip.Temporary})
		ev := &supEvents{}
		got, err, snap := line(t, 10, runlet.Config{Logger: slog.New(ev), Supervisor: runlet.Supervisor{Strategy: runlet.OneForAll}}, mk)
		require.NoError(t, err)
		assert.Equal(t, [3]int32{2, 2, 1}, binds(fs))
		assert.Equal(t, 0, supChip(snap, "c").Restarts)
		assert.True(t, supChip(snap, "c").Ended)
		assert.Equal(t, upTo(4), got, "c passed 0..3 before b failed on 4")
		assert.Equal(t, 4, ev.count("restart"), "src, a, b and the sink")
	})
}

// At-least-once: the failed pack is re-offered first, so every input comes
// out exactly once. At-most-once: it goes to the dead-letter pend with its
// error, so inputs = outputs + dead letters, each once.
func TestSuperviseDelivery(t *testing.T) {
	for _, atMost := range []bool{false, true} {
		t.Run(fmt.Sprint("atMostOnce=", atMost), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFlaky(map[int]int{2: 1, 11: 1, 17: 1})
				var dead []chip.DeadLetter[int]
				got, err, _ := line(t, 20, runlet.Config{Supervisor: runlet.Supervisor{MaxRestarts: 5}},
					func(in, out *pool.Pend[int]) []chip.Chip {
						dl := pool.NewPend[chip.DeadLetter[int]](in.Pool(), "dead")
						c := f.chip("f", in, out, false, chip.Supervise{Restart: chip.Transient, AtMostOnce: atMost})
						return []chip.Chip{
							c.WithPolicy(chip.Policy[int]{Dead: dl}),
							chip.Collect("dlq", dl, &dead),
						}
					})
				require.NoError(t, err)
				var all []int
				all = append(all, got...)
				for _, d := range dead {
					all = append(all, d.Value)
					assert.ErrorIs(t, d.Err, errFlaky)
					assert.Equal(t, "f", d.Chip)
				}
				slices.Sort(all)
				assert.Equal(t, upTo(20), all, "each input once: output or dead letter")
				if atMost {
					assert.Len(t, dead, 3)
				} else {
					assert.Empty(t, dead)
					assert.Equal(t, upTo(20), got)
				}
			})
		})
	}
}

// A Fold's accumulator goes to the OnRestart hook before the restart: the
// inputs folded into it do not vanish silently.
func TestSuperviseFoldStateHook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		failed := false
		var states []any
		var causes []error
		got, err, _ := line(t, 10, runlet.Config{}, func(in, out *pool.Pend[int]) []chip.Chip {
			return []chip.Chip{
				chip.Fold("sum", in, out, 0, func(acc, v int) (int, error) {
					if v == 5 && !failed {
						failed = true
						return 0, errFlaky
					}
					return acc + v, nil
				}).Supervised(chip.Supervise{Restart: chip.Transient, OnRestart: func(s any, cause error) {
					states = append(states, s)
					causes = append(causes, cause)
				}}),
			}
		})
		require.NoError(t, err)
		assert.Equal(t, []any{0 + 1 + 2 + 3 + 4}, states)
		require.Len(t, causes, 1)
		assert.ErrorIs(t, causes[0], errFlaky)
		assert.Equal(t, []int{5 + 6 + 7 + 8 + 9}, got, "the restarted fold starts afresh from the re-offered 5")
	})
}

// Without a hook, a Fold's dropped state is reported as a state-lost event
// (logged); a Batch's partial batch goes to its dead-letter pend.
func TestSuperviseDefaultStateHandling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := &supEvents{}
		failed := false
		_, err, _ := line(t, 10, runlet.Config{Logger: slog.New(ev)}, func(in, out *pool.Pend[int]) []chip.Chip {
			return []chip.Chip{chip.Fold("sum", in, out, 0, func(acc, v int) (int, error) {
				if v == 5 && !failed {
					failed = true
					return 0, errFlaky
				}
				return acc + v, nil
			}).Supervised(chip.Supervise{Restart: chip.Transient})}
		})
		require.NoError(t, err)
		assert.Equal(t, 1, ev.count("state-lost"))
	})
	synctest.Test(t, func(t *testing.T) {
		// src -> batch(4) -> f (fails once on the first batch) -> sink,
		// one_for_all: the batch chip is restarted with values in hand
		// (0..3 went out in the failed batch; the source has pushed 6, so 4
		// and 5 are gathering), which go to its dead-letter pend.
		p := pool.New("p", 1<<12)
		in := ip(p, "in").Size(0, 6)
		bs, out := pool.NewPend[[]int](p, "bs").Size(0, 4), pool.NewPend[[]int](p, "out").Size(0, 1)
		dl := pool.NewPend[chip.DeadLetter[int]](p, "dead")
		var dead []chip.DeadLetter[int]
		var got [][]int
		failed := false
		T := chip.Supervise{Restart: chip.Transient}
		r := runlet.New([]chip.Chip{
			extSource("src", in, 10),
			chip.Batch("batch", in, bs, 4, 0).WithPolicy(chip.Policy[int]{Dead: dl}).Supervised(T),
			chip.Map("f", bs, out, func(b []int) ([]int, error) {
				if !failed && b[0] == 0 {
					failed = true
					return nil, errFlaky
				}
				return b, nil
			}).Supervised(T),
			chip.Collect("sink", out, &got).Supervised(T),
			chip.Collect("dlq", dl, &dead).Supervised(T),
		}, runlet.Config{Supervisor: runlet.Supervisor{Strategy: runlet.OneForAll}})
		require.NoError(t, r.Run(context.Background()))
		var all []int
		for _, b := range got {
			all = append(all, b...)
		}
		for _, d := range dead {
			all = append(all, d.Value)
			assert.ErrorIs(t, d.Err, runlet.ErrRestarted)
		}
		slices.Sort(all)
		// The failed batch 0..3 was re-offered to f and came out: at-least-once.
		assert.Equal(t, upTo(10), all, "every value once: in a batch or a dead letter")
		require.Len(t, dead, 2, "the partial batch was salvaged")
		assert.Equal(t, []int{4, 5}, []int{dead[0].Value, dead[1].Value})
	})
}

// An async chip with 4 workers is restarted too: what finished is pushed,
// the rest re-offered; every value comes out once.
func TestSuperviseAsync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFlaky(map[int]int{13: 1, 40: 1})
		got, err, snap := line(t, 64, runlet.Config{Supervisor: runlet.Supervisor{MaxRestarts: 3}}, func(in, out *pool.Pend[int]) []chip.Chip {
			return []chip.Chip{f.chip("f", in, out, true, chip.Supervise{Restart: chip.Transient})}
		})
		require.NoError(t, err)
		slices.Sort(got)
		assert.Equal(t, upTo(64), got)
		assert.Equal(t, 2, supChip(snap, "f").Restarts)
	})
}

// A sub-runlet's supervisor that gives up escalates to the parent: the
// SubRunlet chip fails with the GiveUpError; the parent's supervisor
// restarts that chip (a fresh sub-runlet, fed what the old one had not
// taken) if it is supervised, and gives up in turn when the fresh one
// fails too (its inner chip fails from 3 on, and on END: the old sub took
// every value, so the fresh one is fed the END again).
func TestSuperviseSubRunletEscalates(t *testing.T) {
	for _, parentSupervised := range []bool{false, true} {
		t.Run(fmt.Sprint("parentSupervised=", parentSupervised), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var builds atomic.Int32
				build := func() (*runlet.Runlet, *runlet.Input[int], *runlet.Output[int], error) {
					builds.Add(1)
					p := pool.New("s", 16)
					inP, outP := ip(p, "in"), ip(p, "out")
					inner := chip.New(chip.Config[int, int, struct{}]{
						Key: "inner", Prev: inP, Next: outP, Supervise: chip.Supervise{Restart: chip.Transient},
						Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
							if in.Hint == hints.End || in.Value >= 3 {
								return hints.Pack[int]{}, errFlaky
							}
							return hints.Data(in.Value), nil
						},
					})
					r := runlet.New([]chip.Chip{inner}, runlet.Config{Supervisor: runlet.Supervisor{MaxRestarts: 1}})
					in, err := runlet.PendInput(r, inP)
					if err != nil {
						return nil, nil, nil, err
					}
					out, err := runlet.PendOutput(r, outP)
					return r, in, out, err
				}
				got, err, snap := line(t, 6, runlet.Config{}, func(in, out *pool.Pend[int]) []chip.Chip {
					sub := runlet.SubRunlet("sub", in, out, build)
					if parentSupervised {
						sub = chip.Supervised(sub, chip.Supervise{Restart: chip.Transient})
					}
					return []chip.Chip{sub}
				})
				assert.Subset(t, upTo(3), got)
				require.ErrorIs(t, err, runlet.ErrGaveUp)
				require.ErrorIs(t, err, errFlaky)
				var ce *runlet.ChipError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, "sub", ce.Chip)
				if parentSupervised {
					assert.Equal(t, int32(2), builds.Load(), "the parent restarted the sub-runlet once")
					assert.Equal(t, 1, snap.Supervisor.Restarts)
				} else {
					assert.Equal(t, int32(1), builds.Load())
				}
			})
		})
	}
}

// A one_for_all restart stops its chips in reverse declaration order and
// starts them in declaration order; the runlet's end closes them in
// reverse order too.
func TestSuperviseStartStopOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log []string
		failed := false
		mk := func(key string, prev, next *pool.Pend[int]) chip.Chip {
			return chip.New(chip.Config[int, int, struct{}]{
				Key: key, Prev: prev, Next: next, Supervise: chip.Supervise{Restart: chip.Permanent},
				State: func() struct{} { log = append(log, "start "+key); return struct{}{} },
				Close: func(*struct{}) { log = append(log, "stop "+key) },
				Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					if in.Hint == hints.End {
						return hints.EndOf[int](1), nil
					}
					if key == "b" && in.Value == 2 && !failed {
						failed = true
						return hints.Pack[int]{}, errFlaky
					}
					return hints.Data(in.Value), nil
				},
			})
		}
		got, err, _ := line(t, 5, runlet.Config{Supervisor: runlet.Supervisor{Strategy: runlet.OneForAll}}, func(in, out *pool.Pend[int]) []chip.Chip {
			ab, bc := ip(in.Pool(), "ab").Size(0, 1), ip(in.Pool(), "bc").Size(0, 1)
			return []chip.Chip{mk("a", in, ab), mk("b", ab, bc), mk("c", bc, out)}
		})
		require.NoError(t, err)
		assert.Equal(t, upTo(5), got)
		assert.Equal(t, []string{
			"start a", "start b", "start c", // Attach
			"start a", "start b", "start c", // the restart: bind in order...
			"stop c", "stop b", "stop a", // ...then the old ones close in reverse
			"stop c", "stop b", "stop a", // the end
		}, log)
	})
}

// An async chip's calls in flight get their shutdown budget at a restart:
// a call that waits on its ctx is cancelled after it (fake time), reported
// as a shutdown event, and its pack re-offered: nothing is lost.
func TestSuperviseShutdownBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := &supEvents{}
		var blocked, failed atomic.Bool
		var cancelledAt, failedAt time.Duration
		start := time.Now()
		got, err, _ := line(t, 6, runlet.Config{Logger: slog.New(ev)}, func(in, out *pool.Pend[int]) []chip.Chip {
			in.Size(0, 0) // no limit: both workers get a value
			return []chip.Chip{chip.New(chip.Config[int, int, struct{}]{
				Key: "slow", Prev: in, Next: out, Async: true, Concurrency: 2,
				Supervise: chip.Supervise{Restart: chip.Transient, Shutdown: 3 * time.Second},
				Process: func(ctx context.Context, pk hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					switch {
					case pk.Hint == hints.End:
						return hints.EndOf[int](1), nil
					case pk.Value == 0 && blocked.CompareAndSwap(false, true):
						<-ctx.Done() // ignores the restart until its ctx ends
						cancelledAt = time.Since(start)
						return hints.Pack[int]{}, ctx.Err()
					case !failed.Load():
						// The other worker's first call fails once, while 0
						// is blocked: 0 is the first value, so it is in the
						// first batch, and a call waiting here is not behind it.
						for !blocked.Load() {
							time.Sleep(time.Millisecond)
						}
						if failed.CompareAndSwap(false, true) {
							time.Sleep(time.Millisecond)
							failedAt = time.Since(start)
							return hints.Pack[int]{}, errFlaky
						}
					}
					return hints.Data(pk.Value), nil
				},
			})}
		})
		require.NoError(t, err)
		slices.Sort(got)
		assert.Equal(t, upTo(6), got)
		assert.Equal(t, failedAt+3*time.Second, cancelledAt, "cancelled when the budget ran out")
		assert.Equal(t, 1, ev.count("shutdown-timeout"))
		assert.Equal(t, 1, ev.count("restart"))
	})
}

// An async permanent chip's early END is caught on its worker and restarts
// it as a sync chip's does: the pack it ended on is re-offered.
func TestSuperviseAsyncEarlyEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFlaky(nil)
		f.ends[9] = 1
		got, err, snap := line(t, 20, runlet.Config{}, func(in, out *pool.Pend[int]) []chip.Chip {
			return []chip.Chip{f.chip("f", in, out, true, chip.Supervise{Restart: chip.Permanent})}
		})
		require.NoError(t, err)
		slices.Sort(got)
		assert.Equal(t, upTo(20), got)
		assert.Equal(t, int32(2), f.binds.Load())
		assert.Equal(t, 1, supChip(snap, "f").Restarts)
	})
}

// A chip that fails while another's restart waits for its delay is
// restarted after it, one restart at a time: both come back, nothing is
// lost.
func TestSuperviseFailureDuringRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newFlaky(map[int]int{3: 1}), newFlaky(map[int]int{1: 1})
		ev := &supEvents{}
		got, err, snap := line(t, 8, runlet.Config{Logger: slog.New(ev), Supervisor: runlet.Supervisor{MaxRestarts: 5, Delay: time.Second}},
			func(in, out *pool.Pend[int]) []chip.Chip {
				ab := ip(in.Pool(), "ab")
				return []chip.Chip{
					a.chip("a", in, ab, false, chip.Supervise{Restart: chip.Transient}),
					sleeper("gate", ab, ip(in.Pool(), "g"), -1, 0), // async: b's input arrives later
					b.chip("b", ip(in.Pool(), "g"), out, false, chip.Supervise{Restart: chip.Transient}),
				}
			})
		require.NoError(t, err)
		assert.Equal(t, upTo(8), got)
		assert.Equal(t, 1, supChip(snap, "a").Restarts)
		assert.Equal(t, 1, supChip(snap, "b").Restarts)
		assert.Equal(t, 2, ev.count("restart"))
	})
}
