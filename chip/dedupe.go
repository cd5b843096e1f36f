package chip

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// Memory is the bound on what a [Distinct] or [DistinctBy] chip remembers:
// either the n most recently seen keys ([LRU]) or the keys let through in
// the last d ([TTL]). There is no unbounded kind. A Memory is a small plain
// value, safe to copy and share.
//
// The zero Memory is no bound at all: Attach refuses it, naming the chip.
type Memory struct {
	n   int           // LRU: the most keys kept; 0 for TTL
	ttl time.Duration // TTL: how long a key is kept; 0 for LRU
	lru bool          // which of the two; false with ttl 0 is the zero Memory
}

// LRU returns a Memory of the n keys seen most recently: a key whose value
// comes again, passed or dropped, becomes the most recent, and a new key
// past n forgets the least recent one, whose next value then passes again.
// n must be at least 1 (Attach reports otherwise).
func LRU(n int) Memory { return Memory{n: n, lru: true} }

// TTL returns a Memory of the keys let through in the last d: a value whose
// key passed less than d ago is dropped, and once d has passed since the key
// last passed, its next value passes again (a dropped duplicate does not
// extend the time). Time comes from the time package (fake under
// testing/synctest). d must be positive (Attach reports otherwise).
func TTL(d time.Duration) Memory { return Memory{ttl: d} }

// String describes m as LRU(n) or TTL(d).
func (m Memory) String() string {
	switch {
	case m.lru:
		return fmt.Sprintf("LRU(%d)", m.n)
	case m.ttl != 0:
		return fmt.Sprintf("TTL(%v)", m.ttl)
	}
	return "no memory"
}

// check reports a Memory that bounds nothing.
func (m Memory) check() error {
	switch {
	case m.lru && m.n < 1:
		return fmt.Errorf("distinct memory LRU(%d) is below 1 key", m.n)
	case m.lru:
		return nil
	case m.ttl < 0:
		return fmt.Errorf("distinct memory TTL(%v) is negative", m.ttl)
	case m.ttl == 0:
		return errors.New("distinct memory is not set: use chip.LRU(n) or chip.TTL(d)")
	}
	return nil
}

// keyEntry is one remembered key of a distinct set, linked to its
// neighbours by index into the set's entries.
type keyEntry[K comparable] struct {
	key        K
	at         time.Time // TTL: when the key passed
	prev, next int32     // LRU: toward the most and the least recent; -1 at the ends
}

// keySet is the memory of a Distinct chip, the entries of one of two kinds:
//
//   - LRU: a doubly linked list through entries, most recent at head. Once
//     n entries exist, a new key takes over the tail's entry (and its map
//     slot is deleted), so the slice never grows past n.
//   - TTL: a ring of entries in the order the keys passed, which is also the
//     order they expire in, so expiry pops from the front. The ring doubles
//     when full and never shrinks.
//
// index maps each remembered key to its entry.
type keySet[K comparable] struct {
	mem     Memory
	index   map[K]int32
	entries []keyEntry[K]
	head    int32 // LRU: the most recent; TTL: the oldest (the ring's front)
	tail    int32 // LRU: the least recent
	count   int   // TTL: entries in the ring
}

// seen reports whether k is remembered, and remembers it.
func (s *keySet[K]) seen(k K) bool {
	if s.index == nil {
		s.index = make(map[K]int32, min(s.mem.n, 1024))
		s.head, s.tail = -1, -1
	}
	if s.mem.lru {
		return s.seenLRU(k)
	}
	return s.seenTTL(k, time.Now())
}

func (s *keySet[K]) seenLRU(k K) bool {
	if i, ok := s.index[k]; ok {
		s.unlink(i)
		s.pushFront(i)
		return true
	}
	var i int32
	if len(s.entries) < s.mem.n {
		s.entries = appendBounded(s.entries, keyEntry[K]{}, s.mem.n)
		i = int32(len(s.entries) - 1)
	} else { // full: the least recent's entry is reused
		i = s.tail
		s.unlink(i)
		delete(s.index, s.entries[i].key)
	}
	s.entries[i].key = k
	s.index[k] = i
	s.pushFront(i)
	return false
}

func (s *keySet[K]) unlink(i int32) {
	e := &s.entries[i]
	if e.prev >= 0 {
		s.entries[e.prev].next = e.next
	} else {
		s.head = e.next
	}
	if e.next >= 0 {
		s.entries[e.next].prev = e.prev
	} else {
		s.tail = e.prev
	}
}

func (s *keySet[K]) pushFront(i int32) {
	e := &s.entries[i]
	e.prev, e.next = -1, s.head
	if s.head >= 0 {
		s.entries[s.head].prev = i
	} else {
		s.tail = i
	}
	s.head = i
}

func (s *keySet[K]) seenTTL(k K, now time.Time) bool {
	// Forget what has expired: the front of the ring passed first.
	for s.count > 0 && now.Sub(s.entries[s.head].at) >= s.mem.ttl {
		e := &s.entries[s.head]
		delete(s.index, e.key)
		*e = keyEntry[K]{}
		s.head = (s.head + 1) % int32(len(s.entries))
		s.count--
	}
	if _, ok := s.index[k]; ok {
		return true
	}
	if s.count == len(s.entries) {
		s.grow()
	}
	i := (s.head + int32(s.count)) % int32(len(s.entries))
	s.entries[i] = keyEntry[K]{key: k, at: now}
	s.index[k] = i
	s.count++
	return false
}

// grow doubles the TTL ring, moving its entries to the front in order.
func (s *keySet[K]) grow() {
	ring := make([]keyEntry[K], max(2*len(s.entries), 16))
	for j := range s.count {
		ring[j] = s.entries[(int(s.head)+j)%len(s.entries)]
		s.index[ring[j].key] = int32(j)
	}
	s.entries, s.head = ring, 0
}

// size is the number of keys remembered.
func (s *keySet[K]) size() int { return len(s.index) }

// distinctState is the state of a Distinct chip.
type distinctState[K comparable] struct {
	set    keySet[K]
	passed int // values let through
}

// Distinct returns a sync chip that pushes each data value whose value it
// does not remember and drops the others (N:1, through SKIP), with END passed
// through; it is [DistinctBy] with the value as its own key.
func Distinct[T comparable](key string, prev, next *pool.Pend[T], mem Memory) *Func[T, T, distinctState[T]] {
	return DistinctBy(key, prev, next, mem, func(v T) (T, error) { return v, nil })
}

// DistinctBy returns a sync chip that pushes each data value whose key,
// keyOf(v), it does not remember, drops the others (N:1, through SKIP), and
// passes END through. What it remembers is bounded by mem, which the caller
// must choose: [LRU] of n keys or [TTL] of d per key (Attach refuses the zero
// Memory). "Distinct" is therefore exact only while the keys fit the memory:
// a key forgotten (evicted from the LRU, expired from the TTL) passes again.
//
// Memory: the LRU holds at most n keys; the TTL holds the keys that passed in
// the last d, however many that is (it forgets expired keys as values
// arrive, not while idle). Allocation: the LRU allocates while it fills (its
// entries double up to n, and the map grows), and nothing per value once
// full: the evicted key's entry and map slot are reused. The TTL allocates
// when its ring of entries outgrows its size (it doubles and never shrinks),
// and nothing per value otherwise. Keys that hold pointers (strings, slices
// in structs) keep what they point to alive while remembered.
//
// An error from keyOf fails the runlet, naming the chip; a nil keyOf is
// reported by Attach. keyOf runs on the scheduler's goroutine, one call at a
// time, and must not block. Describe
// shows the number of keys remembered.
func DistinctBy[T any, K comparable](key string, prev, next *pool.Pend[T], mem Memory, keyOf func(T) (K, error)) *Func[T, T, distinctState[K]] {
	c := Config[T, T, distinctState[K]]{
		Key: key, Prev: prev, Next: next,
		State: func() distinctState[K] { return distinctState[K]{set: keySet[K]{mem: mem}} },
		Describe: func(s *distinctState[K]) string {
			if mem.lru {
				return fmt.Sprintf("[distinct %d of %d keys, %d passed]", s.set.size(), mem.n, s.passed)
			}
			return fmt.Sprintf("[distinct %d keys within %v, %d passed]", s.set.size(), mem.ttl, s.passed)
		},
	}
	if keyOf != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], s *distinctState[K]) (hints.Pack[T], error) {
			if in.Hint == hints.End {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			k, err := keyOf(in.Value)
			if err != nil {
				return hints.Pack[T]{}, err
			}
			if s.set.seen(k) {
				return hints.Pack[T]{Hint: hints.Skip}, nil
			}
			s.passed++
			return hints.Pack[T]{Value: in.Value}, nil
		}
	}
	f := New(c)
	f.check = mem.check
	return f
}

// consecutiveState is the state of a DedupeConsecutive chip: the key of the
// last data value.
type consecutiveState[K comparable] struct {
	last K
	has  bool
}

// DedupeConsecutive returns a sync chip that drops each data value equal to
// the one before it (N:1, through SKIP) and passes END through: runs of equal
// values become one. It is [DedupeConsecutiveBy] with the value as its own
// key.
func DedupeConsecutive[T comparable](key string, prev, next *pool.Pend[T]) *Func[T, T, consecutiveState[T]] {
	return DedupeConsecutiveBy(key, prev, next, func(v T) (T, error) { return v, nil })
}

// DedupeConsecutiveBy returns a sync chip that drops each data value whose
// key, keyOf(v), equals the key of the value before it, passed or dropped
// (N:1, through SKIP), and passes END through: of each run of values with
// one key, the first is pushed. It holds one key and allocates nothing. An
// error from keyOf fails the runlet, naming the chip. keyOf runs on the
// scheduler's goroutine, one call at a time, and must not block.
func DedupeConsecutiveBy[T any, K comparable](key string, prev, next *pool.Pend[T], keyOf func(T) (K, error)) *Func[T, T, consecutiveState[K]] {
	c := Config[T, T, consecutiveState[K]]{Key: key, Prev: prev, Next: next}
	if keyOf != nil {
		c.Process = func(_ context.Context, in hints.Pack[T], s *consecutiveState[K]) (hints.Pack[T], error) {
			if in.Hint == hints.End {
				return hints.Pack[T]{Hint: hints.End}, nil
			}
			k, err := keyOf(in.Value)
			if err != nil {
				return hints.Pack[T]{}, err
			}
			if s.has && k == s.last {
				return hints.Pack[T]{Hint: hints.Skip}, nil
			}
			s.last, s.has = k, true
			return hints.Pack[T]{Value: in.Value}, nil
		}
	}
	return New(c)
}
