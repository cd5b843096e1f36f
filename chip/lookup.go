package chip

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// Looked is what a [Lookup] pushes for each value: the value, the data its
// key was looked up to, and whether the key was found. A missing key gives
// Found false and the zero Data; the value is kept, so nothing is dropped.
//
// A Looked is a plain value, safe to copy; the zero value is a zero value
// not found.
type Looked[T, V any] struct {
	Value T
	Data  V
	Found bool
}

// String returns "value→data", or "value→?" when the key was not found.
func (l Looked[T, V]) String() string {
	if !l.Found {
		return fmt.Sprintf("%v→?", l.Value)
	}
	return fmt.Sprintf("%v→%v", l.Value, l.Data)
}

// LookupConfig describes a [Lookup]. The zero value is refused (no pends,
// functions or batch size); Concurrency 0 means 1.
type LookupConfig[T any, K comparable, V any] struct {
	// Key names the lookup; its chips are Key+".batch", Key (the one that
	// calls Bulk) and Key+".unbatch", its inner pends Key+".keys" and
	// Key+".rows", declared in Prev's pool.
	Key string
	// Prev holds the values to look up; Next gets one Looked per value, in
	// input order, then one END.
	Prev *pool.Pend[T]
	Next *pool.Pend[Looked[T, V]]
	// KeyOf gives a value's key. It runs on the lookup's worker goroutines,
	// up to Concurrency at once, so it must be safe for concurrent use.
	KeyOf func(T) K
	// Bulk looks up a batch's keys, each once, in the order their values
	// first came, and returns the data of those found. Keys missing from
	// the map are not found (see [Looked]). It runs on up to Concurrency
	// goroutines at once, each call with a ctx cancelled when the runlet
	// stops. An error fails the runlet as the chip Key's.
	Bulk func(ctx context.Context, keys []K) (map[K]V, error)
	// BatchSize is the most values per Bulk call (at least 1). MaxWait,
	// when above 0, flushes a partial batch that long after its first
	// value came (time from the time package: fake under synctest).
	BatchSize int
	MaxWait   time.Duration
	// Concurrency is the most Bulk calls in flight (0: 1).
	Concurrency int
}

// Lookup returns the chips of a batched, asynchronous lookup: it gathers
// the values of c.Prev into batches of c.BatchSize (or fewer once c.MaxWait
// has passed, or at END), makes one c.Bulk call per batch with the batch's
// distinct keys, up to c.Concurrency calls in flight, and pushes each value
// with its data to c.Next as a [Looked], in input order, then one END (1:1).
// A key Bulk does not return gives Found false: filter those out, or fail on
// them, downstream.
//
// Lookup is three chips, a [Batch], an async chip calling Bulk with
// Ordered set, as [OrderedMap] does, and an [Unbatch], rather than one:
// an async chip's worker gets its packs one Process call each, so a call
// over many values needs them gathered into one pack first; Ordered then
// keeps the batches in input order and Unbatch the values within each.
// Add all three to the runlet together.
//
// Memory: per batch, the batch's slice, its keys, a set of its distinct
// keys and the slice of results (the allocations it makes, besides Bulk's
// map); the packs in flight are bounded by the pool like any others, and
// each pack of the inner pends is a whole batch, so the pool holds up to
// its limit times BatchSize values there. Ordered keeps finished batches
// that wait for an earlier one; they count against the pool too.
//
// Errors: an error or panic from KeyOf or Bulk fails the runlet as an error
// of the chip Key (a panic as a [PanicError]); values already pushed are
// not taken back and no END follows them. A nil function is reported by
// Attach, as are a BatchSize below 1 (on Key+".batch") and a negative
// Concurrency.
func Lookup[T any, K comparable, V any](c LookupConfig[T, K, V]) []Chip {
	var p *pool.Pool // nil, when neither pend is given, for Attach to report
	if c.Prev != nil {
		p = c.Prev.Pool()
	} else if c.Next != nil {
		p = c.Next.Pool()
	}
	keys := pool.NewPend[[]T](p, c.Key+".keys")
	rows := pool.NewPend[[]Looked[T, V]](p, c.Key+".rows")
	bulk := New(Config[[]T, []Looked[T, V], struct{}]{
		Key: c.Key, Prev: keys, Next: rows,
		Async: true, Concurrency: max(c.Concurrency, 1), Ordered: true,
		Process: func(ctx context.Context, in hints.Pack[[]T], _ *struct{}) (hints.Pack[[]Looked[T, V]], error) {
			if in.Hint == hints.End {
				return hints.Pack[[]Looked[T, V]]{Hint: hints.End}, nil
			}
			out, err := lookupBatch(ctx, c.KeyOf, c.Bulk, in.Value)
			return hints.Pack[[]Looked[T, V]]{Value: out}, err
		},
	})
	refuse(bulk, nilArg("KeyOf", c.KeyOf == nil), nilArg("Bulk", c.Bulk == nil))
	if c.Concurrency < 0 {
		prev := bulk.check
		bulk.check = func() error {
			err := fmt.Errorf("lookup concurrency %d is below 0", c.Concurrency)
			if prev != nil {
				return errors.Join(prev(), err)
			}
			return err
		}
	}
	return []Chip{
		Batch(c.Key+".batch", c.Prev, keys, c.BatchSize, c.MaxWait),
		bulk,
		Unbatch(c.Key+".unbatch", rows, c.Next),
	}
}

// lookupBatch looks up the keys of batch with one call of bulk and returns
// each value with its data, in order.
func lookupBatch[T any, K comparable, V any](ctx context.Context, keyOf func(T) K, bulk func(context.Context, []K) (map[K]V, error), batch []T) ([]Looked[T, V], error) {
	ks := make([]K, len(batch))
	seen := make(map[K]struct{}, len(batch))
	distinct := make([]K, 0, len(batch))
	for i, v := range batch {
		k := keyOf(v)
		ks[i] = k
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			distinct = append(distinct, k)
		}
	}
	found, err := bulk(ctx, distinct)
	if err != nil {
		return nil, fmt.Errorf("lookup of %d keys: %w", len(distinct), err)
	}
	out := make([]Looked[T, V], len(batch))
	for i, v := range batch {
		d, ok := found[ks[i]]
		out[i] = Looked[T, V]{Value: v, Data: d, Found: ok}
	}
	return out, nil
}
