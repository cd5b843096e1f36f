package runlet_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// The random-runlet harness builds random graphs of chips, pools and views
// whose outputs are known, runs each under testing/synctest (fake time, and
// a hang is a failure) and checks the properties every runlet must have:
//
//   - each output gets exactly the expected multiset of values and one END;
//   - no pend, and no pool, ever holds more than its documented bound;
//   - Run returns, and no goroutine is left afterwards;
//   - with faults injected: Run returns exactly the first error the
//     scheduler saw, every chip that had not ended is told it exactly once,
//     and no chip runs after the runlet became invalid.
//
// A failure prints the seed; one flag replays it:
//
//	go test ./runlet -run TestRandomRunlets -random.seed=N -v
var (
	randomN    = flag.Int("random.n", 2000, "how many random runlets TestRandomRunlets and TestRandomFaults try")
	randomSeed = flag.Uint64("random.seed", 0, "replay this one seed in TestRandomRunlets / TestRandomFaults")
)

func TestRandomRunlets(t *testing.T) { randomRunlets(t, false) }

func TestRandomFaults(t *testing.T) { randomRunlets(t, true) }

func randomRunlets(t *testing.T, faults bool) {
	seeds := []uint64{*randomSeed}
	if *randomSeed == 0 {
		base := uint64(time.Now().UnixNano())
		seeds = seeds[:0]
		for i := range *randomN {
			seeds = append(seeds, base+uint64(i))
		}
	}
	var tally tally
	var failed []string
	for _, seed := range seeds {
		if !t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { runRandom(t, seed, faults, &tally) }) {
			failed = append(failed, fmt.Sprintf("go test ./runlet -run %s -random.seed=%d -v", t.Name(), seed))
			if len(failed) == 5 {
				break
			}
		}
	}
	t.Logf("%d runlets: %s", len(seeds), tally.String())
	if len(failed) > 0 {
		t.Fatalf("replay with:\n%s", strings.Join(failed, "\n"))
	}
}

// tally counts what the generated runlets contained, for the log.
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

func (t *tally) add(what string, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[string]int{}
	}
	t.n[what] += n
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := make([]string, 0, len(t.n))
	for k := range t.n {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, t.n[k])
	}
	return b.String()
}

func runRandom(t *testing.T, seed uint64, faults bool, tl *tally) {
	synctest.Test(t, func(t *testing.T) {
		g := newGen(seed, faults)
		g.build()
		for k, n := range g.counts {
			tl.add(k, n)
		}
		var late []error
		var lateMu sync.Mutex
		r := runlet.New(g.chips, runlet.Config{
			Budget: []int{1, 2, 7, 1024}[g.rng.IntN(4)],
			OnError: func(err error) {
				lateMu.Lock()
				defer lateMu.Unlock()
				late = append(late, err)
			},
		})
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
		switch {
		case g.fired.Load() == 0:
			g.checkClean(err, report)
		case err == nil:
			// Faults that fired only after the runlet stopped, or in work
			// discarded because nobody read it any more, are dropped.
			tl.add("faults-fired-dropped", 1)
			for _, f := range g.firedIn {
				if w := g.w.runner(f.key); !f.late && (w == nil || !w.early) {
					report("the fault in %s fired while the runlet ran, but Run returned nil", f.key)
				}
			}
			g.checkClean(err, report)
		default:
			tl.add("faults-fired", 1)
			g.checkFailed(err, report)
		}
		tl.add("bound-checked-pends", g.w.checked)
	})
}

// bubbleGoroutines returns the stacks of the goroutines of this synctest
// bubble other than the test's own, or "" if there are none. NumGoroutine
// is the cheap first look (it may count a goroutine the runtime starts for
// itself, so the stacks decide).
func bubbleGoroutines(before int) string {
	if runtime.NumGoroutine() <= before {
		return ""
	}
	buf := make([]byte, 1<<20)
	var left []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "synctest bubble") && !strings.Contains(g, "[running") &&
			!strings.Contains(g, "synctest.Test") && !strings.Contains(g, "synctest.Run") {
			left = append(left, g)
		}
	}
	return strings.Join(left, "\n\n")
}

// checkClean checks a run in which no fault fired.
func (g *gen) checkClean(err error, report func(string, ...any)) {
	if err != nil {
		report("Run: %v", err)
		return
	}
	for _, s := range g.sinks {
		got := s.values()
		if s.ends != 1 {
			report("output %s saw %d ENDs, want 1", s.key, s.ends)
		}
		if d := multisetDiff(got, s.want); d != "" {
			report("output %s: %s", s.key, d)
		}
	}
	for _, w := range g.w.runners {
		if w.told != 0 {
			report("chip %s told %d times in a clean run", w.key, w.told)
		}
		if !w.ended {
			report("chip %s never ended in a clean run", w.key)
		}
	}
}

// checkFailed checks a run in which at least one injected fault fired.
func (g *gen) checkFailed(err error, report func(string, ...any)) {
	w := g.w
	if err == nil {
		report("Run returned nil after %d injected faults fired", g.fired.Load())
		return
	}
	if w.firstErr == nil {
		report("Run returned %v but no chip reported an error", err)
		return
	}
	var ce *runlet.ChipError
	if !errors.As(err, &ce) || ce.Chip != w.firstKey {
		report("Run returned %v, want the first error, from chip %s: %v", err, w.firstKey, w.firstErr)
	}
	if !errors.Is(err, w.firstErr) && !errors.Is(w.firstErr, errFault) {
		report("Run returned %v, want it to wrap the first error %v", err, w.firstErr)
	}
	if !errors.Is(err, errFault) {
		var pe *chip.PanicError
		if !errors.As(err, &pe) || !strings.HasPrefix(fmt.Sprint(pe.Value), "fault in ") {
			report("Run returned %v, which is not an injected fault", err)
		}
	}
	for _, r := range w.runners {
		switch {
		case r.ended && r.told != 0:
			report("chip %s ended before the error but was told %d times", r.key, r.told)
		case !r.ended && r.told != 1:
			report("chip %s had not ended and was told %d times, want once", r.key, r.told)
		case r.told == 1 && r.toldErr != err:
			report("chip %s was told %v, want Run's error %v", r.key, r.toldErr, err)
		}
	}
	for _, s := range g.sinks {
		got := s.values()
		if s.ends > 1 {
			report("output %s saw %d ENDs", s.key, s.ends)
		}
		if d := subMultiset(got, s.want); d != "" {
			report("output %s after a fault: %s", s.key, d)
		}
		if s.ends == 1 {
			if d := multisetDiff(got, s.want); d != "" {
				report("output %s ended, so it must have everything: %s", s.key, d)
			}
		}
	}
}

// multisetDiff describes how got differs from want as multisets, or "".
func multisetDiff(got, want []int) string {
	if d := subMultiset(got, want); d != "" {
		return d
	}
	if d := subMultiset(want, got); d != "" {
		return "missing: " + strings.TrimPrefix(d, "extra: ")
	}
	return ""
}

// subMultiset describes what got holds more often than want, or "".
func subMultiset(got, want []int) string {
	n := map[int]int{}
	for _, v := range want {
		n[v]++
	}
	var extra []int
	for _, v := range got {
		if n[v]--; n[v] < 0 {
			extra = append(extra, v)
		}
	}
	if len(extra) == 0 {
		return ""
	}
	slices.Sort(extra)
	return fmt.Sprintf("extra: %v (got %d values, want %d)", extra, len(got), len(want))
}

var errFault = errors.New("injected fault")

// gen builds one random runlet. Every stream carries ints; want tracks the
// multiset each stream will carry.
type gen struct {
	rng     *rand.Rand
	faults  bool
	fired   atomic.Int32 // injected faults that fired
	firedMu sync.Mutex
	firedIn []firedFault
	desc    strings.Builder
	counts  map[string]int

	pools  []*pool.Pool // count pools first, then logical ones
	nCount int          // how many count pools
	chips  []chip.Chip
	sinks  []*rsink
	w      *watch
	budget int // chips left to add
	n      int // names handed out
}

// firedFault is an injected fault that fired; late if the runlet had
// already stopped (its ctx was cancelled), so the error is dropped.
type firedFault struct {
	key  string
	late bool
}

// stream is a pend of ints and the values it will carry: want holds them
// in their order of arrival when ordered is set (every chip on the way kept
// the order), and only as a multiset otherwise. The order-sensitive steps
// (windows, consecutive dedupe, scan, a small LRU) compute exact outputs
// from an ordered stream, and use an order-free variant on the others.
type stream struct {
	ref     *pool.Pend[int]
	want    []int
	ordered bool
}

func newGen(seed uint64, faults bool) *gen {
	g := &gen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), faults: faults, counts: map[string]int{}}
	g.w = &watch{}
	g.budget = 4 + g.rng.IntN(14)
	for i := range 1 + g.rng.IntN(3) {
		limit := []int{0, 1, 2, 3, 8, 64, pool.Unlimited}[g.rng.IntN(7)]
		p := pool.New(fmt.Sprint("P", i), limit)
		g.pools = append(g.pools, p)
		g.nCount++
		fmt.Fprintf(&g.desc, "pool %s limit %d\n", p.Key(), limit)
	}
	return g
}

func (g *gen) name(prefix string) string {
	g.n++
	return fmt.Sprint(prefix, g.n)
}

func (g *gen) pick(n int) int { return g.rng.IntN(n) }

func (g *gen) count(what string) { g.counts[what]++ }

// pend returns a new pend of ints in a random count pool with random sizes.
func (g *gen) pend() *pool.Pend[int] { return genPendIn[int](g, g.pools[g.pick(g.nCount)]) }

// pendIn returns a new pend of ints in count pool p with random sizes.
func (g *gen) pendIn(p *pool.Pool) *pool.Pend[int] { return genPendIn[int](g, p) }

// genPendIn declares a new pend of T in count pool p with random sizes, and
// watches its bound.
func genPendIn[T any](g *gen, p *pool.Pool) *pool.Pend[T] {
	d := pool.NewPend[T](p, g.name("p"))
	b := pendBound{p: p, key: d.Key()}
	if g.pick(2) == 0 {
		b.private, b.limit = []int{0, 1, 2, 3}[g.pick(4)], []int{0, 1, 2, 5}[g.pick(4)]
		d.Size(b.private, b.limit)
	}
	g.w.pends = append(g.w.pends, b)
	return d
}

// via declares viewee v of logical pool lp again in lp, with the sizes it
// was declared with: the same pend, read through the logical pool.
func (g *gen) via(lp *pool.Pool, v *pool.Pend[int]) *pool.Pend[int] {
	for _, b := range g.w.pends {
		if b.key == v.Key() {
			return pool.NewPend[int](lp, v.Key()).Size(b.private, b.limit)
		}
	}
	panic("viewee " + v.String() + " not declared by pendIn")
}

// add registers a chip, watched, and notes it in the description.
func (g *gen) add(c chip.Chip, what string, producesInto ...string) {
	sp := c.Spec()
	g.chips = append(g.chips, &watched{Chip: c, w: g.w})
	g.budget--
	g.count(what)
	mode := "sync"
	if sp.Async {
		mode = fmt.Sprintf("async x%d", sp.Concurrency)
	}
	fmt.Fprintf(&g.desc, "chip %s %s (%s): %s -> %s\n", sp.Key, what, mode, sp.Prev, sp.Next)
}

// fault returns what an injected fault does at a chip's call i: nothing,
// an error, or a panic. Faults fire only in fault runs, at a random call.
func (g *gen) fault(key string) func(ctx context.Context, i int64) error {
	if !g.faults || g.pick(3) != 0 {
		return func(context.Context, int64) error { return nil }
	}
	at, panics := int64(g.pick(12)), g.pick(2) == 0
	fmt.Fprintf(&g.desc, "fault in %s at call %d (panic %v)\n", key, at, panics)
	return func(ctx context.Context, i int64) error {
		if i != at {
			return nil
		}
		g.fired.Add(1)
		g.firedMu.Lock()
		g.firedIn = append(g.firedIn, firedFault{key: key, late: ctx.Err() != nil})
		g.firedMu.Unlock()
		if panics {
			panic("fault in " + key)
		}
		return fmt.Errorf("%w in %s", errFault, key)
	}
}

// delay returns how long an async chip's call on v sleeps (fake time).
func (g *gen) delay() func(v int) time.Duration {
	if g.pick(2) == 0 {
		return func(int) time.Duration { return 0 }
	}
	salt := g.rng.Uint64()
	return func(v int) time.Duration {
		return time.Duration((uint64(v)*0x9e3779b97f4a7c15^salt)%3) * time.Millisecond
	}
}

func (g *gen) build() {
	s := g.source()
	g.grow(s, 0)
}

// source adds an input chip of n values with distinct offsets.
func (g *gen) source() stream {
	n := []int{0, 1, 2, 5, 17, 40}[g.pick(6)]
	base := g.n * 1000
	vals := make([]int, n)
	for i := range vals {
		vals[i] = base + i
	}
	next := g.pend()
	key := g.name("in")
	fail := g.fault(key)
	switch g.pick(3) {
	case 0:
		g.add(chip.FromSlice(key, next, vals), "FromSlice")
	case 1:
		g.add(chip.Generate(key, next, func(ctx context.Context, yield func(int) bool) error {
			for i, v := range vals {
				if err := fail(ctx, int64(i)); err != nil {
					return err
				}
				if !yield(v) {
					return nil
				}
			}
			return nil
		}), "Generate")
	default:
		var calls atomic.Int64
		g.add(chip.NewInput(key, next, nil, func(ctx context.Context, i *int) (hints.Pack[int], error) {
			if err := fail(ctx, calls.Add(1)-1); err != nil {
				return hints.Pack[int]{}, err
			}
			if *i == len(vals) {
				return hints.EndOf[int](1), nil
			}
			*i++
			return hints.Data(vals[*i-1]), nil
		}), "input")
	}
	return stream{ref: next, want: vals, ordered: true}
}

// grow extends s with random steps until the chip budget runs out, then ends
// it in an output.
func (g *gen) grow(s stream, depth int) {
	for g.budget > 0 && depth < 4 {
		switch g.pick(16) {
		case 0, 1:
			s = g.mapStep(s)
		case 2:
			s = g.filterStep(s)
		case 3:
			s = g.flatStep(s)
		case 4:
			s = g.batchStep(s)
		case 5:
			s = g.reduceStep(s)
		case 6:
			g.duplicateStep(s, depth)
			return
		case 7:
			s = g.balanceStep(s)
		case 8:
			s = g.mergeStep(s)
		case 9:
			s = g.joinStep(s)
		case 10:
			s = g.libMapStep(s)
		case 11:
			s = g.windowStep(s)
		case 12:
			s = g.dedupeStep(s)
		case 13:
			s = g.scanStep(s)
		case 14:
			g.partitionStep(s, depth)
			return
		default:
			if g.pick(3) == 0 {
				g.output(s)
				return
			}
			s = g.mapStep(s)
		}
	}
	g.output(s)
}

// mapStep adds a 1:1 chip, sync or async, made with chip.New.
func (g *gen) mapStep(s stream) stream {
	mul := 2 + g.pick(3)
	async := g.pick(2) == 0
	return g.step(s, "map", async, 1+g.pick(4), g.pick(2) == 0, func(v int) []int { return []int{v*mul + 1} })
}

// step adds a chip made with chip.New that turns each value into the one
// value f returns, or drops it with SKIP when f returns none; async chips
// sleep a fake delay per value. The expected stream is f applied to s's.
func (g *gen) step(s stream, prefix string, async bool, conc int, ordered bool, f func(int) []int) stream {
	next := g.pend()
	key := g.name(prefix)
	delay, fail := g.delay(), g.fault(key)
	var calls atomic.Int64
	g.add(chip.New(chip.Config[int, int, struct{}]{
		Key: key, Prev: s.ref, Next: next, Async: async, Concurrency: conc, Ordered: ordered,
		Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				return hints.EndOf[int](1), nil
			}
			if err := fail(ctx, calls.Add(1)-1); err != nil {
				return hints.Pack[int]{}, err
			}
			if async {
				time.Sleep(delay(in.Value))
			}
			if out := f(in.Value); len(out) == 1 {
				return hints.Data(out[0]), nil
			}
			return hints.SkipOf[int](), nil
		},
	}), prefix)
	return stream{ref: next, want: apply(s.want, f), ordered: s.ordered && (!async || ordered)}
}

// libMapStep adds one of the package's operators that take a function.
func (g *gen) libMapStep(s stream) stream {
	next := g.pend()
	key := g.name("op")
	fail := g.fault(key)
	var calls atomic.Int64
	check := func() error { return fail(context.Background(), calls.Add(1)-1) }
	switch g.pick(4) {
	case 0:
		g.add(chip.Map(key, s.ref, next, func(v int) (int, error) { return v + 7, check() }), "Map")
		return stream{ref: next, want: apply(s.want, func(v int) []int { return []int{v + 7} }), ordered: s.ordered}
	case 1:
		g.add(chip.Filter(key, s.ref, next, func(v int) (bool, error) { return v%3 != 0, check() }), "Filter")
		return stream{ref: next, want: apply(s.want, func(v int) []int {
			if v%3 != 0 {
				return []int{v}
			}
			return nil
		}), ordered: s.ordered}
	case 2:
		delay := g.delay()
		f := func(_ context.Context, v int) (int, error) {
			time.Sleep(delay(v))
			return v * 5, check()
		}
		n := 1 + g.pick(4)
		ordered := g.pick(2) == 0
		if ordered {
			g.add(chip.OrderedMap(key, s.ref, next, n, f), "OrderedMap")
		} else {
			g.add(chip.ParallelMap(key, s.ref, next, n, f), "ParallelMap")
		}
		return stream{ref: next, want: apply(s.want, func(v int) []int { return []int{v * 5} }), ordered: s.ordered && ordered}
	default:
		k := g.pick(4)
		g.add(chip.FlatMap(key, s.ref, next, func(v int) ([]int, error) { return fanOut(v, k), check() }), fmt.Sprintf("FlatMap x%d", k))
		return stream{ref: next, want: apply(s.want, func(v int) []int { return fanOut(v, k) }), ordered: s.ordered}
	}
}

// filterStep adds an N:1 chip that drops multiples of m with SKIP.
func (g *gen) filterStep(s stream) stream {
	m := 2 + g.pick(3)
	return g.step(s, "skip", g.pick(3) == 0, 1+g.pick(3), false, func(v int) []int {
		if v%m == 0 {
			return nil
		}
		return []int{v}
	})
}

// flatStep adds a 1:N chip made with REDO: k outputs per input, k in 0..3.
func (g *gen) flatStep(s stream) stream {
	if g.pick(3) == 0 {
		return g.wideFlatStep(s)
	}
	next := g.pend()
	key := g.name("redo")
	k := g.pick(4)
	async := g.pick(3) == 0
	fail := g.fault(key)
	var calls atomic.Int64
	// The REDO index lives in the state, so an async chip gets one worker:
	// concurrent workers would share it.
	g.add(chip.New(chip.Config[int, int, int]{
		Key: key, Prev: s.ref, Next: next, Async: async, Concurrency: 1,
		Process: func(ctx context.Context, in hints.Pack[int], j *int) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				return hints.EndOf[int](1), nil
			}
			if *j == 0 {
				if err := fail(ctx, calls.Add(1)-1); err != nil {
					return hints.Pack[int]{}, err
				}
			}
			if k == 0 {
				return hints.SkipOf[int](), nil
			}
			out := hints.Data(in.Value*4 + *j)
			if *j++; *j < k {
				out.Hint = hints.Redo
			} else {
				*j = 0
			}
			return out, nil
		},
	}), fmt.Sprintf("redo x%d", k))
	return stream{ref: next, want: apply(s.want, func(v int) []int { return fanOut(v, k) }), ordered: s.ordered && !async}
}

// wideFlatStep adds an unordered async 1:N chip with several workers and
// up to 20 outputs per input, so that REDO runs are cut at the next pend's
// room. Its REDO index is kept per value under a lock: concurrent runs on
// equal values share a counter, and still make k outputs each, since every
// run stops at the draw of residue k-1.
func (g *gen) wideFlatStep(s stream) stream {
	next := g.pend()
	key := g.name("wide")
	k := []int{0, 1, 2, 3, 20}[g.pick(5)]
	fail := g.fault(key)
	var calls atomic.Int64
	var mu sync.Mutex
	drawn := map[int]int{}
	g.add(chip.New(chip.Config[int, int, struct{}]{
		Key: key, Prev: s.ref, Next: next, Async: true, Concurrency: 1 + g.pick(4),
		Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			if in.Hint == hints.End {
				return hints.EndOf[int](1), nil
			}
			if k == 0 {
				return hints.SkipOf[int](), nil
			}
			mu.Lock()
			j := drawn[in.Value] % k
			drawn[in.Value]++
			mu.Unlock()
			if j == 0 {
				if err := fail(ctx, calls.Add(1)-1); err != nil {
					return hints.Pack[int]{}, err
				}
			}
			out := hints.Data(in.Value*4 + j)
			if j < k-1 {
				out.Hint = hints.Redo
			}
			return out, nil
		},
	}), fmt.Sprintf("wide redo x%d", k))
	return stream{ref: next, want: apply(s.want, func(v int) []int { return fanOut(v, k) })}
}

// fanOut is what the 1:k chips make of v: v*4, v*4+1, ..., v*4+k-1.
func fanOut(v, k int) []int {
	out := make([]int, k)
	for j := range out {
		out[j] = v*4 + j
	}
	return out
}

// batchStep adds Batch (maybe with a timed flush) then Unbatch.
func (g *gen) batchStep(s stream) stream {
	mid, next := genPendIn[[]int](g, g.pools[g.pick(g.nCount)]), g.pend()
	size := 1 + g.pick(6)
	wait := []time.Duration{0, time.Millisecond, 5 * time.Millisecond}[g.pick(3)]
	g.add(chip.Batch[int](g.name("batch"), s.ref, mid, size, wait), "Batch")
	g.add(chip.Unbatch[int](g.name("unbatch"), mid, next), "Unbatch")
	return stream{ref: next, want: s.want, ordered: s.ordered}
}

// reduceStep adds a Reduce summing the stream: one value, or none if empty.
func (g *gen) reduceStep(s stream) stream {
	next := g.pend()
	key := g.name("sum")
	fail := g.fault(key)
	var calls atomic.Int64
	g.add(chip.Reduce(key, s.ref, next, func(a, v int) (int, error) { return a + v, fail(context.Background(), calls.Add(1)-1) }), "Reduce")
	if len(s.want) == 0 {
		return stream{ref: next, ordered: true}
	}
	sum := 0
	for _, v := range s.want {
		sum += v
	}
	return stream{ref: next, want: []int{sum}, ordered: true}
}

// logical adds a logical pool over a random count pool.
func (g *gen) logical() (lp, inner *pool.Pool) {
	inner = g.pools[g.pick(g.nCount)]
	lp = logicalpool.New(g.name("L"), inner)
	g.pools = append(g.pools, lp)
	return lp, inner
}

// passTo adds a pass-through chip from s into the pend to, so that a
// stream can enter a view or a view's viewee; it reports whether the chip
// is async (and so may reorder the stream).
func (g *gen) passTo(s stream, to *pool.Pend[int]) bool {
	async := g.pick(3) == 0
	delay := g.delay()
	g.add(chip.New(chip.Config[int, int, struct{}]{
		Key: g.name("pass"), Prev: s.ref, Next: to, Async: async, Concurrency: 1 + g.pick(2),
		Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
			if async && in.Hint != hints.End {
				time.Sleep(delay(in.Value))
			}
			return in, nil
		},
	}), "pass")
	return async
}

// duplicateStep copies s to 2 or 3 branches, each grown on its own.
func (g *gen) duplicateStep(s stream, depth int) {
	lp, inner := g.logical()
	k := 2 + g.pick(2)
	viewees := make([]*pool.Pend[int], k)
	keys := make([]string, k)
	for i := range viewees {
		viewees[i] = g.pendIn(inner)
		keys[i] = viewees[i].Key()
	}
	view := g.name("dup")
	dup, err := logicalpool.Duplicate(lp, view, viewees, nil)
	if err != nil {
		panic(err)
	}
	fmt.Fprintf(&g.desc, "view %s@%s duplicate over %v\n", view, lp.Key(), keys)
	g.count("Duplicate")
	async := g.passTo(s, dup)
	for _, v := range viewees {
		// Read each viewee through the logical pool or the inner one.
		if g.pick(2) == 0 {
			v = g.via(lp, v)
		}
		g.grow(stream{ref: v, want: slices.Clone(s.want), ordered: s.ordered && !async}, depth+1)
	}
}

// balanceStep load-balances s over 2 to 4 workers mapping v to v+3, merged
// back into one stream.
func (g *gen) balanceStep(s stream) stream {
	lp, inner := g.logical()
	k := 2 + g.pick(3)
	in, out := make([]string, k), make([]string, k)
	inRef, outRef := make([]*pool.Pend[int], k), make([]*pool.Pend[int], k)
	for i := range k {
		inRef[i], outRef[i] = g.pendIn(inner), g.pendIn(inner)
		in[i], out[i] = inRef[i].Key(), outRef[i].Key()
	}
	view, merge := g.name("lb"), g.name("merge")
	var lb *pool.Pend[int]
	var err error
	switch g.pick(3) {
	case 0:
		lb, err = logicalpool.LoadBalance(lp, view, inRef, logicalpool.RoundRobin)
	case 1:
		lb, err = logicalpool.LoadBalance(lp, view, inRef, logicalpool.LeastFilled)
	default:
		lb, err = logicalpool.LoadBalanceByKey(lp, view, inRef, func(v int) uint64 { return uint64(v) })
	}
	if err != nil {
		panic(err)
	}
	merged, err := logicalpool.Merge(lp, merge, outRef)
	if err != nil {
		panic(err)
	}
	fmt.Fprintf(&g.desc, "view %s@%s load-balance over %v; merge %s over %v\n", view, lp.Key(), in, merge, out)
	g.count("LoadBalance")
	g.passTo(s, lb)
	if g.w.balanced == nil {
		g.w.balanced = map[storage]bool{}
	}
	for i := range k {
		g.w.balanced[storage{inner, in[i]}] = true
		g.passTo(stream{ref: inRef[i]}, outRef[i])
	}
	return stream{ref: merged, want: s.want}
}

// mergeStep merges s with a new source.
func (g *gen) mergeStep(s stream) stream {
	lp, inner := g.logical()
	other := g.source()
	a, b := g.pendIn(inner), g.pendIn(inner)
	view := g.name("merge")
	merged, err := logicalpool.Merge(lp, view, []*pool.Pend[int]{a, b})
	if err != nil {
		panic(err)
	}
	fmt.Fprintf(&g.desc, "view %s@%s merge over %s %s\n", view, lp.Key(), a.Key(), b.Key())
	g.count("Merge")
	g.passTo(s, a)
	g.passTo(other, b)
	return stream{ref: merged, want: append(slices.Clone(s.want), other.want...)}
}

// joinStep zips s with a new source of the same length and flattens each
// pair back into its two values.
func (g *gen) joinStep(s stream) stream {
	lp, inner := g.logical()
	vals := make([]int, len(s.want))
	for i := range vals {
		vals[i] = -1 - g.n*1000 - i
	}
	g.n++
	src := g.pend()
	g.add(chip.FromSlice(g.name("in"), src, vals), "FromSlice")
	a, b := g.pendIn(inner), g.pendIn(inner)
	view := g.name("join")
	join, err := logicalpool.Join2(lp, view, a, b)
	if err != nil {
		panic(err)
	}
	fmt.Fprintf(&g.desc, "view %s@%s join over %s %s\n", view, lp.Key(), a.Key(), b.Key())
	g.count("Join2")
	g.passTo(s, a)
	g.passTo(stream{ref: src}, b)
	next := g.pend()
	g.add(chip.FlatMap(g.name("unpair"), join, next, func(p logicalpool.Pair[int, int]) ([]int, error) {
		return []int{p.A, p.B}, nil
	}), "unpair")
	return stream{ref: next, want: append(slices.Clone(s.want), vals...)}
}

// output ends s in a recording output chip, sync or async.
func (g *gen) output(s stream) {
	key := g.name("out")
	o := &rsink{key: key, want: s.want}
	g.sinks = append(g.sinks, o)
	async := g.pick(3) == 0
	delay, fail := g.delay(), g.fault(key)
	var calls atomic.Int64
	g.add(chip.New(chip.Config[int, struct{}, struct{}]{
		Key: key, Prev: s.ref, Async: async, Concurrency: 1 + g.pick(3),
		Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[struct{}], error) {
			if in.Hint != hints.End {
				if err := fail(ctx, calls.Add(1)-1); err != nil {
					return hints.Pack[struct{}]{}, err
				}
				if async {
					time.Sleep(delay(in.Value))
				}
			}
			o.mu.Lock()
			defer o.mu.Unlock()
			if in.Hint == hints.End {
				o.ends++
				return hints.EndOf[struct{}](1), nil
			}
			o.got = append(o.got, in.Value)
			return hints.SkipOf[struct{}](), nil
		},
	}), "output")
	g.budget = max(g.budget, 0)
}

func apply(vals []int, f func(int) []int) []int {
	var out []int
	for _, v := range vals {
		out = append(out, f(v)...)
	}
	return out
}

// rsink records what reaches one output chip.
type rsink struct {
	key  string
	want []int
	mu   sync.Mutex
	got  []int
	ends int
}

func (s *rsink) values() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// watch sees every runner call the scheduler makes. The scheduler calls
// runners one at a time, under its lock, so watch needs no lock of its own.
type watch struct {
	r          *runlet.Runlet
	pends      []pendBound
	pools      []*pool.Pool
	chips      []chip.Chip
	prod       map[storage]int     // producers per pend, see producers
	async      map[*pool.Pool]int  // async producers per pool
	asyncInto  map[storage]bool    // pends an async chip pushes to
	balanced   map[storage]bool    // viewees of a LoadBalance view
	poolOver   map[*pool.Pool]bool // pools reported over their bound
	sinks      []*rsink
	checked    int // pends whose bound was checked
	runners    []*watchedRunner
	invalid    bool // a runner returned an error: the runlet is failing
	firstErr   error
	firstKey   string
	violations []string
}

// pendBound is a pend of the generated graph and its sizes. Every pend has
// one producer, pushing directly or through a view.
type pendBound struct {
	p              *pool.Pool
	key            string
	private, limit int
	size           func() int
	over           bool // a violation was reported: report it once
	counted        bool // counted in watch.checked
}

// checkBounds checks the bounds pool's doc promises, after every run of a
// chip. The limit is checked before a producer runs, so a pend with a limit
// holds at most max(private, limit), plus one pack per producer (the push
// that busts it; an async chip is one producer per worker; twice that for a
// LoadBalance viewee), plus its END;
// and a count pool at most max(limit, the sum of its private sizes) plus
// that slack for each of its pends.
func (w *watch) checkBounds(key string) {
	if w.prod == nil {
		w.prod, w.async, w.asyncInto = w.producers()
	}
	type tally struct{ private, slack, async int }
	sum := map[*pool.Pool]tally{}
	for i := range w.pends {
		b := &w.pends[i]
		if b.size == nil {
			b.size = sizeOf(b.p, b.key)
		}
		st := storage{b.p, b.key}
		if !b.counted {
			b.counted = true
			w.checked++
		}
		slack := w.prod[st] + 1
		if w.balanced[st] {
			slack += w.prod[st] // see LoadBalance's doc
		}
		if n := b.size(); b.limit > 0 && n > max(b.private, b.limit)+slack && !b.over {
			b.over = true
			w.violations = append(w.violations, fmt.Sprintf("after chip %s ran, pend %s@%s holds %d, over its bound max(private %d, limit %d) + %d",
				key, b.key, b.p.Key(), n, b.private, b.limit, slack))
		}
		t := sum[b.p]
		t.private += b.private
		t.slack += slack
		sum[b.p] = t
	}
	for p, t := range sum {
		l := p.Limit()
		if l == pool.Unlimited || w.poolOver[p] {
			continue
		}
		if bound := max(l, t.private) + t.slack; p.Size() > bound {
			if w.poolOver == nil {
				w.poolOver = map[*pool.Pool]bool{}
			}
			w.poolOver[p] = true
			w.violations = append(w.violations, fmt.Sprintf("after chip %s ran, pool %s holds %d, over its bound %d",
				key, p.Key(), p.Size(), bound))
		}
	}
}

// storage names a pend where packs live.
type storage struct {
	p   *pool.Pool
	key string
}

// producers counts, for each pend, the producers pushing into it directly or
// through a view (an async chip counting once per worker), and for each
// count pool its async producers.
func (w *watch) producers() (map[storage]int, map[*pool.Pool]int, map[storage]bool) {
	prod, async, into := map[storage]int{}, map[*pool.Pool]int{}, map[storage]bool{}
	for _, c := range w.chips {
		sp := c.Spec()
		n := 1
		if sp.Async {
			n = sp.Concurrency
		}
		for _, st := range w.stores(sp.Next) {
			prod[st] += n
			if sp.Async {
				async[st.p]++
				into[st] = true
			}
		}
	}
	return prod, async, into
}

// stores resolves a reference to the pends its packs live in.
func (w *watch) stores(ref chip.PendRef) []storage {
	for _, p := range w.pools {
		if p.Key() != ref.Pool {
			continue
		}
		if p.Kind() != pool.Logical {
			return []storage{{p, ref.Pend}}
		}
		if viewees, _, _, ok := (*engine.Pool)(p).ViewOf(ref.Pend); ok {
			var out []storage
			for _, v := range viewees {
				out = append(out, storage{innerOf(p), v})
			}
			return out
		}
		return []storage{{innerOf(p), ref.Pend}}
	}
	return nil
}

// sizeOf returns a function reporting the size of a pend of ints or of
// batches of ints.
func sizeOf(p *pool.Pool, key string) func() int {
	if pd, err := engine.Get[int]((*engine.Pool)(p), key); err == nil {
		return pd.Size
	}
	if pd, err := engine.Get[[]int]((*engine.Pool)(p), key); err == nil {
		return pd.Size
	}
	panic(fmt.Sprintf("pend %s@%s holds neither int nor []int", key, p.Key()))
}

// watched wraps a chip so that its runner is watched.
type watched struct {
	chip.Chip
	w *watch
}

func (c *watched) Bind(b engine.Binding) (engine.Runner, error) {
	run, err := c.Chip.Bind(b)
	if err != nil {
		return nil, err
	}
	wr := &watchedRunner{Runner: run, key: c.Spec().Key, w: c.w}
	c.w.runners = append(c.w.runners, wr)
	return wr, nil
}

type watchedRunner struct {
	engine.Runner
	key     string
	w       *watch
	ended   bool
	early   bool // halted while the flow still ran (endUpstream)
	told    int
	toldErr error
}

func (w *watch) runner(key string) *watchedRunner {
	for _, r := range w.runners {
		if r.key == key {
			return r
		}
	}
	return nil
}

func (r *watchedRunner) Run(budget int) engine.Result {
	w := r.w
	if w.invalid {
		w.violations = append(w.violations, fmt.Sprintf("chip %s ran after chip %s failed: %v", r.key, w.firstKey, w.firstErr))
	}
	res := r.Runner.Run(budget)
	w.checkBounds(r.key)
	if res.Ended {
		r.ended = true
	}
	if res.Err != nil && !w.invalid {
		w.invalid, w.firstErr, w.firstKey = true, res.Err, r.key
	}
	return res
}

// Halt before the runlet failed, or in a clean run, ends the chip: it is
// how the scheduler ends producers nobody reads any more (a join ended by
// its shorter side, say), and how it stops chips at the end of the flow.
func (r *watchedRunner) Halt() (bool, error) {
	if !r.w.invalid {
		r.ended = true
		for _, s := range r.w.sinks {
			s.mu.Lock()
			if s.ends == 0 {
				r.early = true // halted before the flow ended: nobody reads its output
			}
			s.mu.Unlock()
		}
	}
	return r.Runner.Halt()
}

func (r *watchedRunner) Tell(err error, withHeld bool) error {
	r.told++
	r.toldErr = err
	return r.Runner.Tell(err, withHeld)
}
