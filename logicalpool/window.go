package logicalpool

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// keyWindow is the open count window of one key: what [chip.SlidingWindow]
// keeps for the whole stream, kept per key.
type keyWindow[V any] struct {
	buf   []V // the oldest open window's values; capacity size
	skip  int // values to drop before the next window starts (step > size)
	fresh int // values in buf not yet pushed in any window
}

// add adds v and returns the window it fills, a new slice, if any.
func (w *keyWindow[V]) add(v V, size, step int) []V {
	if w.skip > 0 {
		w.skip--
		return nil
	}
	w.buf = append(w.buf, v)
	w.fresh++
	if len(w.buf) < size {
		return nil
	}
	out := append([]V(nil), w.buf...)
	n := len(w.buf)
	if step >= n {
		w.skip = step - n
		clear(w.buf)
		w.buf = w.buf[:0]
	} else {
		copy(w.buf, w.buf[step:])
		clear(w.buf[n-step:])
		w.buf = w.buf[:n-step]
	}
	w.fresh = 0
	return out
}

// winPartState is the state of a WindowByKey partition chip.
type winPartState[K comparable, V any] struct {
	m    map[K]*keyWindow[V] // the open window per key; nil once END has taken it
	out  []KV[K, []V]        // at END: the partial windows left to push
	vals int                 // values held in m, for Describe
}

// WindowByKey returns the chips that split the data values of prev by key
// (split gives each value's key and the value to keep) and gather, for
// each key on its own, windows of size consecutive values, a new window
// starting every step values of that key: [chip.SlidingWindow] per key,
// over parts.N parallel partitions. Each window is pushed to next as
// KV{key, values} as soon as its last value arrives (N:1), in order per
// key, in no particular order across keys. At END each key's oldest open
// window is pushed with what it has if it holds a value no window of that
// key held (so with step <= size every value is pushed at least once),
// keys in no particular order; then one END, after all partitions.
//
// The chips and views are those of the keyed operators (see [KV]): the chip
// key calls split and hashes the key, each partition is an async chip with
// its own map, and key.gather passes the merged stream on. Memory: the
// packs in flight are bounded by lp's inner pool; each partition holds, per
// distinct key it has seen, one map entry and at most size values, until
// END; the number of keys is not bounded (bound it upstream). One slice is
// allocated per window pushed and one buffer per key; nothing else per
// value beyond the map's growth. An error or panic in split fails the
// runlet as the chip key's. size and step must be at least 1, parts.N too,
// split not nil: a mistake is reported by the call, naming key.
func WindowByKey[In any, K comparable, V any](lp *pool.Pool, key string, prev *pool.Pend[In], next *pool.Pend[KV[K, []V]], parts Partitions, size, step int, split func(In) (K, V, error)) ([]chip.Chip, error) {
	var errs []error
	if split == nil {
		errs = append(errs, errors.New("nil split function"))
	}
	if size < 1 {
		errs = append(errs, fmt.Errorf("window size %d is below 1", size))
	}
	if step < 1 {
		errs = append(errs, fmt.Errorf("window step %d is below 1", step))
	}
	if parts.N < 1 {
		errs = append(errs, fmt.Errorf("%d partitions, want at least 1", parts.N))
	}
	if lp == nil {
		errs = append(errs, errors.New("nil logical pool"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("logicalpool: WindowByKey %q: %w", key, err)
	}
	n := parts.N
	ins, outs := make([]*pool.Pend[partPack[K, V]], n), make([]*pool.Pend[KV[K, []V]], n)
	for i := range n {
		ins[i] = pool.NewPend[partPack[K, V]](lp, key+".in"+strconv.Itoa(i)).Size(parts.Private, parts.Limit)
		outs[i] = pool.NewPend[KV[K, []V]](lp, key+".out"+strconv.Itoa(i)).Size(cmp.Or(parts.Private, partBatch), 0)
	}
	splitTo, err1 := LoadBalanceByKey(lp, key+".split", ins, func(p partPack[K, V]) uint64 { return p.hash })
	merge, err2 := Merge(lp, key+".merge", outs)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("logicalpool: WindowByKey %q: %w", key, err)
	}
	seed := maphash.MakeSeed()
	chips := make([]chip.Chip, 0, n+2)
	chips = append(chips, chip.Map(key, prev, splitTo, func(v In) (partPack[K, V], error) {
		k, x, err := split(v)
		if err != nil {
			return partPack[K, V]{}, err
		}
		return partPack[K, V]{key: k, val: x, hash: maphash.Comparable(seed, k)}, nil
	}))
	for i := range n {
		chips = append(chips, windowPartition(key+"."+strconv.Itoa(i), ins[i], outs[i], size, step))
	}
	chips = append(chips, chip.Map(key+".gather", merge, next, func(kv KV[K, []V]) (KV[K, []V], error) { return kv, nil }))
	return chips, nil
}

// windowPartition returns the async chip of one WindowByKey partition: it
// adds each value to its key's window and pushes the windows it fills, and
// at END pushes the partial windows (REDO runs on the END pack) and then
// the END.
func windowPartition[K comparable, V any](key string, prev *pool.Pend[partPack[K, V]], next *pool.Pend[KV[K, []V]], size, step int) chip.Chip {
	type out = hints.Pack[KV[K, []V]]
	return chip.New(chip.Config[partPack[K, V], KV[K, []V], winPartState[K, V]]{
		Key: key, Prev: prev, Next: next, Async: true, Concurrency: 1,
		State: func() winPartState[K, V] { return winPartState[K, V]{m: map[K]*keyWindow[V]{}} },
		Process: func(_ context.Context, in hints.Pack[partPack[K, V]], s *winPartState[K, V]) (out, error) {
			if in.Hint != hints.End {
				w := s.m[in.Value.key]
				if w == nil {
					w = &keyWindow[V]{buf: make([]V, 0, size)}
					s.m[in.Value.key] = w
				}
				before := len(w.buf)
				full := w.add(in.Value.val, size, step)
				s.vals += len(w.buf) - before
				if full == nil {
					return out{Hint: hints.Skip}, nil
				}
				return out{Value: KV[K, []V]{Key: in.Value.key, Value: full}}, nil
			}
			if s.m != nil { // the first call with the END: take the partial windows
				for k, w := range s.m {
					if w.fresh > 0 {
						s.out = append(s.out, KV[K, []V]{Key: k, Value: append([]V(nil), w.buf...)})
					}
				}
				s.m, s.vals = nil, 0
			}
			if len(s.out) == 0 {
				s.out = nil
				return out{Hint: hints.End}, nil
			}
			kv := s.out[len(s.out)-1]
			s.out = s.out[:len(s.out)-1]
			return out{Value: kv, Hint: hints.Redo}, nil // then called again with the END
		},
		Describe: func(s *winPartState[K, V]) string {
			if s.m == nil {
				return fmt.Sprintf("[%d windows left to push]", len(s.out))
			}
			return fmt.Sprintf("[%d keys, %d values in open windows of %d]", len(s.m), s.vals, size)
		},
	})
}
