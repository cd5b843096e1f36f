package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// TestRandomPolicies adds random error policies (chip.Policy: Retry with a
// maximum of attempts and maybe a Retryable predicate, a dead-letter pend,
// a circuit Breaker, a Rate limit, a Timeout) to the random-runlet harness
// (see random_test.go): a source, then a chain of 1 to 4 policy stages in
// random modes (sync, async with one worker, ordered or unordered with
// several, chip.Map with WithPolicy), then an output. Each stage fails some
// values on purpose: transiently (the first k calls of a value fail, then
// it passes), permanently (every call fails), and, on stages with a
// Timeout, by blocking on the call's ctx until its deadline. Each stage
// passes its values through unchanged, so every value can be followed. It
// checks:
//
//   - every input value is accounted for exactly once, as an output, a dead
//     letter or the value of the error that ended the run; in a failed run,
//     at most once (values in flight are dropped), never two of those;
//   - no value is called more often than its stage's MaxAttempts, and a dead
//     letter's Attempts never exceed it; without a Breaker the fate of every
//     value, its stage's calls and its dead letter's attempts are exact;
//   - the outputs keep the source's order when every stage and the output
//     keep order;
//   - a Rate-limited stage's calls are spread as its rate says, in fake time;
//   - no call is reported stuck (every slow call honours its ctx), and no
//     goroutine is left after Run.
//
// A failure prints the seed; replay it with
//
//	go test ./runlet -run TestRandomPolicies -random.seed=N -v
func TestRandomPolicies(t *testing.T) {
	seeds := []uint64{*randomSeed}
	if *randomSeed == 0 {
		base := uint64(time.Now().UnixNano())
		n := *randomN / 10 // a policy runlet waits out backoffs: fewer runs
		seeds = seeds[:0]
		for i := range n {
			seeds = append(seeds, base+uint64(i))
		}
	}
	var tl tally
	var failed []string
	for _, seed := range seeds {
		if !t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { runRandomPolicy(t, seed, &tl) }) {
			failed = append(failed, fmt.Sprintf("go test ./runlet -run TestRandomPolicies -random.seed=%d -v", seed))
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

var (
	errTransientFault = errors.New("transient fault")
	errPermanentFault = errors.New("permanent fault")
	errEndFault       = errors.New("END fault")
)

// valueFault is the error an injected fault returns: the value, and why.
type valueFault struct {
	stage string
	v     int
	cause error // errTransientFault, errPermanentFault, or the ctx's error
}

func (e *valueFault) Error() string { return fmt.Sprintf("%s: value %d: %v", e.stage, e.v, e.cause) }
func (e *valueFault) Unwrap() error { return e.cause }

// faultKind is what a stage does to one value.
type faultKind struct {
	fails     int  // how many first calls fail; -1: every call
	slow      bool // a failing call blocks on its ctx until the deadline
	permanent bool // fails is -1 and the error is errPermanentFault
}

// policyStage is one stage of the chain and what it saw.
type policyStage struct {
	key         string
	mode        string
	keepsOrder  bool
	maxAttempts int  // 1 without Retry
	predicate   bool // Retryable: errPermanentFault is not retried
	dead        bool
	breaker     bool
	endFails    bool // every call on its END fails: the run must fail
	rate        *chip.Rate
	faults      map[int]faultKind

	mu      sync.Mutex
	calls   map[int]int
	first   time.Time
	last    time.Time
	ncalls  int
	letters []chip.DeadLetter[int]
}

// call records a process call of v and returns the error it must fail
// with, or nil; a slow fault blocks on ctx first.
func (s *policyStage) call(ctx context.Context, v int) error {
	s.mu.Lock()
	s.calls[v]++
	n := s.calls[v]
	now := time.Now()
	if s.ncalls == 0 {
		s.first = now
	}
	s.last = now
	s.ncalls++
	s.mu.Unlock()
	f, ok := s.faults[v]
	if !ok || (f.fails >= 0 && n > f.fails) {
		return nil
	}
	if f.slow {
		<-ctx.Done()
		return &valueFault{s.key, v, ctx.Err()}
	}
	if f.permanent {
		return &valueFault{s.key, v, errPermanentFault}
	}
	return &valueFault{s.key, v, errTransientFault}
}

// expect is what the stage does to v without a breaker: how many calls,
// and whether v passes.
func (s *policyStage) expect(v int) (calls int, passes bool) {
	f, ok := s.faults[v]
	if !ok {
		return 1, true
	}
	m := s.maxAttempts
	if f.permanent && s.predicate {
		m = 1
	}
	if f.fails >= 0 && f.fails < m {
		return f.fails + 1, true
	}
	return m, false
}

// policyStep adds one random policy stage reading s.
func (g *gen) policyStep(s stream, deadPool *pool.Pool) (stream, *policyStage) {
	next := g.pend()
	st := &policyStage{key: g.name("pol"), maxAttempts: 1, faults: map[int]faultKind{}, calls: map[int]int{}}
	var p chip.Policy[int]
	if g.pick(4) != 0 {
		st.maxAttempts = 1 + g.pick(4)
		p.Retry = &chip.Retry{MaxAttempts: st.maxAttempts, Initial: time.Duration(1+g.pick(5)) * time.Millisecond,
			Jitter: []float64{-1, 0.5}[g.pick(2)]}
		if g.pick(2) == 0 {
			st.predicate = true
			p.Retry.Retryable = func(err error) bool { return !errors.Is(err, errPermanentFault) }
		}
	}
	if g.pick(3) != 0 {
		st.dead = true
		p.Dead = pool.NewPend[chip.DeadLetter[int]](deadPool, g.name("dead"))
		g.add(chip.Collect(g.name("deadsink"), p.Dead, &st.letters), "dead-letter sink")
	}
	if g.pick(5) == 0 {
		st.breaker = true
		p.Breaker = &chip.Breaker{Failures: 1 + g.pick(3), Open: time.Duration(1+g.pick(10)) * time.Millisecond, Probes: 1 + g.pick(2)}
	}
	if g.pick(4) == 0 {
		st.rate = &chip.Rate{PerSecond: float64(200 + g.pick(1800)), Burst: 1 + g.pick(3)}
		p.Rate = st.rate
	}
	mode := g.pick(5)
	if mode != 4 && g.pick(3) == 0 {
		p.Timeout = time.Duration(10+g.pick(20)) * time.Millisecond
		p.Stuck = func(chip string, running time.Duration) {
			g.firedMu.Lock()
			defer g.firedMu.Unlock()
			g.w.violations = append(g.w.violations, fmt.Sprintf("chip %s reported stuck after %v, but every call honours its ctx", chip, running))
		}
	}
	for _, v := range s.want {
		switch r := g.pick(20); {
		case r < 5:
			st.faults[v] = faultKind{fails: 1 + g.pick(3), slow: p.Timeout > 0 && g.pick(2) == 0}
		case r < 8:
			f := faultKind{fails: -1, slow: p.Timeout > 0 && g.pick(2) == 0}
			f.permanent = !f.slow
			st.faults[v] = f
		}
	}
	delay := g.delay()
	conc := 2 + g.pick(3)
	cfg := chip.Config[int, int, struct{}]{Key: st.key, Prev: s.ref, Next: next, Policy: p,
		Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				if st.endFails {
					return hints.Pack[int]{}, &valueFault{st.key, -1, errEndFault}
				}
				return hints.EndOf[int](1), nil
			}
			if err := st.call(ctx, in.Value); err != nil {
				return hints.Pack[int]{}, err
			}
			time.Sleep(delay(in.Value))
			return hints.Data(in.Value), nil
		}}
	st.endFails = mode != 4 && g.pick(10) == 0
	var c chip.Chip
	switch mode {
	case 0:
		st.mode, st.keepsOrder = "sync", true
		delay = func(int) time.Duration { return 0 } // a sync chip does not sleep
		c = chip.New(cfg)
	case 1:
		st.mode, st.keepsOrder = "async x1", true
		cfg.Async, cfg.Concurrency = true, 1
		c = chip.New(cfg)
	case 2:
		st.mode, st.keepsOrder = fmt.Sprintf("ordered x%d", conc), true
		cfg.Async, cfg.Concurrency, cfg.Ordered = true, conc, true
		c = chip.New(cfg)
	case 3:
		st.mode = fmt.Sprintf("unordered x%d", conc)
		cfg.Async, cfg.Concurrency = true, conc
		c = chip.New(cfg)
	default:
		st.mode, st.keepsOrder = "Map.WithPolicy", true
		c = chip.Map(st.key, s.ref, next, func(v int) (int, error) { return v, st.call(context.Background(), v) }).WithPolicy(p)
	}
	fmt.Fprintf(&g.desc, "policy stage %s (%s): END fails %v, attempts %d predicate %v dead %v breaker %+v rate %+v timeout %v faults %v\n",
		st.key, st.mode, st.endFails, st.maxAttempts, st.predicate, st.dead, p.Breaker, st.rate, p.Timeout, st.faults)
	g.add(c, "policy "+strings.Fields(st.mode)[0])
	for _, what := range []struct {
		on   bool
		name string
	}{{p.Retry != nil, "retry"}, {st.dead, "dead"}, {st.breaker, "breaker"}, {st.rate != nil, "rate"}, {p.Timeout > 0, "timeout"}} {
		if what.on {
			g.count("policy with " + what.name)
		}
	}
	var want []int
	if st.endFails {
		g.count("policy END fails")
	}
	for _, v := range s.want {
		if _, ok := st.expect(v); ok {
			want = append(want, v)
		}
	}
	return stream{ref: next, want: want, ordered: s.ordered && st.keepsOrder}, st
}

func runRandomPolicy(t *testing.T, seed uint64, tl *tally) {
	synctest.Test(t, func(t *testing.T) {
		g := newGen(seed, false)
		deadPool := pool.New("D", []int{1, 8, pool.Unlimited}[g.pick(3)])
		s := g.source()
		inputs := slices.Clone(s.want)
		var stages []*policyStage
		for range 1 + g.pick(4) {
			var st *policyStage
			s, st = g.policyStep(s, deadPool)
			stages = append(stages, st)
		}
		g.output(s)
		sink := g.sinks[len(g.sinks)-1]
		sp := g.chips[len(g.chips)-1].Spec()
		ordered := s.ordered && (!sp.Async || sp.Concurrency == 1)
		for k, n := range g.counts {
			tl.add(k, n)
		}
		r := runlet.New(g.chips, runlet.Config{Budget: []int{1, 2, 7, 1024}[g.pick(4)]})
		g.w.r, g.w.pools, g.w.chips, g.w.sinks = r, g.pools, g.chips, g.sinks
		before := runtime.NumGoroutine()
		err := r.Run(context.Background())
		synctest.Wait()
		report := func(format string, args ...any) {
			t.Helper()
			t.Errorf("seed %d: %s\ngraph:\n%s\nstate:\n%s", seed, fmt.Sprintf(format, args...), g.desc.String(), r.Describe())
		}
		if left := bubbleGoroutines(before); left != "" {
			report("goroutines left after Run:\n%s", left)
		}
		for _, v := range g.w.violations {
			report("%s", v)
		}
		if err != nil {
			tl.add("runs failed", 1)
		}
		if testing.Verbose() {
			for _, st := range stages {
				t.Logf("%s letters %v calls %v", st.key, st.letters, st.calls)
			}
			t.Logf("out %v err %v", sink.values(), err)
		}
		checkPolicyRun(err, inputs, stages, sink, ordered, report)
	})
}

// checkPolicyRun checks that every input is accounted for, and the
// attempts, order and rates, as TestRandomPolicies says.
func checkPolicyRun(err error, inputs []int, stages []*policyStage, sink *rsink, ordered bool, report func(string, ...any)) {
	where := map[int][]string{} // value: where it was seen
	for _, v := range sink.values() {
		where[v] = append(where[v], "output")
	}
	predictable := true
	for _, st := range stages {
		if st.endFails && err == nil {
			report("stage %s fails its END, but Run returned nil", st.key)
		}
		predictable = predictable && !st.breaker
		for _, d := range st.letters {
			where[d.Value] = append(where[d.Value], "dead letter of "+st.key)
			if d.Chip != st.key {
				report("dead letter %v names chip %s, want %s", d, d.Chip, st.key)
			}
			if d.Attempts < 1 || d.Attempts > st.maxAttempts {
				report("dead letter %v: %d attempts, want 1..%d", d, d.Attempts, st.maxAttempts)
			}
			var vf *valueFault
			if errors.As(d.Err, &vf) && vf.v != d.Value {
				report("dead letter %v carries the error of value %d", d, vf.v)
			} else if vf == nil && !(st.breaker && errors.Is(d.Err, chip.ErrCircuitOpen)) {
				report("dead letter %v: its error is no injected fault", d)
			}
		}
		st.mu.Lock()
		for v, n := range st.calls {
			if n > st.maxAttempts {
				report("stage %s called value %d %d times, over MaxAttempts %d", st.key, v, n, st.maxAttempts)
			}
		}
		st.mu.Unlock()
		if rt := st.rate; rt != nil && st.ncalls > rt.Burst+1 {
			least := time.Duration(float64(st.ncalls-rt.Burst-1) / rt.PerSecond * float64(time.Second))
			if got := st.last.Sub(st.first); got < least {
				report("stage %s made %d calls in %v, faster than its rate %+v allows (%v)", st.key, st.ncalls, got, *rt, least)
			}
		}
	}
	errValue, errStage := checkPolicyError(err, stages, report)
	if err != nil && errValue >= 0 {
		where[errValue] = append(where[errValue], "the error")
	}
	for v, w := range where {
		if len(w) > 1 || !slices.Contains(inputs, v) {
			report("value %d seen %d times (%v); it is in the input: %v", v, len(w), w, slices.Contains(inputs, v))
		}
	}
	if err == nil {
		for _, v := range inputs {
			if len(where[v]) == 0 {
				report("value %d lost in a clean run", v)
			}
		}
		if sink.ends != 1 {
			report("output %s saw %d ENDs, want 1", sink.key, sink.ends)
		}
	}
	if ordered && !slices.IsSortedFunc(sink.values(), func(a, b int) int { return slices.Index(inputs, a) - slices.Index(inputs, b) }) {
		report("output %s lost the input's order: got %v", sink.key, sink.values())
	}
	if ordered && predictable && err == nil && !slices.Equal(sink.values(), sink.want) {
		report("output %s: got %v, want %v", sink.key, sink.values(), sink.want)
	}
	if predictable {
		checkPolicyFates(err, errStage, inputs, stages, where, report)
	}
}

// checkPolicyError checks the error that ended a run and returns the value
// it carries (-1 if none, as for an open breaker's) and the stage it names.
func checkPolicyError(err error, stages []*policyStage, report func(string, ...any)) (int, string) {
	if err == nil {
		return -1, ""
	}
	var ce *runlet.ChipError
	if !errors.As(err, &ce) {
		report("Run returned %v, not a ChipError", err)
		return -1, ""
	}
	i := slices.IndexFunc(stages, func(st *policyStage) bool { return st.key == ce.Chip })
	if i < 0 {
		report("Run returned %v from chip %s, which has no fault", err, ce.Chip)
		return -1, ""
	}
	if stages[i].dead && !errors.Is(err, errEndFault) {
		report("Run returned %v from chip %s, which has a dead-letter pend", err, ce.Chip)
	}
	var vf *valueFault
	if !errors.As(err, &vf) {
		if !stages[i].breaker || !errors.Is(err, chip.ErrCircuitOpen) {
			report("Run returned %v, no injected fault", err)
		}
		return -1, ce.Chip
	}
	if vf.stage != ce.Chip {
		report("Run returned %v from chip %s, with a fault of %s", err, ce.Chip, vf.stage)
	}
	return vf.v, ce.Chip
}

// checkPolicyFates checks, for a chain with no breaker, every value's fate
// and calls against what the faults and policies make of it.
func checkPolicyFates(err error, errStage string, inputs []int, stages []*policyStage, where map[int][]string, report func(string, ...any)) {
	failing := false // some value must fail the run
	for _, v := range inputs {
		fate := "output"
		for _, st := range stages {
			calls, passes := st.expect(v)
			st.mu.Lock()
			got := st.calls[v]
			st.mu.Unlock()
			if err == nil && got != calls {
				report("stage %s called value %d %d times, want %d", st.key, v, got, calls)
			}
			if got > calls {
				report("stage %s called value %d %d times, over the %d its faults and policy allow", st.key, v, got, calls)
			}
			if !passes {
				if st.dead {
					fate = "dead letter of " + st.key
				} else {
					fate, failing = "the error", true
					if err != nil && errStage != "" && slices.Equal(where[v], []string{"the error"}) && errStage != st.key {
						report("value %d failed the run in %s, want %s", v, errStage, st.key)
					}
				}
				break
			}
		}
		if w := where[v]; len(w) == 1 && w[0] != fate {
			report("value %d ended as %s, want %s", v, w[0], fate)
		}
	}
	for _, st := range stages {
		failing = failing || st.endFails
	}
	if failing != (err != nil) {
		report("Run returned %v, but a value must fail the run: %v", err, failing)
	}
}

// TestPolicyEndNeverDeadLettered is the minimal reproduction of what
// TestRandomPolicies found: a chip with a dead-letter pend whose call on
// its END fails dead-lettered the END as a zero value, so the chip never
// ended and the runlet stalled. The END's error must fail the runlet.
func TestPolicyEndNeverDeadLettered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("default", 64)
		src, out := pool.NewPend[int](p, "src"), pool.NewPend[int](p, "out")
		dead := pool.NewPend[chip.DeadLetter[int]](p, "dead")
		var got []int
		var letters []chip.DeadLetter[int]
		err := runlet.Run(context.Background(),
			chip.FromSlice("src", src, []int{1, 2}),
			chip.New(chip.Config[int, int, struct{}]{Key: "work", Prev: src, Next: out,
				Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
					if in.Hint == hints.End {
						return hints.Pack[int]{}, errEndFault
					}
					return in, nil
				},
				Policy: chip.Policy[int]{Dead: dead}}),
			chip.Collect("sink", out, &got), chip.Collect("deadsink", dead, &letters))
		var ce *runlet.ChipError
		if !errors.As(err, &ce) || ce.Chip != "work" || !errors.Is(err, errEndFault) {
			t.Fatalf("Run returned %v, want chip work's END fault", err)
		}
		if len(letters) != 0 {
			t.Errorf("dead letters %v, want none", letters)
		}
	})
}
