package chip

import (
	"testing"
	"time"
)

// In steady state neither memory allocates per value: the LRU reuses the
// evicted entry, the TTL ring its expired slots (and Go's map its deleted
// slots).
func TestKeySetAllocatesNothingInSteadyState(t *testing.T) {
	for _, mem := range []Memory{LRU(100), TTL(100 * time.Millisecond)} {
		s := keySet[int]{mem: mem}
		now := time.Unix(0, 0)
		k := 0
		step := func() {
			for range 1000 {
				k++ // every key new: each value evicts or expires one
				now = now.Add(time.Millisecond)
				var seen bool
				if mem.lru {
					if s.index == nil {
						s.seen(k)
						continue
					}
					seen = s.seenLRU(k)
				} else {
					if s.index == nil {
						s.index, s.head, s.tail = map[int]int32{}, -1, -1
					}
					seen = s.seenTTL(k, now)
				}
				if seen {
					t.Fatalf("%v: new key %d seen", mem, k)
				}
			}
		}
		step() // fill
		if allocs := testing.AllocsPerRun(20, step); allocs != 0 {
			t.Errorf("%v: %v allocations per 1000 values, want 0", mem, allocs)
		}
		if s.size() != 100 {
			t.Errorf("%v: %d keys remembered, want 100", mem, s.size())
		}
	}
}
