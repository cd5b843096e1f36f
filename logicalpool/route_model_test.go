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
