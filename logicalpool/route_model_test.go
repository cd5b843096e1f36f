package logicalpool_test

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/logicalpool"
)

// concatModel is Concat written out from its doc over the model's queues:
// viewee cur is read; an END that is not the last viewee's is taken and
// swallowed; the last END is given once.
type concatModel struct {
	f    *fixture
	cur  int
	done bool
}

func (cm *concatModel) peek() (hints.Pack[int], bool) {
	for !cm.done {
		pk, ok := cm.f.m.head(cm.cur)
		if !ok {
			break
		}
		if pk.Hint == hints.End && cm.cur+1 < cm.f.n {
			cm.f.m.pull(cm.cur)
			cm.cur++
			continue
		}
		return pk, true
	}
	return hints.Pack[int]{}, false
}

func (cm *concatModel) pull() (hints.Pack[int], bool) {
	pk, ok := cm.peek()
	if ok {
		cm.f.m.pull(cm.cur)
		cm.done = pk.Hint == hints.End
	}
	return pk, ok
}

func (cm *concatModel) len() int {
	if _, ok := cm.peek(); !ok {
		return 0
	}
	return len(cm.f.m.pends[cm.cur].q)
}

// TestConcatMatchesModel drives a Concat view as the scheduler would,
// through random pushes into its viewees (and into x, which shares the
// budget) and random peeks and pulls, comparing every answer and the pool's
// accounting with the model; at the end every producer ends and the view
// must have given every value once, in viewee order, and one END.
func TestConcatMatchesModel(t *testing.T) {
	moreChecks()
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 4).Draw(t, "viewees")
		f := newFixture(t, n)
		decl, err := logicalpool.Concat(f.lp, f.view, f.decls())
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
			t.Fatal("Push into a concat view succeeded")
		}
		cm := &concatModel{f: f}
		prod := newProducers(t, f, n)
		var delivered []int
		ends := 0
		pull := func(t *rapid.T) bool {
			if rapid.Bool().Draw(t, "peek first") {
				pk, ok := vp.Peek()
				want, wok := cm.peek()
				if ok != wok || pk != want {
					t.Fatalf("concat Peek %v %v, model %v %v", pk, ok, want, wok)
				}
			}
			pk, ok := vp.Pull()
			want, wok := cm.pull()
			if ok != wok || pk != want {
				t.Fatalf("concat Pull %v %v, model %v %v", pk, ok, want, wok)
			}
			switch {
			case !ok:
			case pk.Hint == hints.End:
				ends++
			default:
				if ends > 0 {
					t.Fatalf("data %v after the END", pk)
				}
				delivered = append(delivered, pk.Value)
				prod.pulled()
			}
			return ok
		}
		actions := map[string]func(*rapid.T){
			"pull": func(t *rapid.T) { pull(t) },
			"": func(t *rapid.T) {
				f.checkPool(t)
				if got, want := vp.Len(), cm.len(); got != want {
					t.Fatalf("concat Len %d, model %d", got, want)
				}
				if !vp.Limited() {
					t.Fatal("a concat view is not limited")
				}
			},
		}
		prod.actions(actions)
		f.otherActions(actions)
		t.Repeat(actions)

		for i := range n {
			if !prod.ended[i] {
				f.m.push(i, endPack())
				if err := f.pends[i].push(endPack()); err != nil {
					t.Fatal(err)
				}
				prod.ended[i] = true
			}
		}
		for pull(t) {
		}
		if ends != 1 {
			t.Fatalf("%d ENDs through the concat, want 1", ends)
		}
		if want := slices.Concat(prod.pushed...); !slices.Equal(delivered, want) {
			t.Fatalf("delivered %v, want every viewee's values in turn %v", delivered, want)
		}
		f.checkPool(t)
	})
}

// TestPartitionMatchesModel drives a Partition view as a producer would:
// data while the view is not limited (sometimes one bust), then one END,
// with random pulls by the two consumers and pushes into x, comparing the
// view's Limited and the pool's accounting with the model after each step.
// Each side must get exactly its values, in order, and one END.
func TestPartitionMatchesModel(t *testing.T) {
	moreChecks()
	even := func(v int) bool { return v%2 == 0 }
	rapid.Check(t, func(t *rapid.T) {
		f := newFixture(t, 2)
		decl, err := logicalpool.Partition(f.lp, f.view, ip(f.declPool(0), "v0"), ip(f.declPool(1), "v1"), even)
		if err != nil {
			t.Fatal(err)
		}
		checkDecl(t, f, decl)
		vp, err := get[int](f.lp, f.view)
		if err != nil {
			t.Fatal(err)
		}
		f.intPends(t)
		ended, canBust := false, true
		var pushed, got [2][]int
		ends := [2]int{}
		side := func(v int) int {
			if even(v) {
				return 0
			}
			return 1
		}
		pull := func(t *rapid.T, i int) bool {
			pk, ok := f.pends[i].pull()
			want, wok := f.m.pull(i)
			if ok != wok || pk != want {
				t.Fatalf("viewee %d: Pull %v %v, model %v %v", i, pk, ok, want, wok)
			}
			switch {
			case !ok:
			case pk.Hint == hints.End:
				ends[i]++
			default:
				got[i] = append(got[i], pk.Value)
				canBust = true
			}
			return ok
		}
		actions := map[string]func(*rapid.T){
			"push": func(t *rapid.T) {
				if ended {
					t.Skip("ended")
				}
				if vp.Limited() {
					if !canBust || !rapid.Bool().Draw(t, "bust") {
						t.Skip("limited")
					}
					canBust = false
				}
				v := f.next()
				if err := vp.Push(data(v)); err != nil {
					t.Fatal(err)
				}
				f.m.push(side(v), data(v))
				pushed[side(v)] = append(pushed[side(v)], v)
			},
			"END": func(t *rapid.T) {
				if ended {
					t.Skip("ended")
				}
				if err := vp.Push(endPack()); err != nil {
					t.Fatal(err)
				}
				f.m.push(0, endPack())
				f.m.push(1, endPack())
				ended = true
			},
			"pull": func(t *rapid.T) { pull(t, rapid.IntRange(0, 1).Draw(t, "viewee")) },
			"": func(t *rapid.T) {
				f.checkPool(t)
				if got, want := vp.Limited(), f.m.limited(f.m.pends[0]) || f.m.limited(f.m.pends[1]); got != want {
					t.Fatalf("partition Limited %v, model %v", got, want)
				}
				if vp.Len() != 0 {
					t.Fatalf("partition Len %d, want 0", vp.Len())
				}
			},
		}
		f.otherActions(actions)
		t.Repeat(actions)
		if !ended {
			if err := vp.Push(endPack()); err != nil {
				t.Fatal(err)
			}
			f.m.push(0, endPack())
			f.m.push(1, endPack())
		}
		for i := range 2 {
			for pull(t, i) {
			}
			if ends[i] != 1 || !slices.Equal(got[i], pushed[i]) {
				t.Fatalf("viewee %d: got %v and %d ENDs, want %v and 1", i, got[i], ends[i], pushed[i])
			}
		}
		f.checkPool(t)
	})
}
