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

// KV is one key and what a keyed operator ([CountBy], [SumBy], [MapReduce],
// [ReduceByKey]) aggregated for it. A KV is a plain value, safe to copy; the
// zero value is the zero key with the zero aggregate.
//
// The keyed operators group a stream by key over parts.N parallel partitions. Each
// is several chips and two views of the logical pool lp, all named after key:
//
//	prev -> [key] -> view key.split -> key.in0 .. key.in<n-1>            (LoadBalanceByKey)
//	     -> [key.0] .. [key.<n-1>] -> key.out0 .. key.out<n-1>            (async, one map each)
//	     -> view key.merge -> [key.gather] -> next                        (Merge)
//
// The chip key (sync) calls the user's map or key function once per value
// and hashes the key; the view sends equal keys to the same partition. Each
// partition chip is async (Concurrency 1), so the n partitions run on n
// goroutines; it updates its own map, one entry per distinct key it sees,
// with no lock and no allocation per value beyond the map's growth. At END
// each partition pushes its entries as [KV] values (REDO runs on the END
// pack), the merge view reads the partitions as one stream with one END
// after all of them, and the chip key.gather passes that stream on to next:
// next gets every key exactly once and then exactly one END.
//
// They share one contract, which each doc comment repeats in short:
//
//   - The ratio is N:1: nothing is pushed to next before END, then one KV
//     per distinct key, in no particular order (sort it, or use
//     [chip.TopK]), then the END.
//   - Memory: the packs in flight are bounded by lp's inner pool like any
//     others: the 2n internal pends share its budget, and each partition's
//     output pend reserves a private size in it ([Partitions]: Private, or
//     64 when that is 0), so the pool holds at most max(its limit, the sum
//     of its private sizes) plus the slack "Accounting" in package pool
//     describes. The maps are not bounded: they hold one entry per
//     distinct key, each key in one partition only, until END. A stream
//     with an unbounded key space needs its keys bounded upstream (a Map
//     that buckets them).
//   - Errors: an error or panic in the user's map or key function fails the
//     runlet as an error of the chip key; in a reduce function, of the
//     partition chip (key.0, key.1, ...). Run returns it wrapped with that
//     chip's key; KVs already pushed to next are not taken back, and no END
//     follows them.
//   - The returned chips are a set: add all of them to the runlet together
//     with lp and its inner pool. Each call defines two views in lp, so a
//     key can be used once per logical pool (a second call reports it).
//   - parts.N must be at least 1, the functions not nil; each call reports
//     a mistake as an error naming key.
//
// KV is chip.KV (an alias), the type chip.RunningCountBy pushes too;
// String returns "key=value".
type KV[K comparable, V any] = chip.KV[K, V]

// Partitions says how a keyed operator splits its work: N partitions (at
// least 1), each an async chip with its own map, reading an input pend of
// the logical pool's inner pool with the given private size and limit (0:
// none, so it shares the pool's budget with everything else). A Partitions
// is a plain value; the zero value has no partition, which the operators
// refuse.
//
// Private also sizes each partition's output pend (64 when Private is 0),
// which holds nothing until END but sets how many values a partition takes
// at a time: an async chip hands its worker a batch only as large as the
// room left in its next pend (one output per input, as for any chip), and a
// full pool leaves a pend without a private size room for one. A private
// size of a few hundred on both pends lets each partition take long
// batches, which matters with cheap updates (a count per key costs less
// than handing a batch to the partition's goroutine).
type Partitions struct {
	N              int
	Private, Limit int
}

// partBatch is the private size of a partition's output pend when
// [Partitions] gives none: batches of up to 64 values, enough that handing
// a batch to the partition's goroutine costs a few percent of a cheap
// update's work.
const partBatch = 64

// Number is what [SumBy] adds up: chip.Number (an alias), any integer or
// floating-point type.
type Number = chip.Number

// partPack is what the chip key pushes to a partition: the key, the value
// for it, and the key's hash, computed once, which picks the partition.
type partPack[K comparable, V any] struct {
	key  K
	val  V
	hash uint64
}

// partState is the state of a partition chip.
type partState[K comparable, A any] struct {
	m   map[K]A    // the aggregate per key; nil once END has taken it
	out []KV[K, A] // at END: the entries left to push
}

// CountBy returns the chips that count the data values of prev per key
// (keyOf(v)) over parts.N parallel partitions, and push one KV{key, count} per
// distinct key to next at END, then one END. See the keyed operators'
// contract above: N:1; memory one map entry per distinct key; an error or
// panic in keyOf fails the runlet as the chip key's.
func CountBy[In any, K comparable](lp *pool.Pool, key string, prev *pool.Pend[In], next *pool.Pend[KV[K, int]], parts Partitions, keyOf func(In) (K, error)) ([]chip.Chip, error) {
	if keyOf == nil {
		return nil, fmt.Errorf("logicalpool: CountBy %q: nil key function", key)
	}
	split := func(v In) (K, struct{}, error) {
		k, err := keyOf(v)
		return k, struct{}{}, err
	}
	count := func(m map[K]int, k K, _ struct{}) error {
		m[k]++
		return nil
	}
	return keyed(lp, "CountBy", key, prev, next, parts, split, count)
}

// SumBy returns the chips that add up, per key, the numbers f gives for the
// data values of prev, over parts.N parallel partitions, and push one KV{key, sum}
// per distinct key to next at END, then one END. See the keyed operators'
// contract above: N:1; memory one map entry per distinct key; an error or
// panic in f fails the runlet as the chip key's.
func SumBy[In any, K comparable, N Number](lp *pool.Pool, key string, prev *pool.Pend[In], next *pool.Pend[KV[K, N]], parts Partitions, f func(In) (K, N, error)) ([]chip.Chip, error) {
	if f == nil {
		return nil, fmt.Errorf("logicalpool: SumBy %q: nil function", key)
	}
	add := func(m map[K]N, k K, v N) error {
		m[k] += v
		return nil
	}
	return keyed(lp, "SumBy", key, prev, next, parts, f, add)
}

// MapReduce returns the chips that map each data value of prev to a key and
// a value with mapf, reduce the values of each key with reduce over n
// parallel partitions (the first value of a key is its initial accumulator;
// reduce is not called for it), and push one KV{key, result} per distinct
// key to next at END, then one END: rill's MapReduce, as chips. See the
// keyed operators' contract above: N:1; memory one map entry per distinct
// key; an error or panic in mapf fails the runlet as the chip key's, in
// reduce as the partition chip's (key.0, key.1, ...). reduce runs on the
// partition's goroutine, one call at a time per partition.
func MapReduce[In any, K comparable, V any](lp *pool.Pool, key string, prev *pool.Pend[In], next *pool.Pend[KV[K, V]], parts Partitions, mapf func(In) (K, V, error), reduce func(acc, v V) (V, error)) ([]chip.Chip, error) {
	if mapf == nil || reduce == nil {
		return nil, fmt.Errorf("logicalpool: MapReduce %q: nil map or reduce function", key)
	}
	return keyed(lp, "MapReduce", key, prev, next, parts, mapf, reducer[K](reduce))
}

// ReduceByKey is [MapReduce] over a stream that is already keyed: it reduces
// the values of the KVs of prev per key with reduce, over n parallel
// partitions, and pushes one KV{key, result} per distinct key to next at
// END, then one END. See [KV] for the contract: N:1; memory
// one map entry per distinct key; an error or panic in reduce fails the
// runlet as the partition chip's (key.0, key.1, ...).
func ReduceByKey[K comparable, V any](lp *pool.Pool, key string, prev, next *pool.Pend[KV[K, V]], parts Partitions, reduce func(acc, v V) (V, error)) ([]chip.Chip, error) {
	if reduce == nil {
		return nil, fmt.Errorf("logicalpool: ReduceByKey %q: nil reduce function", key)
	}
	split := func(kv KV[K, V]) (K, V, error) { return kv.Key, kv.Value, nil }
	return keyed(lp, "ReduceByKey", key, prev, next, parts, split, reducer[K](reduce))
}

// reducer is the partition update of MapReduce and ReduceByKey.
func reducer[K comparable, V any](reduce func(acc, v V) (V, error)) func(map[K]V, K, V) error {
	return func(m map[K]V, k K, v V) error {
		acc, ok := m[k]
		if !ok {
			m[k] = v
			return nil
		}
		acc, err := reduce(acc, v)
		if err != nil {
			return err
		}
		m[k] = acc
		return nil
	}
}

// keyed builds a keyed operator (see the contract above the operators): the
// chip key applies split to each value of prev, n partition chips apply add
// to their maps, and the chip key.gather pushes the merged entries to next.
func keyed[In any, K comparable, V, A any](lp *pool.Pool, op, key string, prev *pool.Pend[In], next *pool.Pend[KV[K, A]], parts Partitions,
	split func(In) (K, V, error), add func(m map[K]A, k K, v V) error) ([]chip.Chip, error) {
	n := parts.N
	if n < 1 {
		return nil, fmt.Errorf("logicalpool: %s %q: %d partitions, want at least 1", op, key, n)
	}
	if lp == nil {
		return nil, fmt.Errorf("logicalpool: %s %q: nil logical pool", op, key)
	}
	ins, outs := make([]*pool.Pend[partPack[K, V]], n), make([]*pool.Pend[KV[K, A]], n)
	for i := range n {
		ins[i] = pool.NewPend[partPack[K, V]](lp, key+".in"+strconv.Itoa(i)).Size(parts.Private, parts.Limit)
		outs[i] = pool.NewPend[KV[K, A]](lp, key+".out"+strconv.Itoa(i)).Size(cmp.Or(parts.Private, partBatch), 0)
	}
	byHash := func(p partPack[K, V]) uint64 { return p.hash }
	splitTo, err1 := LoadBalanceByKey(lp, key+".split", ins, byHash)
	merge, err2 := Merge(lp, key+".merge", outs)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("logicalpool: %s %q: %w", op, key, err)
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
		chips = append(chips, partition(key+"."+strconv.Itoa(i), ins[i], outs[i], add))
	}
	chips = append(chips, chip.Map(key+".gather", merge, next, func(kv KV[K, A]) (KV[K, A], error) { return kv, nil }))
	return chips, nil
}

// partition returns the async chip of one partition: it applies add to its
// map for each value, and at END pushes the map's entries (REDO runs on the
// END pack) and then the END.
func partition[K comparable, V, A any](key string, prev *pool.Pend[partPack[K, V]], next *pool.Pend[KV[K, A]], add func(m map[K]A, k K, v V) error) chip.Chip {
	return chip.New(chip.Config[partPack[K, V], KV[K, A], partState[K, A]]{
		Key: key, Prev: prev, Next: next, Async: true, Concurrency: 1,
		State: func() partState[K, A] { return partState[K, A]{m: map[K]A{}} },
		Process: func(_ context.Context, in hints.Pack[partPack[K, V]], s *partState[K, A]) (hints.Pack[KV[K, A]], error) {
			if in.Hint != hints.End {
				if err := add(s.m, in.Value.key, in.Value.val); err != nil {
					return hints.Pack[KV[K, A]]{}, err
				}
				return hints.Pack[KV[K, A]]{Hint: hints.Skip}, nil
			}
			if s.m != nil { // the first call with the END: take the entries
				s.out = make([]KV[K, A], 0, len(s.m))
				for k, a := range s.m {
					s.out = append(s.out, KV[K, A]{Key: k, Value: a})
				}
				s.m = nil
			}
			if len(s.out) == 0 {
				s.out = nil
				return hints.Pack[KV[K, A]]{Hint: hints.End}, nil
			}
			kv := s.out[len(s.out)-1]
			s.out = s.out[:len(s.out)-1]
			return hints.Pack[KV[K, A]]{Value: kv, Hint: hints.Redo}, nil // then called again with the END
		},
		Describe: func(s *partState[K, A]) string {
			if s.m == nil {
				return fmt.Sprintf("[%d keys left to push]", len(s.out))
			}
			return fmt.Sprintf("[%d keys]", len(s.m))
		},
	})
}
