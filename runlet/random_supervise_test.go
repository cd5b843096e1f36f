package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
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

// TestRandomSupervision runs random supervised chains: a transient source
// (its position outside its state, so a restart goes on where it was; it
// may wait a fake-time gap before each value), 1 to 4 pass-through stages
// in random modes (sync, async with one worker, ordered or unordered with
// several) and restart types, and a transient output; under a random
// strategy (one_for_one, rest_for_one, one_for_all), intensity
// (MaxRestarts, Period) and restart delay. Stages fail some values on
// purpose: transiently (the first k calls of a value fail) or permanently
// (every call fails); at-most-once stages (Supervise.AtMostOnce with a
// dead-letter pend) send a failed value to their dead letters. Temporary
// stages get no fault and appear only under one_for_one (a temporary chip
// stopped by a sibling's restart ends, and the flow with it, as the docs
// say). It checks:
//
//   - Run returns nil or a GiveUpError (ErrGaveUp) naming a faulty stage and
//     reaching the fault of the value that asked for the last restart;
//   - in a clean run every input comes out exactly once, as an output or a
//     dead letter of the first at-most-once stage that failed it, as the
//     faults predict; an at-least-once stage's permanent fault on a value
//     that reaches it forces a give-up; in a given-up run every value comes
//     out at most once, and the value of the error does not come out;
//   - a dead letter comes from an at-most-once stage, carries its own
//     value's fault, and that stage failed that value;
//   - restarts (OnEvent) never exceed MaxRestarts within Period on the
//     supervisor's clock (fake time less the restart delays), a give-up
//     comes only with MaxRestarts restarts within Period, and, when no fake
//     time passes, exactly when the failures exceed MaxRestarts; every
//     restart decision answers an injected failure (exactly one each in a
//     clean run whose stages are all sync); Snapshot().Supervisor and the chips' snapshots
//     count the restart events;
//   - no state is reported lost, and no goroutine is left after Run.
//
// A failure prints the seed; replay it with
//
//	go test ./runlet -run TestRandomSupervision -random.seed=N -v
func TestRandomSupervision(t *testing.T) {
	seeds := []uint64{*randomSeed}
	if *randomSeed == 0 {
		base := uint64(time.Now().UnixNano())
		seeds = seeds[:0]
		for i := range *randomN {
			seeds = append(seeds, base+uint64(i))
		}
	}
	var tl tally
	var failed []string
	for _, seed := range seeds {
		if !t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { runRandomSupervision(t, seed, &tl) }) {
			failed = append(failed, fmt.Sprintf("go test ./runlet -run TestRandomSupervision -random.seed=%d -v", seed))
			if len(failed) == 5 {
				break
			}
		}
	}
	t.Logf("%d runlets: %s", len(seeds), tl.String())
	if len(failed) > 0 {
		t.Fatalf("replay with:\n%s", strings.Join(failed, "\n"))
	}
}

// supStage is one supervised stage of the chain and what it saw.
type supStage struct {
	key        string
	mode       string
	sync       bool
	restart    chip.Restart
	atMostOnce bool
	faults     map[int]int // value: how many first calls fail; -1: every call

	mu      sync.Mutex
	calls   map[int]int
	failed  map[int]int // value: failed calls
	nfailed int
	letters []chip.DeadLetter[int]
}

// call records a call of v and returns its injected fault, or nil.
func (s *supStage) call(v int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[v]++
	f, ok := s.faults[v]
	if !ok || (f >= 0 && s.calls[v] > f) {
		return nil
	}
	s.failed[v]++
	s.nfailed++
	cause := errTransientFault
	if f < 0 {
		cause = errPermanentFault
	}
	return &valueFault{s.key, v, cause}
}

// supChain is one generated chain and its supervisor.
type supChain struct {
	rng    *rand.Rand
	desc   strings.Builder
	n      int
	chips  []chip.Chip
	stages []*supStage
	inputs []int
	gap    time.Duration
	sup    runlet.Supervisor
	out    []int
	outMu  sync.Mutex
	ends   int
}

func (c *supChain) pick(n int) int { return c.rng.IntN(n) }

func (c *supChain) name(prefix string) string {
	c.n++
	return fmt.Sprint(prefix, c.n)
}

// newSupChain generates a chain from seed.
func newSupChain(seed uint64) *supChain {
	c := &supChain{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	c.sup = runlet.Supervisor{
		Strategy:    []runlet.Strategy{runlet.OneForOne, runlet.RestForOne, runlet.OneForAll}[c.pick(3)],
		MaxRestarts: 1 + c.pick(6),
		Period:      []time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond, 5 * time.Second}[c.pick(4)],
		Seed:        seed,
	}
	if c.pick(2) == 0 {
		c.sup.Delay = time.Duration(c.pick(5)) * time.Millisecond
		c.sup.Jitter = time.Duration(c.pick(3)) * time.Millisecond
	}
	c.gap = []time.Duration{0, 0, time.Millisecond, 3 * time.Millisecond}[c.pick(4)]
	data := pool.New("P", []int{1, 2, 8, 64, pool.Unlimited}[c.pick(5)])
	dead := pool.New("D", pool.Unlimited)
	fmt.Fprintf(&c.desc, "supervisor %+v, pool limit %d, source gap %v\n", c.sup, data.Limit(), c.gap)
	c.inputs = upTo([]int{0, 1, 5, 17, 40}[c.pick(5)])
	prev := pool.NewPend[int](data, c.name("p"))
	c.chips = append(c.chips, c.source(prev))
	for range 1 + c.pick(4) {
		next := pool.NewPend[int](data, c.name("p"))
		if c.pick(2) == 0 {
			next.Size([]int{0, 1, 2}[c.pick(3)], []int{0, 1, 4}[c.pick(3)])
		}
		c.stage(prev, next, dead)
		prev = next
	}
	c.chips = append(c.chips, c.output(prev))
	return c
}

// source is a transient input chip producing c.inputs, then END, each
// after c.gap of fake time.
func (c *supChain) source(next *pool.Pend[int]) chip.Chip {
	i := 0
	return chip.NewInput(c.name("src"), next, nil, func(context.Context, *struct{}) (hints.Pack[int], error) {
		if i == len(c.inputs) {
			return hints.EndOf[int](1), nil
		}
		time.Sleep(c.gap)
		i++
		return hints.Data(c.inputs[i-1]), nil
	}).Supervised(chip.Supervise{Restart: chip.Transient})
}

// output is a transient output chip recording what reaches it.
func (c *supChain) output(prev *pool.Pend[int]) chip.Chip {
	return chip.New(chip.Config[int, struct{}, struct{}]{
		Key: c.name("out"), Prev: prev, Supervise: chip.Supervise{Restart: chip.Transient},
		Salvage: func(*struct{}) []int { return nil },
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
			c.outMu.Lock()
			defer c.outMu.Unlock()
			if in.Hint == hints.End {
				c.ends++
				return hints.EndOf[struct{}](1), nil
			}
			c.out = append(c.out, in.Value)
			return hints.SkipOf[struct{}](), nil
		},
	})
}

// stage adds one random supervised stage from prev to next.
func (c *supChain) stage(prev, next *pool.Pend[int], dead *pool.Pool) {
	st := &supStage{key: c.name("st"), faults: map[int]int{}, calls: map[int]int{}, failed: map[int]int{}}
	st.restart = []chip.Restart{chip.Permanent, chip.Transient, chip.Temporary}[c.pick(3)]
	if st.restart == chip.Temporary && c.sup.Strategy != runlet.OneForOne {
		st.restart = chip.Transient
	}
	cfg := chip.Config[int, int, struct{}]{Key: st.key, Prev: prev, Next: next,
		Salvage: func(*struct{}) []int { return nil }, // the state holds no input
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				return hints.EndOf[int](1), nil
			}
			if err := st.call(in.Value); err != nil {
				return hints.Pack[int]{}, err
			}
			return hints.Data(in.Value), nil
		}}
	if st.restart != chip.Temporary {
		st.atMostOnce = c.pick(2) == 0
		if st.atMostOnce {
			d := pool.NewPend[chip.DeadLetter[int]](dead, c.name("dead"))
			cfg.Policy.Dead = d
			c.chips = append(c.chips, chip.Collect(c.name("deadsink"), d, &st.letters).
				Supervised(chip.Supervise{Restart: chip.Transient}))
		}
		permanent := c.pick(3) == 0 // else transient faults only
		for _, v := range c.inputs {
			switch r := c.pick(20); {
			case r < 2:
				st.faults[v] = 1 + c.pick(3)
			case r < 3 && permanent:
				st.faults[v] = -1
			}
		}
	}
	cfg.Supervise = chip.Supervise{Restart: st.restart, AtMostOnce: st.atMostOnce}
	conc := 2 + c.pick(3)
	switch c.pick(4) {
	case 0:
		st.mode, st.sync = "sync", true
	case 1:
		st.mode = "async x1"
		cfg.Async, cfg.Concurrency = true, 1
	case 2:
		st.mode = fmt.Sprintf("ordered x%d", conc)
		cfg.Async, cfg.Concurrency, cfg.Ordered = true, conc, true
	default:
		st.mode = fmt.Sprintf("unordered x%d", conc)
		cfg.Async, cfg.Concurrency = true, conc
	}
	fmt.Fprintf(&c.desc, "stage %s (%s) %s at-most-once %v: %s -> %s faults %v\n",
		st.key, st.mode, st.restart, st.atMostOnce, prev, next, st.faults)
	c.stages = append(c.stages, st)
	c.chips = append(c.chips, chip.New(cfg))
}

// fates lists what the faults can make of v in a clean run: "output", or
// "dead letter of <stage>"; give is set when an at-least-once stage fails
// v forever and v surely reaches it: the run must give up. A value that an
// at-most-once stage fails transiently may still pass: its failed call, in
// flight in an async stage stopped for a sibling's restart, is re-offered
// (the sibling's restart takes the chip's held packs back).
func (c *supChain) fates(v int) (fates []string, give bool) {
	for _, st := range c.stages {
		f, ok := st.faults[v]
		switch {
		case !ok:
		case st.atMostOnce:
			fates = append(fates, "dead letter of "+st.key)
			if f < 0 {
				return fates, false
			}
		case f < 0:
			return fates, len(fates) == 0
		}
	}
	return append(fates, "output"), false
}

func runRandomSupervision(t *testing.T, seed uint64, tl *tally) {
	synctest.Test(t, func(t *testing.T) {
		c := newSupChain(seed)
		var events []runlet.Event
		c.sup.OnEvent = func(e runlet.Event) { events = append(events, e) }
		r := runlet.New(c.chips, runlet.Config{Budget: []int{1, 2, 7, 1024}[c.pick(4)], Supervisor: c.sup,
			Logger: slog.New(slog.DiscardHandler)})
		before := runtime.NumGoroutine()
		err := r.Run(context.Background())
		synctest.Wait()
		report := func(format string, args ...any) {
			t.Helper()
			var failed strings.Builder
			for _, st := range c.stages {
				fmt.Fprintf(&failed, "%s failed %v calls %v letters %v\n", st.key, st.failed, st.calls, st.letters)
			}
			t.Errorf("seed %d: %s\nchain:\n%s\nout %v\nerr %v\n%sevents:\n%s\nstate:\n%s", seed, fmt.Sprintf(format, args...),
				c.desc.String(), c.out, err, failed.String(), eventList(events), r.Describe())
		}
		if left := bubbleGoroutines(before); left != "" {
			report("goroutines left after Run:\n%s", left)
		}
		tl.add(c.sup.Strategy.String(), 1)
		if err != nil {
			tl.add("gave up", 1)
		}
		c.checkValues(err, report)
		c.checkIntensity(err, events, r.Snapshot(), report)
		if testing.Verbose() {
			t.Logf("chain:\n%sout %v err %v\nevents:\n%s", c.desc.String(), c.out, err, eventList(events))
		}
	})
}

func eventList(events []runlet.Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "  %v %s chip %s by %s restarts %d delay %v cause %v\n", e.Time.UnixMilli()%100000, e.Kind, e.Chip, e.By, e.Restarts, e.Delay, e.Cause)
	}
	return b.String()
}

// checkValues checks every value's fate against the faults, and Run's error.
func (c *supChain) checkValues(err error, report func(string, ...any)) {
	where := map[int][]string{}
	for _, v := range c.out {
		where[v] = append(where[v], "output")
	}
	for _, st := range c.stages {
		for _, d := range st.letters {
			where[d.Value] = append(where[d.Value], "dead letter of "+st.key)
			var vf *valueFault
			if !st.atMostOnce || d.Chip != st.key || !errors.As(d.Err, &vf) || vf.v != d.Value || vf.stage != st.key {
				report("dead letter %v of stage %s (at most once %v) is not its own value's fault", d, st.key, st.atMostOnce)
			}
			if st.failed[d.Value] == 0 {
				report("dead letter %v of stage %s, which never failed it", d, st.key)
			}
		}
	}
	for v, w := range where {
		if len(w) > 1 || !slices.Contains(c.inputs, v) {
			report("value %d seen %d times (%v); it is in the input: %v", v, len(w), w, slices.Contains(c.inputs, v))
		}
	}
	mustGiveUp := false
	for _, v := range c.inputs {
		_, give := c.fates(v)
		mustGiveUp = mustGiveUp || give
	}
	if err == nil {
		if mustGiveUp {
			report("a value fails an at-least-once stage forever, but Run returned nil")
		}
		for _, v := range c.inputs {
			if fates, _ := c.fates(v); len(where[v]) != 1 || !slices.Contains(fates, where[v][0]) {
				report("value %d ended as %v in a clean run, want one of %v", v, where[v], fates)
			}
		}
		if c.ends != 1 {
			report("output saw %d ENDs, want 1", c.ends)
		}
		return
	}
	var ge *runlet.GiveUpError
	if !errors.As(err, &ge) || !errors.Is(err, runlet.ErrGaveUp) {
		report("Run returned %v, not a GiveUpError", err)
		return
	}
	var vf *valueFault
	i := slices.IndexFunc(c.stages, func(st *supStage) bool { return st.key == ge.Chip })
	switch {
	case i < 0 || len(c.stages[i].faults) == 0:
		report("gave up on chip %s, which has no fault", ge.Chip)
	case !errors.As(err, &vf) || vf.stage != ge.Chip:
		report("gave up on chip %s with %v, not its injected fault", ge.Chip, err)
	case slices.Contains(where[vf.v], "output"):
		report("value %d of the give-up's error came out too", vf.v)
	}
}

// checkIntensity checks the restarts against the supervisor's intensity.
// A restart decision is made at a clock d (fake time less the delays of the
// restarts done so far); its EventRestart for the failed chip comes at the
// rebind, at clock c >= d, and the next decision comes after it. So
// c[k-1] <= d[k] <= c[k], which bounds what the events can prove.
func (c *supChain) checkIntensity(err error, events []runlet.Event, snap runlet.Snapshot, report func(string, ...any)) {
	var clocks []time.Duration // each decision's rebind, on the supervisor's clock
	var paused time.Duration
	perChip := map[string]int{}
	giveUps := 0
	var giveUpAt time.Duration
	for _, e := range events {
		switch e.Kind {
		case runlet.EventRestart:
			perChip[e.Chip]++
			if e.Chip == e.By {
				paused += e.Delay
				clocks = append(clocks, time.Duration(e.Time.UnixNano())-paused)
			}
		case runlet.EventGiveUp:
			giveUps++
			giveUpAt = time.Duration(e.Time.UnixNano()) - paused
		case runlet.EventStateLost:
			report("state reported lost: %v", e.Cause)
		}
	}
	m, p := c.sup.MaxRestarts, c.sup.Period
	for k := m; k < len(clocks); k++ {
		// m+1 decisions k-m..k: d[k]-d[k-m] <= c[k]-c[k-m-1] must reach p.
		lo := time.Duration(-1 << 62)
		if k-m-1 >= 0 {
			lo = clocks[k-m-1]
		}
		if clocks[k]-lo < p {
			report("restarts %d..%d within %v, over MaxRestarts %d in Period %v", k-m, k, clocks[k]-lo, m, p)
		}
	}
	if (giveUps == 1) != (err != nil) || giveUps > 1 {
		report("%d give-up events, Run returned %v", giveUps, err)
	}
	if giveUps == 1 {
		// The m decisions before the give-up are within p of it:
		// d[R-m] > giveUpAt - p, and d[R-m] <= c[R-m].
		if len(clocks) < m {
			report("gave up after %d restarts, MaxRestarts %d", len(clocks), m)
		} else if giveUpAt-clocks[len(clocks)-m] >= p {
			report("gave up at %v, though restart %d came at %v, a Period %v before", giveUpAt, len(clocks)-m, clocks[len(clocks)-m], p)
		}
	}
	failures, allSync := 0, true
	for _, st := range c.stages {
		failures += st.nfailed
		allSync = allSync && st.sync
	}
	// A failure queued behind a restart under way when the run gives up is
	// never decided: exact only for a clean run.
	if len(clocks)+giveUps > failures || (allSync && err == nil && len(clocks) != failures) {
		report("%d restarts and %d give-ups for %d injected failures (all sync: %v)", len(clocks), giveUps, failures, allSync)
	}
	if c.gap == 0 && c.sup.Delay == 0 && c.sup.Jitter == 0 && (len(clocks) > m || (giveUps == 1 && len(clocks) != m)) {
		report("no fake time passed, yet %d restarts and %d give-ups with MaxRestarts %d", len(clocks), giveUps, m)
	}
	total := 0
	for _, n := range perChip {
		total += n
	}
	if snap.Supervisor == nil || snap.Supervisor.Restarts != total {
		report("snapshot's supervisor %+v, want %d restarts", snap.Supervisor, total)
	}
	for _, cs := range snap.Chips {
		if cs.Restarts != perChip[cs.Key] {
			report("chip %s: snapshot says %d restarts, events %d", cs.Key, cs.Restarts, perChip[cs.Key])
		}
	}
}

// TestSuperviseAsyncEndInFlight is the minimal reproduction of a stall
// TestRandomSupervision found: an async chip with several workers whose
// END call was in flight when a sibling's restart retired it dropped that
// END (a finished batch's END output is not pushed at a restart, and its
// input did not go back), so the restarted chip never ended and the
// runlet stalled. The END must go back for the new runner to end on.
func TestSuperviseAsyncEndInFlight(t *testing.T) {
	for _, strategy := range []runlet.Strategy{runlet.OneForAll, runlet.RestForOne} {
		for _, conc := range []int{1, 2} {
			t.Run(fmt.Sprint(strategy, " x", conc), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					var ends atomic.Int32
					slowEnd := func(in, out *pool.Pend[int]) chip.Chip {
						return chip.New(chip.Config[int, int, struct{}]{Key: "slow", Prev: in, Next: out, Async: true, Concurrency: conc,
							Supervise: chip.Supervise{Restart: chip.Transient}, Salvage: func(*struct{}) []int { return nil },
							Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
								if in.Hint == hints.End {
									time.Sleep(10 * time.Millisecond) // in flight when f fails
									ends.Add(1)
									return hints.EndOf[int](1), nil
								}
								return in, nil
							}})
					}
					f := newFlaky(map[int]int{0: 1})
					got, err, snap := line(t, 1, runlet.Config{Logger: slog.New(slog.DiscardHandler),
						Supervisor: runlet.Supervisor{Strategy: strategy, MaxRestarts: 3}},
						func(in, out *pool.Pend[int]) []chip.Chip {
							mid := pool.NewPend[int](in.Pool(), "mid")
							return []chip.Chip{slowEnd(in, mid), f.chip("f", mid, out, false, chip.Supervise{Restart: chip.Transient})}
						})
					require.NoError(t, err)
					assert.Equal(t, []int{0}, got)
					assert.Equal(t, 1, supChip(snap, "f").Restarts)
				})
			})
		}
	}
}

// TestSupervisePeriodClockStopsForTheDelayOnly is the minimal reproduction
// of what TestRandomSupervision found about intensity: the period's clock
// stopped from a restart's delay until the rebind, which, when the
// scheduler was busy in other chips' calls as the delay ran out, is longer
// than the delay; so an old restart stayed within the period and the
// supervisor gave up too early. The docs say the clock stops during
// restart delays: for the delay, no more.
func TestSupervisePeriodClockStopsForTheDelayOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("p", 64)
		in, out := pool.NewPend[int](p, "in").Size(0, 1), pool.NewPend[int](p, "out")
		busyOut := pool.NewPend[int](p, "busy.out")
		n := 0
		busy := chip.NewInput("busy", busyOut, nil, func(context.Context, *struct{}) (hints.Pack[int], error) {
			if n == 8 {
				return hints.EndOf[int](1), nil
			}
			time.Sleep(4 * time.Millisecond) // the scheduler is busy here
			n++
			return hints.Data(n), nil
		}).Supervised(chip.Supervise{Restart: chip.Transient})
		f := newFlaky(map[int]int{0: 1, 5: 1})
		var s, b sink[int]
		var restarts []time.Time
		err := runlet.New([]chip.Chip{extSource("src", in, 6), f.chip("f", in, out, false, chip.Supervise{Restart: chip.Transient}),
			s.output("sink", out), busy, b.output("busysink", busyOut)},
			runlet.Config{Logger: slog.New(slog.DiscardHandler), Supervisor: runlet.Supervisor{MaxRestarts: 1, Period: 8 * time.Millisecond,
				Delay: time.Millisecond, OnEvent: func(e runlet.Event) {
					if e.Kind == runlet.EventRestart {
						restarts = append(restarts, e.Time)
					}
				}}}).Run(context.Background())
		// f fails at 0; the delay ends at 1 ms while the scheduler is in
		// busy's calls, which take 32 ms; f fails again at 32 ms: 31 ms
		// later on the supervisor's clock, far over the 8 ms period.
		require.NoError(t, err)
		assert.Equal(t, upTo(6), s.values())
		require.Len(t, restarts, 2)
		assert.Equal(t, 32*time.Millisecond, restarts[0].Sub(f.at[0]), "the rebind waited for busy")
	})
}
