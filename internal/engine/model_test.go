package engine_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
)

// refPool is a trivially correct model of a pool: one plain slice of packs
// per pend, every size recomputed from scratch with the package doc formula.
type refPool[T any] struct {
	limit, high int
	sizeOf      func(T) int // nil: count pool
	pends       map[string]*refPend[T]
}

type refPend[T any] struct {
	private, limit int
	packs          []hints.Pack[T]
}

func (m *refPool[T]) pendSize(rp *refPend[T]) int {
	n := 0
	for _, pk := range rp.packs {
		if m.sizeOf == nil {
			n++
		} else {
			n += m.sizeOf(pk.Value)
		}
	}
	return n
}

func (m *refPool[T]) poolSize() int {
	n := 0
	for _, rp := range m.pends {
		n += rp.private + max(0, m.pendSize(rp)-rp.private)
	}
	return n
}

func (m *refPool[T]) limited(rp *refPend[T]) bool {
	size := m.pendSize(rp)
	return size > rp.private && (m.poolSize() >= m.limit || size >= rp.limit)
}

func (m *refPool[T]) pend(key string) *refPend[T] {
	if m.pends[key] == nil {
		m.pends[key] = &refPend[T]{limit: engine.Unlimited}
	}
	return m.pends[key]
}

var (
	pendKeys   = []string{"a", "b", "c"}
	poolLimits = []int{0, 1, 2, 3, 5, 8, engine.Unlimited}
	goodHints  = []hints.Hint{hints.None, hints.End}
	allHints   = []hints.Hint{hints.None, hints.End, hints.Skip, hints.Redo, hints.Hint(7)}
)

// flavour is one pool kind and element type under test.
type flavour[T any] struct {
	sizeOf func(T) int           // byte pool: the model's size of a value; nil: count pool
	value  func(*rapid.T, int) T // a value; the int is a fresh sequence number
}

func TestPoolMatchesModel(t *testing.T) {
	str := rapid.StringOfN(rapid.RuneFrom([]rune("xyz")), 0, 3, -1)
	byt := rapid.SliceOfN(rapid.Byte(), 0, 3)
	t.Run("count/int", func(t *testing.T) {
		rapid.Check(t, runModel(flavour[int]{value: func(_ *rapid.T, n int) int { return n }}))
	})
	t.Run("count/string", func(t *testing.T) {
		rapid.Check(t, runModel(flavour[string]{value: func(_ *rapid.T, n int) string { return fmt.Sprint("v", n) }}))
	})
	t.Run("bytes/string", func(t *testing.T) {
		value := func(t *rapid.T, _ int) string { return str.Draw(t, "value") }
		rapid.Check(t, runModel(flavour[string]{sizeOf: func(s string) int { return len(s) }, value: value}))
	})
	t.Run("bytes/[]byte", func(t *testing.T) {
		value := func(t *rapid.T, _ int) []byte { return byt.Draw(t, "value") }
		rapid.Check(t, runModel(flavour[[]byte]{sizeOf: func(b []byte) int { return len(b) }, value: value}))
	})
}

func runModel[T any](f flavour[T]) func(*rapid.T) {
	return func(t *rapid.T) {
		limit := rapid.SampledFrom(poolLimits).Draw(t, "poolLimit")
		p := newCount("p", limit)
		if f.sizeOf != nil {
			p = newBytes("p", limit)
		}
		m := &refPool[T]{limit: limit, sizeOf: f.sizeOf, pends: map[string]*refPend[T]{}}
		pends := map[string]*engine.Pend[T]{} // created by Get
		seq := 0
		same := func(got, want hints.Pack[T]) bool { return reflect.DeepEqual(got, want) }
		drawPack := func(t *rapid.T, hs []hints.Hint) hints.Pack[T] {
			seq++
			return hints.Pack[T]{Value: f.value(t, seq), Hint: rapid.SampledFrom(hs).Draw(t, "hint")}
		}
		drawPend := func(t *rapid.T) (string, *engine.Pend[T], *refPend[T]) {
			var keys []string
			for _, k := range pendKeys {
				if pends[k] != nil {
					keys = append(keys, k)
				}
			}
			if len(keys) == 0 {
				t.Skip("no pend yet")
			}
			k := rapid.SampledFrom(keys).Draw(t, "pend")
			return k, pends[k], m.pends[k]
		}
		t.Repeat(map[string]func(*rapid.T){
			"Configure": func(t *rapid.T) {
				k := rapid.SampledFrom(pendKeys).Draw(t, "pend")
				private := rapid.IntRange(-1, 4).Draw(t, "private")
				lim := rapid.IntRange(-1, 5).Draw(t, "limit")
				rp := m.pend(k) // an empty model pend counts nothing
				err := p.Configure(k, private, lim)
				if wantErr := private < 0 || lim < 0 || len(rp.packs) > 0; (err != nil) != wantErr {
					t.Fatalf("Configure(%q, %d, %d) with %d packs queued: got error %v, want error %v", k, private, lim, len(rp.packs), err, wantErr)
				} else if wantErr {
					return
				}
				rp.private, rp.limit = private, lim
				if lim == 0 {
					rp.limit = engine.Unlimited
				}
			},
			"Get": func(t *rapid.T) {
				k := rapid.SampledFrom(pendKeys).Draw(t, "pend")
				pd, err := engine.Get[T](p, k)
				if err != nil {
					t.Fatalf("Get(%q): %v", k, err)
				}
				if prev := pends[k]; prev != nil && prev != pd || pd.Key() != k || pd.Pool() != p {
					t.Fatalf("Get(%q) = pend %q of pool %p (first Get: %p); want the same pend each time", k, pd.Key(), pd.Pool(), prev)
				}
				pends[k] = pd
				m.pend(k)
			},
			"Push": func(t *rapid.T) { // a run of Push or PushFront calls; long runs grow the ring
				k, pd, rp := drawPend(t)
				front := rapid.Bool().Draw(t, "front")
				push := pd.Push
				if front {
					push = pd.PushFront
				}
				for range rapid.IntRange(1, 24).Draw(t, "pushes") {
					pk := drawPack(t, allHints)
					err := push(pk)
					if bad := pk.Hint != hints.None && pk.Hint != hints.End; bad || err != nil {
						if !bad || err == nil {
							t.Fatalf("pend %q: push of %v (front %v): got error %v, want error %v", k, pk, front, err, bad)
						}
					} else if front {
						rp.packs = slices.Insert(rp.packs, 0, pk)
					} else {
						rp.packs = append(rp.packs, pk)
					}
				}
			},
			"PullOrPeek": func(t *rapid.T) {
				k, pd, rp := drawPend(t)
				pull := rapid.Bool().Draw(t, "pull")
				got, ok := pd.Peek()
				if pull {
					got, ok = pd.Pull()
				}
				if wantOK := len(rp.packs) > 0; ok != wantOK || ok && !same(got, rp.packs[0]) {
					t.Fatalf("pend %q: Pull (%v) or Peek = %v, %v; want ok %v, queue %v", k, pull, got, ok, wantOK, rp.packs)
				}
				if ok && pull {
					rp.packs = rp.packs[1:]
				}
			},
			"SpanDrop": func(t *rapid.T) {
				k, pd, rp := drawPend(t)
				n := rapid.IntRange(0, 6).Draw(t, "max")
				span := pd.Span(n)
				if most := min(n, len(rp.packs)); len(span) > most || most > 0 && len(span) == 0 {
					t.Fatalf("pend %q with %d packs: len(Span(%d)) = %d, want 1..%d", k, len(rp.packs), n, len(span), most)
				}
				for i, got := range span {
					if !same(got, rp.packs[i]) {
						t.Fatalf("pend %q: Span(%d)[%d] = %v, want %v", k, n, i, got, rp.packs[i])
					}
				}
				d := rapid.IntRange(0, len(span)).Draw(t, "drop")
				pd.Drop(d)
				rp.packs = rp.packs[d:]
			},
			"SlotsCommit": func(t *rapid.T) {
				k, pd, rp := drawPend(t)
				n := rapid.IntRange(1, 6).Draw(t, "max")
				slots := pd.Slots(n)
				if len(slots) < 1 || len(slots) > n {
					t.Fatalf("pend %q: len(Slots(%d)) = %d, want 1..%d", k, n, len(slots), n)
				}
				c := rapid.IntRange(0, len(slots)).Draw(t, "commit")
				for i := range c {
					slots[i] = drawPack(t, goodHints) // Commit trusts the caller: data and END only
				}
				if err := pd.Commit(c); err != nil {
					t.Fatalf("pend %q: Commit(%d): %v", k, c, err)
				}
				rp.packs = append(rp.packs, slots[:c]...)
			},
			"FreeProbe": func(t *rapid.T) {
				if f.sizeOf != nil {
					t.Skip("Free is a count pool promise")
				}
				// Free() = n promises that n checks of Limited in a row,
				// one push apart, report false; probe up to 12 of them.
				k, pd, rp := drawPend(t)
				free := pd.Free()
				for i := range min(free, 12) {
					if pd.Limited() {
						t.Fatalf("pend %q: Free() was %d, but Limited() after %d more pushes", k, free, i)
					}
					if i < min(free, 12)-1 {
						seq++
						pk := hints.Data(f.value(t, seq))
						if err := pd.Push(pk); err != nil {
							t.Fatalf("pend %q: Push(%v): %v", k, pk, err)
						}
						rp.packs = append(rp.packs, pk)
					}
				}
			},
			"": func(t *rapid.T) {
				size := m.poolSize()
				m.high = max(m.high, size)
				if got, high := p.Size(), p.High(); got != size || high != m.high {
					t.Fatalf("pool Size(), High() = %d, %d; want %d, %d", got, high, size, m.high)
				}
				for _, k := range pendKeys {
					pd, rp := pends[k], m.pends[k]
					if pd == nil {
						continue
					}
					if gl, gs, wl, ws := pd.Len(), pd.Size(), len(rp.packs), m.pendSize(rp); gl != wl || gs != ws {
						t.Fatalf("pend %q: Len(), Size() = %d, %d; want %d, %d", k, gl, gs, wl, ws)
					}
					lim := pd.Limited()
					if want := m.limited(rp); lim != want {
						t.Fatalf("pend %q (size %d, private %d, limit %d; pool %d/%d): Limited() = %v, want %v",
							k, m.pendSize(rp), rp.private, rp.limit, size, m.limit, lim, want)
					}
					if room := pd.Room(); lim && room != 0 {
						t.Fatalf("pend %q is limited: Room() = %d, want 0", k, room)
					}
					free := pd.Free()
					if f.sizeOf != nil && free != 0 || f.sizeOf == nil && (free == 0) != lim {
						t.Fatalf("pend %q: Free() = %d with Limited() = %v; want 0 for byte pools and exactly when limited", k, free, lim)
					}
				}
			},
		})
	}
}

func TestIOPool(t *testing.T) {
	p := newIO()
	in, err := engine.Get[int](p, engine.InputKey)
	if err != nil || p.Key() != engine.IOKey || p.Kind() != engine.IO {
		t.Fatalf("NewIO(): key %q, kind %v, Get(InputKey) error %v; want %q, io, nil", p.Key(), p.Kind(), err, engine.IOKey)
	}
	for i := range 100 {
		if pk, ok := in.Pull(); !ok || pk.Hint != hints.Skip || !in.Limited() || in.Len() != engine.Unlimited {
			t.Fatalf("input pend pull %d = %v, %v, Limited() %v, Len() %d; want a SKIP pack, true, true, Unlimited", i, pk, ok, in.Limited(), in.Len())
		}
	}
	if pk, ok := in.Peek(); !ok || pk.Hint != hints.Skip {
		t.Errorf("input pend Peek() = %v, %v; want a SKIP pack, true", pk, ok)
	}
	if span := in.Span(5); len(span) != 5 || slices.ContainsFunc(span, func(pk hints.Pack[int]) bool { return pk.Hint != hints.Skip }) {
		t.Errorf("input pend Span(5) = %v, want 5 SKIP packs", span)
	}
	for _, pk := range []hints.Pack[int]{hints.Data(1), hints.EndOf[int](0)} {
		if err := in.Push(pk); err == nil {
			t.Errorf("input pend Push(%v): got no error, want one", pk)
		}
	}

	out, err := engine.Get[string](p, engine.OutputKey)
	if err != nil {
		t.Fatalf("Get(OutputKey): %v", err)
	}
	for i := range 10 {
		if err := out.Push(hints.EndOf[string](0)); err != nil || out.Limited() {
			t.Fatalf("output pend Push(END) %d = %v, then Limited() %v; want nil, false", i, err, out.Limited())
		}
	}
	slots := out.Slots(2)
	slots[0], slots[1] = hints.EndOf[string](0), hints.EndOf[string](0)
	if err := out.Commit(2); err != nil {
		t.Errorf("output pend Commit of 2 END packs: %v", err)
	}
	if err := out.Push(hints.Data("x")); err == nil || !strings.Contains(err.Error(), engine.OutputKey) {
		t.Errorf("output pend Push(data) error = %v, want one naming %q", err, engine.OutputKey)
	}
	out.Slots(1)[0] = hints.Data("y")
	if err := out.Commit(1); err == nil || !strings.Contains(err.Error(), engine.OutputKey) {
		t.Errorf("output pend Commit(data) error = %v, want one naming %q", err, engine.OutputKey)
	}
	if pk, ok := out.Pull(); ok || out.Len() != 0 || out.Limited() {
		t.Errorf("output pend: Pull() = %v, %v, Len() %d, Limited() %v; want ok false, 0, false", pk, ok, out.Len(), out.Limited())
	}

	if _, err := engine.Get[int](p, "other"); err == nil {
		t.Errorf("IO pool Get(%q): got no error, want one", "other")
	}
	if _, err := engine.Get[float64](p, engine.InputKey); err != nil {
		t.Errorf("IO pool Get[float64](InputKey) after Get[int] = %v, want a fresh view", err)
	}
	for _, c := range []struct {
		pend           string
		private, limit int
		wantErr        bool
	}{
		{engine.InputKey, 0, 0, false}, {engine.OutputKey, 0, 0, false},
		{engine.InputKey, 1, 0, true}, {engine.OutputKey, 0, 1, true}, {"other", 0, 0, true},
	} {
		if err := p.Configure(c.pend, c.private, c.limit); (err != nil) != c.wantErr {
			t.Errorf("IO pool Configure(%q, %d, %d) = %v, want error %v", c.pend, c.private, c.limit, err, c.wantErr)
		}
	}
}

func TestGetSecondTypeNamesPoolPendAndTypes(t *testing.T) {
	p := newCount("edges", 4)
	first, _ := engine.Get[int](p, "edge:1")
	_, err := engine.Get[string](p, "edge:1")
	for _, want := range []string{"edges", "edge:1", "int", "string"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Get[string] on a pend of int: error %v, want one naming %q", err, want)
		}
	}
	if again, err := engine.Get[int](p, "edge:1"); err != nil || again != first {
		t.Errorf("Get[int] again = %p, %v; want the first pend %p", again, err, first)
	}
}

type blob struct{ n int } // sizes itself through a pointer receiver

func (b *blob) Size() int { return b.n }

type raw []byte // measured as []byte

// pushOne pushes pk into a new pend of byte pool p and checks what it counts.
func pushOne[T any](t *testing.T, p *engine.Pool, pk hints.Pack[T], want int) {
	t.Helper()
	pd, err := engine.Get[T](p, fmt.Sprintf("%T", pk.Value))
	if err != nil {
		t.Fatalf("byte pool Get[%T]: %v", pk.Value, err)
	}
	before := p.Size()
	if err := pd.Push(pk); err != nil {
		t.Fatalf("Push(%v): %v", pk, err)
	}
	if got, grew := pd.Size(), p.Size()-before; got != want || grew != want {
		t.Errorf("byte pool push of %T %v: pend size %d, pool grew %d; want %d", pk.Value, pk, got, grew, want)
	}
}

func TestBytePoolSizing(t *testing.T) {
	p := newBytes("bytes", engine.Unlimited)
	if _, err := engine.Get[int](p, "ints"); err == nil || !strings.Contains(err.Error(), "int") {
		t.Errorf("byte pool Get[int] error = %v, want one naming int", err)
	}
	if _, err := engine.Get[struct{ x int }](p, "structs"); err == nil {
		t.Error("byte pool Get of a struct without Size: got no error, want one")
	}
	pushOne(t, p, hints.Data(blob{n: 5}), 5)
	pushOne(t, p, hints.Data(&blob{n: 7}), 7)
	pushOne(t, p, hints.Pack[raw]{Value: raw("end"), Hint: hints.End}, 3) // END counts its value too
	pushOne(t, p, hints.Data("four"), 4)
}

// A pend that is not limited takes at least one more push: Room >= 1.
func TestRoomWhenNotLimited(t *testing.T) {
	for _, c := range []struct{ poolLimit, private, pendLimit, pushes int }{
		{3, 0, 0, 0}, {3, 2, 0, 1}, {0, 0, 0, 0}, {engine.Unlimited, 0, 5, 0},
		{engine.Unlimited, 0, 0, 3}, {engine.Unlimited, 0, 0, 0}, {engine.Unlimited, 2, 0, 0},
	} {
		p := newCount("p", c.poolLimit)
		p.Configure("a", c.private, c.pendLimit)
		a, _ := engine.Get[int](p, "a")
		for i := range c.pushes {
			a.Push(hints.Data(i))
		}
		if room := a.Room(); !a.Limited() && room < 1 {
			t.Errorf("%+v: not limited, Room() = %d; want >= 1", c, room)
		}
	}
}

// The reference runlet's walk-through: pool limit 3; pend a private 2; pend b
// private 0, limit 1; pend c defaults. Its table keeps pool size 5 after the
// pulls, but its own pull rule ("if size > private before the decrement,
// poolSize--") and the package formula give 4: a goes from 3 to 2, private 2.
// The reference semantics file's walk-through (pool limit 3; a: private 2;
// b: pend limit 1; c: defaults). After the pulls we expect 4, as the
// accounting formula says (a's share above private drops from 1 to 0) and as
// the reference's own pull rule ("if size > private before the decrement,
// poolSize--") does; the file's observed table shows 5 there, which breaks
// that formula's invariant.
func TestWalkThrough(t *testing.T) {
	p := newCount("default", 3)
	p.Configure("a", 2, 0)
	p.Configure("b", 0, 1)
	var ps [3]*engine.Pend[int]
	for i, k := range []string{"a", "b", "c"} {
		ps[i], _ = engine.Get[int](p, k)
	}
	push := func(i int) func() { return func() { ps[i].Push(hints.Data(i)) } }
	pull := func(i int) func() { return func() { ps[i].Pull() } }
	for i, s := range []struct {
		name     string
		do       func()
		poolSize int
		sizes    [3]int
		limited  [3]bool
	}{
		{"init", func() {}, 2, [3]int{0, 0, 0}, [3]bool{false, false, false}},
		{"push a", push(0), 2, [3]int{1, 0, 0}, [3]bool{false, false, false}},
		{"push a", push(0), 2, [3]int{2, 0, 0}, [3]bool{false, false, false}},
		{"push a", push(0), 3, [3]int{3, 0, 0}, [3]bool{true, false, false}},
		{"push b", push(1), 4, [3]int{3, 1, 0}, [3]bool{true, true, false}}, // b: pend limit
		{"push c", push(2), 5, [3]int{3, 1, 1}, [3]bool{true, true, true}},  // c: pool full
		{"pull a", pull(0), 4, [3]int{2, 1, 1}, [3]bool{false, true, true}}, // a: back to private
		{"pull a", pull(0), 4, [3]int{1, 1, 1}, [3]bool{false, true, true}},
	} {
		s.do()
		if got := p.Size(); got != s.poolSize {
			t.Errorf("step %d (%s): pool size %d, want %d", i, s.name, got, s.poolSize)
		}
		for j, pd := range ps {
			if size, lim := pd.Size(), pd.Limited(); size != s.sizes[j] || lim != s.limited[j] {
				t.Errorf("step %d (%s): pend %s size %d, limited %v; want %d, %v", i, s.name, pd.Key(), size, lim, s.sizes[j], s.limited[j])
			}
		}
	}
	if got := p.High(); got != 5 {
		t.Errorf("High() = %d, want 5", got)
	}
}

func TestSteadyFlowAllocatesNothing(t *testing.T) {
	p := newCount("p", 8)
	pd, _ := engine.Get[int](p, "a")
	for name, step := range map[string]func(){
		"Push+Pull": func() {
			pd.Push(hints.Data(1))
			pd.Pull()
		},
		"Slots/Commit+Span/Drop": func() {
			slots := pd.Slots(4)
			for i := range slots {
				slots[i] = hints.Data(i)
			}
			pd.Commit(len(slots))
			for pd.Len() > 0 {
				pd.Drop(len(pd.Span(8)))
			}
		},
	} {
		for range 100 { // warm up: the ring grows to the working size
			step()
		}
		if got := testing.AllocsPerRun(1000, step); got != 0 {
			t.Errorf("%s: %v allocations per run, want 0", name, got)
		}
		if pd.Len() != 0 || p.Size() != 0 {
			t.Errorf("%s: left Len() %d, pool Size() %d; want 0, 0", name, pd.Len(), p.Size())
		}
	}
}
