package engine_test

import (
	"math"
	"testing"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
)

// takeEnds pulls ENDs from p until it is empty, through Pull or through
// Span and Drop, checking each is a plain END, and returns how many.
func takeEnds(t *testing.T, p *engine.Pend[int], span bool, max int) int {
	t.Helper()
	n := 0
	for ; n < max; n++ {
		var pk hints.Pack[int]
		if span {
			s := p.Span(8)
			if len(s) == 0 {
				break
			}
			if len(s) != 1 {
				t.Fatalf("Span gave %d packs at an END, want 1", len(s))
			}
			pk = s[0]
			p.Drop(1)
		} else {
			var ok bool
			if pk, ok = p.Pull(); !ok {
				break
			}
		}
		if pk.Hint != hints.End || pk.Count != 0 {
			t.Fatalf("END %d: got %v with count %d, want a plain END", n, pk, pk.Count)
		}
	}
	return n
}

// An END with a count is one queued pack; readers take one END from it at a
// time, through Pull and through Span/Drop, and Peek shows a plain END.
func TestEndCountIsOnePack(t *testing.T) {
	for _, span := range []bool{false, true} {
		p, _ := engine.Get[int](newCount("p", 4), "a")
		p.Push(hints.Data(1))
		p.Push(hints.EndOf[int](math.MaxInt32))
		if p.Len() != 2 || p.Size() != 2 {
			t.Fatalf("after data and EndOf(MaxInt32): Len %d, Size %d; want 2, 2", p.Len(), p.Size())
		}
		if s := p.Span(8); len(s) != 1 || s[0].Value != 1 {
			t.Fatalf("Span before the END = %v, want the data pack alone", s)
		}
		p.Pull()
		if pk, _ := p.Peek(); pk.Hint != hints.End || pk.Count != 0 {
			t.Errorf("Peek = %v count %d, want a plain END", pk, pk.Count)
		}
		if n := takeEnds(t, p, span, 1000); n != 1000 || p.Len() != 1 {
			t.Fatalf("span %v: took %d ENDs, Len %d; want 1000, 1", span, n, p.Len())
		}
		p2, _ := engine.Get[int](newCount("p", 4), "a")
		p2.Push(hints.EndOf[int](3))
		if n := takeEnds(t, p2, span, 10); n != 3 || p2.Len() != 0 || p2.Size() != 0 {
			t.Errorf("span %v: EndOf(3) gave %d ENDs, left Len %d, Size %d", span, n, p2.Len(), p2.Size())
		}
	}
}

// A pend with several producers queues one END, after the last producer's,
// carrying all their counts; an END given back with PushFront is queued at
// once.
func TestSetProducers(t *testing.T) {
	pl := newCount("p", 8)
	p, _ := engine.Get[int](pl, "a")
	p.Push(hints.EndOf[int](1)) // pushed before the producers were known
	pl.SetProducers("a", 3)
	if p.Len() != 0 {
		t.Fatalf("Len %d after SetProducers, want the END held back", p.Len())
	}
	p.Push(hints.Data(7))
	p.Push(hints.EndOf[int](2))
	if p.Len() != 1 {
		t.Fatalf("Len %d after a second END, want only the data", p.Len())
	}
	p.Push(hints.EndOf[int](1))
	if pk, _ := p.Pull(); pk.Value != 7 {
		t.Fatalf("first pack %v, want the data", pk)
	}
	if n := takeEnds(t, p, false, 10); n != 4 {
		t.Errorf("took %d ENDs, want 1+2+1", n)
	}
	p.PushFront(hints.EndOf[int](1))
	if p.Len() != 1 {
		t.Errorf("an END given back was held: Len %d", p.Len())
	}
}

// ShareProducers: a runlet that only feeds a pend from outside leaves alone
// the count another runlet's chips set, ENDs held back are kept when the
// count is said again, and Abandon forgets the count.
func TestShareProducers(t *testing.T) {
	pl := newCount("p", 8)
	p, _ := engine.Get[int](pl, "a")
	pl.ShareProducers("a", 2, 0)
	p.Push(hints.EndOf[int](1))
	pl.ShareProducers("a", 0, 1) // a reader's PendInput: no producer
	pl.ShareProducers("a", 2, 0) // said again: the held END stays
	if p.Len() != 0 {
		t.Fatalf("Len %d, want the first END held back", p.Len())
	}
	p.Push(hints.EndOf[int](1))
	if n := takeEnds(t, p, false, 10); n != 2 {
		t.Fatalf("took %d ENDs, want both producers' in one pack", n)
	}
	pl.Abandon("a")
	pl.Restore("a")
	pl.ShareProducers("a", 0, 1) // the count was forgotten: the input counts
	p.Push(hints.EndOf[int](1))
	if p.Len() != 1 {
		t.Errorf("Len %d after the input's END, want it queued", p.Len())
	}
}
