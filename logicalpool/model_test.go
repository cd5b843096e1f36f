package logicalpool_test

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"

	"pgregory.net/rapid"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
)

// The tests below drive each view directly, as the scheduler would, through
// random sequences of operations and compare every answer with a trivially
// correct model: one plain slice of packs per pend of the inner pool, sizes
// recomputed from scratch with the pool's formula, and the view's routing
// rule written out from its doc comment (and, where the doc leaves a choice
// open, from the code: round robin's turn, least-filled's tie break, merge's
// turn). Independent of the model, each test also checks the view's promises
// end to end: every value delivered once (or once per viewee for a
// duplicate), order kept per producer, and exactly one END per consumer.

// moreChecks raises rapid's defaults (100 checks of about 30 steps) to 300
// checks of about 100 steps, unless -rapid.checks, -rapid.steps or the
// RAPID_CHECKS, RAPID_STEPS variables chose otherwise.
func moreChecks() {
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, c := range []struct{ flag, env, value string }{
		{"rapid.checks", "RAPID_CHECKS", "300"},
		{"rapid.steps", "RAPID_STEPS", "100"},
	} {
		if !set[c.flag] && os.Getenv(c.env) == "" {
			_ = flag.Set(c.flag, c.value)
		}
	}
}

// mPend is the model of one pend of the inner pool.
type mPend struct {
	key            string
	private, limit int // limit: pool.Unlimited for none
	q              []hints.Pack[int]
}

// model is the inner pool: its limit, its high-water mark, and its pends,
// the viewees first and then one more pend ("x") that is no viewee but takes
// from the same budget.
type model struct {
	limit, high int
	pends       []*mPend
}

// size is the pool's formula: every private size plus every pend's share
// above it.
func (m *model) size() int {
	n := 0
	for _, p := range m.pends {
		n += p.private + max(0, len(p.q)-p.private)
	}
	return n
}

// limited is the pend rule: above its private size, with the pool at its
// limit or the pend at its own.
func (m *model) limited(p *mPend) bool {
	n := len(p.q)
	return n > p.private && (m.size() >= m.limit || n >= p.limit)
}

func (m *model) push(i int, pk hints.Pack[int]) {
	m.pends[i].q = append(m.pends[i].q, pk)
	m.high = max(m.high, m.size())
}

func (m *model) pull(i int) (hints.Pack[int], bool) {
	p := m.pends[i]
	if len(p.q) == 0 {
		return hints.Pack[int]{}, false
	}
	pk := p.q[0]
	p.q = p.q[1:]
	return pk, true
}

func (m *model) head(i int) (hints.Pack[int], bool) {
	if q := m.pends[i].q; len(q) > 0 {
		return q[0], true
	}
	return hints.Pack[int]{}, false
}

// vpend is a pend of the inner pool seen with int packs, whatever it holds.
type vpend interface {
	Len() int
	Size() int
	Limited() bool
	push(hints.Pack[int]) error
	pull() (hints.Pack[int], bool)
	peek() (hints.Pack[int], bool)
}

type intPend struct{ *engine.Pend[int] }

func (p intPend) push(pk hints.Pack[int]) error { return p.Push(pk) }
func (p intPend) pull() (hints.Pack[int], bool) { return p.Pull() }
func (p intPend) peek() (hints.Pack[int], bool) { return p.Peek() }

// strPend holds the decimal form of the model's ints (Join2's second side).
type strPend struct{ *engine.Pend[string] }

func (p strPend) push(pk hints.Pack[int]) error {
	return p.Push(hints.Pack[string]{Hint: pk.Hint, Value: strconv.Itoa(pk.Value)})
}
func (p strPend) pull() (hints.Pack[int], bool) { return intOf(p.Pull()) }
func (p strPend) peek() (hints.Pack[int], bool) { return intOf(p.Peek()) }

func data(v int) hints.Pack[int]             { return hints.Pack[int]{Value: v} }
func endPack() hints.Pack[int]               { return hints.Pack[int]{Hint: hints.End} }
func isEnd(pk hints.Pack[int], ok bool) bool { return ok && pk.Hint == hints.End }

func intOf(pk hints.Pack[string], ok bool) (hints.Pack[int], bool) {
	if !ok {
		return hints.Pack[int]{}, false
	}
	if pk.Hint != hints.None {
		return hints.Pack[int]{Hint: pk.Hint}, true
	}
	v, err := strconv.Atoi(pk.Value)
	if err != nil {
		panic(err)
	}
	return hints.Pack[int]{Value: v}, true
}

// fixture is an inner pool and its logical pool, with the model beside them.
type fixture struct {
	inner, lp *pool.Pool
	m         *model
	n         int     // viewees
	pends     []vpend // viewees, then "x"
	view      string  // the view's key in lp
	seq       int     // the last value made
}

var limits = []int{0, 1, 2, 3, 4, 5, 6, pool.Unlimited}

// newFixture draws the pool limit and, for n viewees v0.. and the extra
// pend x, private sizes and pend limits (0: none), configured through
// either pool before any pend exists.
func newFixture(t *rapid.T, n int) *fixture {
	limit := rapid.SampledFrom(limits).Draw(t, "limit")
	f := &fixture{inner: pool.New("store", limit), m: &model{limit: limit}, n: n, view: "view"}
	f.lp = logicalpool.New("lp", f.inner)
	for i := range n + 1 {
		key := "x"
		if i < n {
			key = fmt.Sprint("v", i)
		}
		private := rapid.IntRange(0, 3).Draw(t, "private "+key)
		plimit := rapid.SampledFrom([]int{0, 0, 0, 1, 2, 4}).Draw(t, "pend limit "+key)
		via := f.inner
		if rapid.Bool().Draw(t, "configure "+key+" through lp") {
			via = f.lp
		}
		if err := configure(via, key, private, plimit); err != nil {
			t.Fatalf("Configure(%q, %d, %d): %v", key, private, plimit, err)
		}
		mp := &mPend{key: key, private: private, limit: plimit}
		if plimit == 0 {
			mp.limit = pool.Unlimited
		}
		f.m.pends = append(f.m.pends, mp)
	}
	f.m.high = f.m.size()
	return f
}

// decls declares the viewees, v0.., as int pends: the even ones in the
// inner pool, the odd ones in the logical pool (a view takes either).
func (f *fixture) decls() []*pool.Pend[int] {
	out := make([]*pool.Pend[int], f.n)
	for i := range out {
		out[i] = ip(f.declPool(i), f.m.pends[i].key)
	}
	return out
}

// declPool is the pool viewee i is declared in: see decls.
func (f *fixture) declPool(i int) *pool.Pool {
	if i%2 == 1 {
		return f.lp
	}
	return f.inner
}

// intPends gets the viewees and x as int pends, each through either pool,
// and checks that both pools hand out the same pend.
func (f *fixture) intPends(t *rapid.T) {
	for _, mp := range f.m.pends {
		a, err := get[int](f.inner, mp.key)
		if err != nil {
			t.Fatalf("Get(inner, %q): %v", mp.key, err)
		}
		b, err := get[int](f.lp, mp.key)
		if err != nil {
			t.Fatalf("Get(lp, %q): %v", mp.key, err)
		}
		if a != b {
			t.Fatalf("pend %q: the inner and the logical pool give different pends", mp.key)
		}
		f.pends = append(f.pends, intPend{a})
	}
}

// checkDecl checks the declaration a view returned: the view's key in the
// logical pool.
func checkDecl[T any](t *rapid.T, f *fixture, decl *pool.Pend[T]) {
	if decl == nil || decl.Pool() != f.lp || decl.Key() != f.view {
		t.Fatalf("the view returned %v, want %s@%s", decl, f.view, f.lp.Key())
	}
}

func (f *fixture) next() int { f.seq++; return f.seq }

// checkPool checks every pend and the pool totals against the model.
func (f *fixture) checkPool(t *rapid.T) {
	if got, want := f.inner.Size(), f.m.size(); got != want {
		t.Fatalf("inner Size %d, model %d", got, want)
	}
	if f.lp.Size() != f.inner.Size() || f.lp.High() != f.inner.High() || f.lp.Limit() != f.inner.Limit() {
		t.Fatalf("logical pool Size/High/Limit %d/%d/%d, inner %d/%d/%d",
			f.lp.Size(), f.lp.High(), f.lp.Limit(), f.inner.Size(), f.inner.High(), f.inner.Limit())
	}
	if got := f.inner.High(); got != f.m.high {
		t.Fatalf("inner High %d, model %d", got, f.m.high)
	}
	for i, p := range f.pends {
		mp := f.m.pends[i]
		if p.Len() != len(mp.q) || p.Size() != len(mp.q) {
			t.Fatalf("pend %q: Len %d, Size %d; model holds %d", mp.key, p.Len(), p.Size(), len(mp.q))
		}
		if got, want := p.Limited(), f.m.limited(mp); got != want {
			t.Fatalf("pend %q: Limited %v, model %v (holds %d, private %d, pend limit %d, pool %d/%d)",
				mp.key, got, want, len(mp.q), mp.private, mp.limit, f.m.size(), f.m.limit)
		}
		got, ok := p.peek()
		want, wok := f.m.head(i)
		if ok != wok || got != want {
			t.Fatalf("pend %q: Peek %v %v, model %v %v", mp.key, got, ok, want, wok)
		}
	}
}

// checkSnapshot checks the logical pool's snapshot of the view.
func (f *fixture) checkSnapshot(t *rapid.T, vlen int, vlimited bool) {
	s := f.lp.Snapshot()
	if len(s.Pends) != 1 || s.Pends[0].Key != f.view {
		t.Fatalf("logical pool snapshot pends %+v, want the one view", s.Pends)
	}
	if ps := s.Pends[0]; ps.Packs != vlen || ps.Limited != vlimited || !slices.Equal(ps.Viewees, f.viewees()) {
		t.Fatalf("view snapshot %+v, want Packs %d, Limited %v, Viewees %v", ps, vlen, vlimited, f.viewees())
	}
}

func (f *fixture) viewees() []string {
	if f.view == "join" {
		return []string{"v0", "v1"}
	}
	out := make([]string, f.n)
	for i := range out {
		out[i] = f.m.pends[i].key
	}
	return out
}

// otherActions push into and pull from x, which shares the budget.
func (f *fixture) otherActions(actions map[string]func(*rapid.T)) {
	x := f.n
	actions["x push"] = func(t *rapid.T) {
		if f.m.limited(f.m.pends[x]) {
			t.Skip("x is limited")
		}
		pk := data(-f.next())
		if err := f.pends[x].push(pk); err != nil {
			t.Fatal(err)
		}
		f.m.push(x, pk)
	}
	actions["x pull"] = func(t *rapid.T) {
		got, ok := f.pends[x].pull()
		want, wok := f.m.pull(x)
		if ok != wok || got != want {
			t.Fatalf("x: Pull %v %v, model %v %v", got, ok, want, wok)
		}
	}
}

// Push views.

type pushKind int

const (
	dupKind pushKind = iota
	roundRobin
	leastFilled
	byKey
	weighted
)

func (k pushKind) String() string {
	return [...]string{"Duplicate", "RoundRobin", "LeastFilled", "ByKey", "Weighted"}[k]
}

func keyOf(v int) uint64 { return uint64(v) * 0x9E3779B97F4A7C15 }

func TestPushViewsMatchModel(t *testing.T) {
	moreChecks()
	for _, k := range []pushKind{dupKind, roundRobin, leastFilled, byKey, weighted} {
		t.Run(k.String(), func(t *testing.T) { rapid.Check(t, func(t *rapid.T) { pushModel(t, k) }) })
	}
}

func pushModel(t *rapid.T, kind pushKind) {
	n := rapid.IntRange(1, 4).Draw(t, "viewees")
	f := newFixture(t, n)
	clones := 0 // calls of the duplicate's clone function
	var clone func(int) int
	if kind == dupKind && rapid.Bool().Draw(t, "clone") {
		clone = func(v int) int { clones++; return v }
	}
	weights := make([]int, n) // weighted: at least one above zero
	if kind == weighted {
		weights = rapid.SliceOfN(rapid.IntRange(0, 3), n, n).Filter(func(w []int) bool { return slices.Max(w) > 0 }).Draw(t, "weights")
	}
	var (
		decl *pool.Pend[int]
		err  error
	)
	switch kind {
	case weighted:
		decl, err = logicalpool.LoadBalanceWeighted(f.lp, f.view, f.decls(), weights)
	case dupKind:
		decl, err = logicalpool.Duplicate(f.lp, f.view, f.decls(), clone)
	case roundRobin:
		decl, err = logicalpool.LoadBalance(f.lp, f.view, f.decls(), logicalpool.RoundRobin)
	case leastFilled:
		decl, err = logicalpool.LoadBalance(f.lp, f.view, f.decls(), logicalpool.LeastFilled)
	case byKey:
		decl, err = logicalpool.LoadBalanceByKey(f.lp, f.view, f.decls(), keyOf)
	}
	if err != nil {
		t.Fatal(err)
	}
	checkDecl(t, f, decl)
	if err := configure(f.lp, f.view, 1, 0); err == nil {
		t.Fatal("Configure gave a view a private size")
	}
	viewFirst := rapid.Bool().Draw(t, "get the view first")
	if !viewFirst {
		f.intPends(t)
	}
	vp, err := get[int](f.lp, f.view)
	if err != nil {
		t.Fatal(err)
	}
	if viewFirst {
		f.intPends(t)
	}
	if again, err := get[int](f.lp, f.view); err != nil || again != vp {
		t.Fatalf("second Get of the view: %p %v, want %p", again, err, vp)
	}
	if _, err := get[string](f.lp, f.view); err == nil {
		t.Fatal("Get[string] of an int view succeeded")
	}

	// The model's rule for Limited, and its choice of viewees for a pack.
	anyLimited := func() bool {
		for i := range n {
			if f.m.limited(f.m.pends[i]) {
				return true
			}
		}
		return false
	}
	allLimited := func() bool {
		for i := range n {
			if !f.m.limited(f.m.pends[i]) {
				return false
			}
		}
		return true
	}
	rule := anyLimited // Duplicate, ByKey: the next pack may go to any viewee
	if kind == roundRobin || kind == leastFilled {
		rule = allLimited
	}
	if kind == weighted { // all limited among those of weight above zero
		rule = func() bool {
			for i := range n {
				if weights[i] > 0 && !f.m.limited(f.m.pends[i]) {
					return false
				}
			}
			return true
		}
	}
	current := make([]int, n) // weighted: the running totals
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	turn := 0
	route := func(pk hints.Pack[int]) []int {
		if pk.Hint == hints.End || kind == dupKind {
			return all
		}
		best := -1
		switch kind {
		case byKey:
			return []int{int(keyOf(pk.Value) % uint64(n))}
		case weighted: // smooth weighted round robin over those not limited
			sum := 0
			for i := range n {
				if weights[i] > 0 && !f.m.limited(f.m.pends[i]) {
					current[i] += weights[i]
					sum += weights[i]
					if best < 0 || current[i] > current[best] {
						best = i
					}
				}
			}
			if best >= 0 {
				current[best] -= sum
				return []int{best}
			}
			// All limited (a bust): the least filled of weight above
			// zero, the first among equals.
			for i := range n {
				if weights[i] > 0 && (best < 0 || len(f.m.pends[i].q) < len(f.m.pends[best].q)) {
					best = i
				}
			}
			return []int{best}
		case roundRobin: // the next viewee in turn that is not limited
			for k := range n {
				if i := (turn + k) % n; !f.m.limited(f.m.pends[i]) {
					best = i
					break
				}
			}
			if best < 0 { // all limited (a bust): the least filled, the first from the turn among equals
				best = turn % n
				for k := range n {
					if i := (turn + k) % n; len(f.m.pends[i].q) < len(f.m.pends[best].q) {
						best = i
					}
				}
			}
		case leastFilled: // the fewest packs among those not limited (all, if all are), the first from the turn among equals
			bestLim := true
			for k := range n {
				i := (turn + k) % n
				lim := f.m.limited(f.m.pends[i])
				if best < 0 || (bestLim && !lim) || (bestLim == lim && len(f.m.pends[i].q) < len(f.m.pends[best].q)) {
					best, bestLim = i, lim
				}
			}
		}
		turn = best + 1
		return []int{best}
	}

	dataFirst := rapid.IntRange(0, 40).Draw(t, "data before the END")
	var (
		pushed  []hints.Pack[int]              // through the view, in order
		got     = make([][]hints.Pack[int], n) // pulled from each viewee, in order
		ended   bool                           // the producer pushed its END
		canBust = true                         // no push while limited since the last pull
	)
	pushView := func(t *rapid.T, pk hints.Pack[int]) {
		want := rule()
		if lim := vp.Limited(); lim != want {
			t.Fatalf("view Limited %v, model %v", lim, want)
		}
		if ended {
			t.Skip("the producer has ended")
		}
		if want && !(canBust && rapid.Bool().Draw(t, "bust")) {
			t.Skip("limited")
		}
		if want {
			canBust = false
		}
		if pk.Hint == hints.None {
			pk.Value = f.next()
		}
		to := route(pk)
		if err := vp.Push(pk); err != nil {
			t.Fatalf("view Push %v: %v", pk, err)
		}
		for _, i := range to {
			f.m.push(i, pk)
		}
		pushed = append(pushed, pk)
		ended = pk.Hint == hints.End
	}
	actions := map[string]func(*rapid.T){
		// Data three times as often as END.
		"push data":       func(t *rapid.T) { pushView(t, data(0)) },
		"push data again": func(t *rapid.T) { pushView(t, data(0)) },
		"push data more":  func(t *rapid.T) { pushView(t, data(0)) },
		"push END": func(t *rapid.T) {
			if len(pushed) < dataFirst {
				t.Skip("not yet")
			}
			pushView(t, endPack())
		},
		"pull": func(t *rapid.T) {
			i := rapid.IntRange(0, n-1).Draw(t, "viewee")
			pk, ok := f.pends[i].pull()
			want, wok := f.m.pull(i)
			if ok != wok || pk != want {
				t.Fatalf("viewee %d: Pull %v %v, model %v %v", i, pk, ok, want, wok)
			}
			if ok {
				got[i] = append(got[i], pk)
				canBust = true
			}
		},
		"": func(t *rapid.T) {
			f.checkPool(t)
			if lim, want := vp.Limited(), rule(); lim != want {
				t.Fatalf("view Limited %v, model %v", lim, want)
			}
			if vp.Len() != 0 {
				t.Fatalf("push view Len %d, want 0", vp.Len())
			}
			if pk, ok := vp.Peek(); ok {
				t.Fatalf("push view Peek gave %v", pk)
			}
			if pk, ok := vp.Pull(); ok {
				t.Fatalf("push view Pull gave %v", pk)
			}
			f.checkSnapshot(t, 0, rule())
		},
	}
	f.otherActions(actions)
	t.Repeat(actions)

	// Drain the viewees and check the promises end to end.
	for i := range n {
		for {
			pk, ok := f.pends[i].pull()
			want, wok := f.m.pull(i)
			if ok != wok || pk != want {
				t.Fatalf("drain viewee %d: Pull %v %v, model %v %v", i, pk, ok, want, wok)
			}
			if !ok {
				break
			}
			got[i] = append(got[i], pk)
		}
	}
	ends := 0
	if ended {
		ends = 1
	}
	seen := map[int]int{}
	for i, g := range got {
		e := 0
		for j, pk := range g {
			if pk.Hint == hints.End {
				e++
				if j != len(g)-1 {
					t.Fatalf("viewee %d: END before data: %v", i, g)
				}
				continue
			}
			seen[pk.Value]++
			if j > 0 && g[j-1].Value >= pk.Value {
				t.Fatalf("viewee %d: order lost: %v", i, g)
			}
			if kind == byKey && int(keyOf(pk.Value)%uint64(n)) != i {
				t.Fatalf("value %d (key %% n = %d) reached viewee %d", pk.Value, keyOf(pk.Value)%uint64(n), i)
			}
		}
		if e != ends {
			t.Fatalf("viewee %d got %d ENDs, want %d", i, e, ends)
		}
		if kind == dupKind && !slices.Equal(g, pushed) {
			t.Fatalf("viewee %d got %v, pushed %v", i, g, pushed)
		}
	}
	copies := 1
	if kind == dupKind {
		copies = n
	}
	for _, pk := range pushed {
		if pk.Hint == hints.None && seen[pk.Value] != copies {
			t.Fatalf("value %d delivered %d times, want %d", pk.Value, seen[pk.Value], copies)
		}
	}
	if clone != nil && clones != (n-1)*(len(pushed)-ends) {
		t.Fatalf("clone called %d times for %d data packs to %d viewees", clones, len(pushed)-ends, n)
	}
	f.checkPool(t)
}

// Pull views.

// mergeModel reads the model's viewees as the merge does: from the turn, the
// first viewee with data, or with an END that is the last of all; an END
// that is not the last is taken and swallowed on the way.
type mergeModel struct {
	m          *model
	n          int
	ended      []bool
	ends, turn int
	pick       int
}

func (mm *mergeModel) peek() (hints.Pack[int], bool) {
	for k := range mm.n {
		i := (mm.turn + k) % mm.n
		pk, ok := mm.m.head(i)
		if !ok {
			continue
		}
		if pk.Hint == hints.End && !mm.ended[i] && mm.ends+1 < mm.n {
			mm.m.pull(i)
			mm.ended[i] = true
			mm.ends++
			continue
		}
		mm.pick = i
		return pk, true
	}
	return hints.Pack[int]{}, false
}

func (mm *mergeModel) pull() (hints.Pack[int], bool) {
	pk, ok := mm.peek()
	if !ok {
		return pk, false
	}
	mm.m.pull(mm.pick)
	mm.turn = mm.pick + 1
	if pk.Hint == hints.End {
		mm.ended[mm.pick] = true
		mm.ends++
	}
	return pk, true
}

func (mm *mergeModel) len() int {
	n := 0
	for i := range mm.n {
		n += len(mm.m.pends[i].q)
	}
	return n
}

// joinModel zips the model's viewees 0 and 1.
type joinModel struct{ m *model }

func (jm joinModel) peek() (hints.Pack[int], hints.Pack[int], bool) {
	a, oka := jm.m.head(0)
	b, okb := jm.m.head(1)
	switch {
	case isEnd(a, oka) || isEnd(b, okb):
		return endPack(), endPack(), true
	case oka && okb:
		return a, b, true
	}
	return hints.Pack[int]{}, hints.Pack[int]{}, false
}

func (jm joinModel) pull() (hints.Pack[int], hints.Pack[int], bool) {
	a, b, ok := jm.peek()
	if !ok {
		return a, b, false
	}
	if a.Hint == hints.End {
		for i := range 2 {
			if isEnd(jm.m.head(i)) {
				jm.m.pull(i)
			}
		}
		return a, b, true
	}
	jm.m.pull(0)
	jm.m.pull(1)
	return a, b, true
}

func (jm joinModel) len() int {
	if a, _, ok := jm.peek(); ok && a.Hint == hints.End {
		return 1
	}
	return min(len(jm.m.pends[0].q), len(jm.m.pends[1].q))
}

func TestPullViewsMatchModel(t *testing.T) {
	moreChecks()
	t.Run("Merge", func(t *testing.T) { rapid.Check(t, mergeModelTest) })
	t.Run("Join2", func(t *testing.T) { rapid.Check(t, joinModelTest) })
}

// producers are the random pushes straight into the viewees of a pull view:
// data while the viewee is not limited (sometimes one bust), then one END.
type producers struct {
	f       *fixture
	pushed  [][]int     // data values pushed into each viewee
	owner   map[int]int // value -> viewee
	ended   []bool
	canBust []bool
	// dataFirst is how many values each producer pushes before its END
	// may come, so that ENDs do not end most runs early.
	dataFirst []int
}

func newProducers(t *rapid.T, f *fixture, n int) *producers {
	p := &producers{f: f, owner: map[int]int{}, pushed: make([][]int, n), ended: make([]bool, n), canBust: make([]bool, n)}
	for i := range p.canBust {
		p.canBust[i] = true
		p.dataFirst = append(p.dataFirst, rapid.IntRange(0, 20).Draw(t, fmt.Sprint("data before END ", i)))
	}
	return p
}

func (p *producers) push(t *rapid.T, end bool) {
	f := p.f
	i := rapid.IntRange(0, len(p.ended)-1).Draw(t, "viewee")
	if p.ended[i] {
		t.Skip("ended")
	}
	if end && len(p.pushed[i]) < p.dataFirst[i] {
		t.Skip("not yet")
	}
	if f.m.limited(f.m.pends[i]) {
		if !p.canBust[i] || !rapid.Bool().Draw(t, "bust") {
			t.Skip("limited")
		}
		p.canBust[i] = false
	}
	pk := endPack()
	if !end {
		pk = data(f.next())
		p.pushed[i] = append(p.pushed[i], pk.Value)
		p.owner[pk.Value] = i
	}
	if err := f.pends[i].push(pk); err != nil {
		t.Fatal(err)
	}
	f.m.push(i, pk)
	p.ended[i] = end
}

// pulled notes that packs left the viewees through the view, so each
// producer may bust once more.
func (p *producers) pulled() {
	for i := range p.canBust {
		p.canBust[i] = true
	}
}

func (p *producers) actions(actions map[string]func(*rapid.T)) {
	actions["producer data"] = func(t *rapid.T) { p.push(t, false) }
	actions["producer data again"] = func(t *rapid.T) { p.push(t, false) }
	actions["producer data more"] = func(t *rapid.T) { p.push(t, false) }
	actions["producer END"] = func(t *rapid.T) { p.push(t, true) }
}

func mergeModelTest(t *rapid.T) {
	n := rapid.IntRange(1, 4).Draw(t, "viewees")
	f := newFixture(t, n)
	decl, err := logicalpool.Merge(f.lp, f.view, f.decls())
	if err != nil {
		t.Fatal(err)
	}
	checkDecl(t, f, decl)
	vp, err := get[int](f.lp, f.view)
	if err != nil {
		t.Fatal(err)
	}
	f.intPends(t)
	if err := vp.Push(data(1)); err == nil {
		t.Fatal("Push into a merge view succeeded")
	}
	if err := vp.PushFront(data(1)); err == nil {
		t.Fatal("PushFront into a merge view succeeded")
	}
	mm := &mergeModel{m: f.m, n: n, ended: make([]bool, n)}
	prod := newProducers(t, f, n)
	delivered := make([][]int, n) // data values through the view, per viewee
	ends := 0                     // ENDs through the view

	// take checks one pack pulled through the view.
	take := func(t *rapid.T, pk hints.Pack[int]) {
		if pk.Hint == hints.End {
			ends++
			if ends > 1 {
				t.Fatal("a second END through the merge")
			}
			for i, e := range prod.ended {
				if !e || len(f.m.pends[i].q) != 0 {
					t.Fatalf("END through the merge before viewee %d's END was taken (ended %v)", i, prod.ended)
				}
			}
			return
		}
		if ends > 0 {
			t.Fatalf("data %v after the END", pk)
		}
		i := prod.owner[pk.Value]
		d := delivered[i]
		if want := prod.pushed[i][len(d)]; pk.Value != want {
			t.Fatalf("viewee %d: got %d, want %d next (FIFO per viewee)", i, pk.Value, want)
		}
		delivered[i] = append(d, pk.Value)
		prod.pulled()
	}
	peek := func(t *rapid.T) (hints.Pack[int], bool) {
		pk, ok := vp.Peek()
		want, wok := mm.peek()
		if ok != wok || pk != want {
			t.Fatalf("merge Peek %v %v, model %v %v", pk, ok, want, wok)
		}
		if ok && pk.Hint == hints.End && ends > 0 {
			t.Fatal("merge Peek shows a second END")
		}
		return pk, ok
	}
	pull := func(t *rapid.T) {
		var seen hints.Pack[int]
		var sok bool
		peeked := rapid.Bool().Draw(t, "peek first")
		if peeked {
			seen, sok = peek(t)
		}
		pk, ok := vp.Pull()
		want, wok := mm.pull()
		if ok != wok || pk != want {
			t.Fatalf("merge Pull %v %v, model %v %v", pk, ok, want, wok)
		}
		if peeked && (ok != sok || pk != seen) {
			t.Fatalf("merge Peek showed %v %v, Pull gave %v %v", seen, sok, pk, ok)
		}
		if ok {
			take(t, pk)
		}
	}
	actions := map[string]func(*rapid.T){
		"peek": func(t *rapid.T) { peek(t) },
		"pull": pull,
		"span and drop": func(t *rapid.T) {
			max := rapid.IntRange(0, 3).Draw(t, "span")
			s := vp.Span(max)
			want, wok := mm.peek() // Span peeks even for max 0
			if max == 0 || !wok {
				if len(s) != 0 {
					t.Fatalf("Span(%d) = %v, model has %v %v", max, s, want, wok)
				}
				return
			}
			if len(s) != 1 || s[0] != want {
				t.Fatalf("Span(%d) = %v, want [%v]", max, s, want)
			}
			if rapid.Bool().Draw(t, "drop") {
				vp.Drop(1)
				if got, _ := mm.pull(); got != want {
					t.Fatalf("model pulled %v after peeking %v", got, want)
				}
				take(t, want)
			}
		},
		"": func(t *rapid.T) {
			f.checkPool(t)
			if vp.Len() != mm.len() {
				t.Fatalf("merge Len %d, model %d", vp.Len(), mm.len())
			}
			if !vp.Limited() {
				t.Fatal("a merge view is not limited")
			}
			f.checkSnapshot(t, mm.len(), true)
		},
	}
	prod.actions(actions)
	f.otherActions(actions)
	t.Repeat(actions)

	// Every producer ends; the merge gives the rest, then one END.
	for i := range n {
		if !prod.ended[i] {
			f.m.push(i, endPack())
			if err := f.pends[i].push(endPack()); err != nil {
				t.Fatal(err)
			}
			prod.ended[i] = true
		}
	}
	for range f.m.size() + n + 1 {
		pk, ok := vp.Pull()
		want, wok := mm.pull()
		if ok != wok || pk != want {
			t.Fatalf("drain: merge Pull %v %v, model %v %v", pk, ok, want, wok)
		}
		if !ok {
			break
		}
		take(t, pk)
	}
	if ends != 1 {
		t.Fatalf("%d ENDs through the merge, want 1", ends)
	}
	for i := range n {
		if !slices.Equal(delivered[i], prod.pushed[i]) {
			t.Fatalf("viewee %d: delivered %v, pushed %v", i, delivered[i], prod.pushed[i])
		}
	}
	f.checkPool(t)
}

func joinModelTest(t *rapid.T) {
	f := newFixture(t, 2)
	f.view = "join"
	decl, err := logicalpool.Join2(f.lp, f.view, ip(f.declPool(0), "v0"), pool.NewPend[string](f.declPool(1), "v1"))
	if err != nil {
		t.Fatal(err)
	}
	checkDecl(t, f, decl)
	vp, err := get[logicalpool.Pair[int, string]](f.lp, f.view)
	if err != nil {
		t.Fatal(err)
	}
	for i, key := range []string{"v0", "v1", "x"} {
		var p vpend
		if i == 1 {
			a, err := get[string](f.inner, key)
			if err != nil {
				t.Fatal(err)
			}
			p = strPend{a}
		} else {
			a, err := get[int](f.inner, key)
			if err != nil {
				t.Fatal(err)
			}
			p = intPend{a}
		}
		f.pends = append(f.pends, p)
	}
	if _, err := get[int](f.lp, "v1"); err == nil {
		t.Fatal("Get[int] of the string side succeeded")
	}
	if err := vp.Push(hints.Pack[logicalpool.Pair[int, string]]{}); err == nil {
		t.Fatal("Push into a join view succeeded")
	}
	jm := joinModel{m: f.m}
	prod := newProducers(t, f, 2)
	var pairs []logicalpool.Pair[int, string] // through the view
	ended := false                            // the join gave its END: its consumer is done

	pairOf := func(a, b hints.Pack[int], ok bool) (hints.Pack[logicalpool.Pair[int, string]], bool) {
		switch {
		case !ok:
			return hints.Pack[logicalpool.Pair[int, string]]{}, false
		case a.Hint == hints.End:
			return hints.Pack[logicalpool.Pair[int, string]]{Hint: hints.End}, true
		}
		return hints.Data(logicalpool.Pair[int, string]{A: a.Value, B: strconv.Itoa(b.Value)}), true
	}
	take := func(t *rapid.T, pk hints.Pack[logicalpool.Pair[int, string]]) {
		if pk.Hint == hints.End {
			// Zip: END once either side shows END at its head, that is
			// once either side's data is used up.
			k := len(pairs)
			if !(prod.ended[0] && len(prod.pushed[0]) == k) && !(prod.ended[1] && len(prod.pushed[1]) == k) {
				t.Fatalf("END after %d pairs, with %d and %d values pushed (ended %v)", k, len(prod.pushed[0]), len(prod.pushed[1]), prod.ended)
			}
			ended = true
			return
		}
		k := len(pairs)
		if want := (logicalpool.Pair[int, string]{A: prod.pushed[0][k], B: strconv.Itoa(prod.pushed[1][k])}); pk.Value != want {
			t.Fatalf("pair %d is %+v, want %+v", k, pk.Value, want)
		}
		pairs = append(pairs, pk.Value)
		prod.pulled()
	}
	peek := func(t *rapid.T) (hints.Pack[logicalpool.Pair[int, string]], bool) {
		pk, ok := vp.Peek()
		want, wok := pairOf(jm.peek())
		if ok != wok || pk != want {
			t.Fatalf("join Peek %v %v, model %v %v", pk, ok, want, wok)
		}
		return pk, ok
	}
	actions := map[string]func(*rapid.T){
		"peek": func(t *rapid.T) { peek(t) },
		"pull": func(t *rapid.T) {
			if ended {
				t.Skip("the consumer has ended")
			}
			var seen hints.Pack[logicalpool.Pair[int, string]]
			var sok bool
			peeked := rapid.Bool().Draw(t, "peek first")
			if peeked {
				seen, sok = peek(t)
			}
			pk, ok := vp.Pull()
			want, wok := pairOf(jm.pull())
			if ok != wok || pk != want {
				t.Fatalf("join Pull %v %v, model %v %v", pk, ok, want, wok)
			}
			if peeked && (ok != sok || pk != seen) {
				t.Fatalf("join Peek showed %v %v, Pull gave %v %v", seen, sok, pk, ok)
			}
			if ok {
				take(t, pk)
			}
		},
		"span and drop": func(t *rapid.T) {
			if ended {
				t.Skip("the consumer has ended")
			}
			max := rapid.IntRange(0, 3).Draw(t, "span")
			s := vp.Span(max)
			want, wok := pairOf(jm.peek())
			if max == 0 || !wok {
				if len(s) != 0 {
					t.Fatalf("Span(%d) = %v, model has %v %v", max, s, want, wok)
				}
				return
			}
			if len(s) != 1 || s[0] != want {
				t.Fatalf("Span(%d) = %v, want [%v]", max, s, want)
			}
			if rapid.Bool().Draw(t, "drop") {
				vp.Drop(1)
				if got, _ := pairOf(jm.pull()); got != want {
					t.Fatalf("model pulled %v after peeking %v", got, want)
				}
				take(t, want)
			}
		},
		"": func(t *rapid.T) {
			f.checkPool(t)
			if vp.Len() != jm.len() {
				t.Fatalf("join Len %d, model %d", vp.Len(), jm.len())
			}
			if !vp.Limited() {
				t.Fatal("a join view is not limited")
			}
			f.checkSnapshot(t, jm.len(), true)
		},
	}
	prod.actions(actions)
	f.otherActions(actions)
	t.Repeat(actions)

	// Both producers end; the join gives the rest of the pairs, then END.
	for i := range 2 {
		if !prod.ended[i] {
			f.m.push(i, endPack())
			if err := f.pends[i].push(endPack()); err != nil {
				t.Fatal(err)
			}
			prod.ended[i] = true
		}
	}
	for !ended {
		pk, ok := vp.Pull()
		want, wok := pairOf(jm.pull())
		if ok != wok || pk != want {
			t.Fatalf("drain: join Pull %v %v, model %v %v", pk, ok, want, wok)
		}
		if !ok {
			t.Fatalf("the join ran dry after %d pairs without an END", len(pairs))
		}
		take(t, pk)
	}
	if k := min(len(prod.pushed[0]), len(prod.pushed[1])); len(pairs) != k {
		t.Fatalf("%d pairs, want %d (the shorter side)", len(pairs), k)
	}
	f.checkPool(t)
}
