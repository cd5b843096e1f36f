package chip_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// fakeDB is a bulk lookup that counts its calls: key k has data "d<k>"
// unless k is a multiple of 7 (missing). Each call sleeps a fake while that
// shrinks with the call number, so that later batches finish first.
type fakeDB struct {
	mu              sync.Mutex
	calls           [][]int         // the keys of each call, in call order
	at              []time.Duration // when each call came, since start
	start           time.Time
	inFlight, most  int
	sleep           bool
	failAt, panicAt int // the call (1-based) that fails or panics; 0: none
}

var errDB = errors.New("db down")

func (db *fakeDB) bulk(ctx context.Context, keys []int) (map[int]string, error) {
	db.mu.Lock()
	db.calls = append(db.calls, append([]int(nil), keys...))
	db.at = append(db.at, time.Since(db.start))
	n := len(db.calls)
	db.inFlight++
	db.most = max(db.most, db.inFlight)
	db.mu.Unlock()
	defer func() {
		db.mu.Lock()
		db.inFlight--
		db.mu.Unlock()
	}()
	if db.sleep {
		time.Sleep(time.Duration(100-n) * time.Millisecond)
	}
	switch n {
	case db.failAt:
		return nil, errDB
	case db.panicAt:
		panic("db exploded")
	}
	out := map[int]string{}
	for _, k := range keys {
		if k%7 != 0 {
			out[k] = fmt.Sprint("d", k)
		}
	}
	return out, nil
}

// lookupRun runs values through a Lookup (key "look", key = value/keyDiv)
// and returns what came out, the ENDs, and Run's error.
func lookupRun(t *testing.T, limit int, values []int, db *fakeDB, batch, conc int, keyDiv int) ([]chip.Looked[int, string], int, error) {
	p := pool.New("store", limit)
	in, out := pool.NewPend[int](p, "in"), pool.NewPend[chip.Looked[int, string]](p, "out")
	chips := chip.Lookup(chip.LookupConfig[int, int, string]{
		Key: "look", Prev: in, Next: out,
		KeyOf: func(v int) int { return v / keyDiv },
		Bulk:  db.bulk, BatchSize: batch, Concurrency: conc,
	})
	require.Len(t, chips, 3)
	var got []chip.Looked[int, string]
	ends := 0
	sink := chip.New(chip.Config[chip.Looked[int, string], struct{}, struct{}]{
		Key: "sink", Prev: out,
		Process: func(_ context.Context, in hints.Pack[chip.Looked[int, string]], _ *struct{}) (hints.Pack[struct{}], error) {
			if in.Hint == hints.End {
				ends++
				return hints.EndOf[struct{}](1), nil
			}
			got = append(got, in.Value)
			return hints.SkipOf[struct{}](), nil
		},
	})
	chips = append(chips, chip.FromSlice("src", in, values), sink)
	db.start = time.Now()
	err := runlet.Run(context.Background(), chips...)
	return got, ends, err
}

// want is what a Lookup of values with key v/keyDiv must push, in order.
func wantLooked(values []int, keyDiv int) []chip.Looked[int, string] {
	out := make([]chip.Looked[int, string], len(values))
	for i, v := range values {
		k := v / keyDiv
		out[i] = chip.Looked[int, string]{Value: v}
		if k%7 != 0 {
			out[i].Data, out[i].Found = fmt.Sprint("d", k), true
		}
	}
	return out
}

// N values arriving at once make ceil(N/batchSize) bulk calls, up to 4 in
// flight, the later ones finishing first; output keeps input order, and
// missing keys come out with Found false. Also at a pool limit of 1.
func TestLookupBatchesAndKeepsOrder(t *testing.T) {
	for _, limit := range []int{1, 64} {
		synctest.Test(t, func(t *testing.T) {
			values := make([]int, 103)
			for i := range values {
				values[i] = i + 1
			}
			db := &fakeDB{sleep: true}
			got, ends, err := lookupRun(t, limit, values, db, 10, 4, 1)
			require.NoError(t, err)
			assert.Equal(t, 1, ends)
			assert.Equal(t, wantLooked(values, 1), got, "limit %d", limit)
			assert.Len(t, db.calls, 11, "ceil(103/10) calls")
			seen := 0
			for _, ks := range db.calls {
				assert.LessOrEqual(t, len(ks), 10)
				seen += len(ks)
			}
			assert.Equal(t, 103, seen, "every key looked up once")
			assert.LessOrEqual(t, db.most, 4, "at most Concurrency calls in flight")
			if limit == 64 {
				assert.GreaterOrEqual(t, db.most, 2, "calls overlap")
			}
		})
	}
}

// Repeated keys in a batch are looked up once, in first-seen order, and
// every value gets the data of its key.
func TestLookupDistinctKeys(t *testing.T) {
	values := []int{10, 11, 20, 12, 21, 30, 70, 71}
	db := &fakeDB{}
	got, _, err := lookupRun(t, 64, values, db, 8, 1, 10) // keys 1 1 2 1 2 3 7 7
	require.NoError(t, err)
	assert.Equal(t, [][]int{{1, 2, 3, 7}}, db.calls)
	assert.Equal(t, wantLooked(values, 10), got)
	assert.Equal(t, "70→?", got[6].String())
	assert.Equal(t, "10→d1", got[0].String())
}

// An empty input makes no call and passes the END.
func TestLookupEmpty(t *testing.T) {
	db := &fakeDB{}
	got, ends, err := lookupRun(t, 4, nil, db, 8, 2, 1)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, 1, ends)
	assert.Empty(t, db.calls)
}

// maxWait flushes a partial batch: values that trickle in are looked up
// maxWait after the first of each batch, not when the batch is full.
func TestLookupMaxWaitFlushes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New("store", 8)
		in, out := pool.NewPend[int](p, "in"), pool.NewPend[chip.Looked[int, string]](p, "out")
		db := &fakeDB{start: time.Now()}
		var got []chip.Looked[int, string]
		chips := append(chip.Lookup(chip.LookupConfig[int, int, string]{
			Key: "look", Prev: in, Next: out, KeyOf: func(v int) int { return v },
			Bulk: db.bulk, BatchSize: 100, MaxWait: time.Second, Concurrency: 2,
		}),
			chip.Generate("src", in, func(ctx context.Context, yield func(int) bool) error {
				for v := 1; v <= 5; v++ {
					if v == 4 {
						time.Sleep(time.Hour)
					}
					if !yield(v) {
						return nil
					}
				}
				return nil
			}),
			chip.Collect("sink", out, &got))
		require.NoError(t, runlet.Run(context.Background(), chips...))
		assert.Equal(t, [][]int{{1, 2, 3}, {4, 5}}, db.calls)
		assert.Equal(t, time.Second, db.at[0], "the first batch waits maxWait, not for 100 values")
		assert.Equal(t, time.Hour, db.at[1], "the last batch goes at END")
		assert.Equal(t, wantLooked([]int{1, 2, 3, 4, 5}, 1), got)
	})
}

// An error or a panic of Bulk, or a panic of KeyOf, fails the runlet as
// the chip "look"'s; bad arguments are refused naming them.
func TestLookupErrors(t *testing.T) {
	values := make([]int, 50)
	for i := range values {
		values[i] = i + 1
	}
	_, _, err := lookupRun(t, 8, values, &fakeDB{failAt: 2}, 10, 2, 1)
	require.ErrorIs(t, err, errDB)
	assert.Contains(t, err.Error(), `"look"`)

	_, _, err = lookupRun(t, 8, values, &fakeDB{panicAt: 3}, 10, 2, 1)
	var pe *chip.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), `"look"`)
	assert.Contains(t, err.Error(), "db exploded")

	_, _, err = lookupRun(t, 8, values, &fakeDB{}, 10, 2, 0) // KeyOf divides by zero
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), `"look"`)

	p := pool.New("store", 8)
	in, out := pool.NewPend[int](p, "in"), pool.NewPend[chip.Looked[int, string]](p, "out")
	chips := append(chip.Lookup(chip.LookupConfig[int, int, string]{Key: "look", Prev: in, Next: out, Concurrency: -1}),
		chip.FromSlice("src", in, values), chip.Collect("sink", out, new([]chip.Looked[int, string])))
	err = runlet.Run(context.Background(), chips...)
	require.Error(t, err)
	for _, want := range []string{"KeyOf", "Bulk", "look.batch", "batch size 0", "concurrency -1"} {
		assert.Contains(t, err.Error(), want)
	}
}
