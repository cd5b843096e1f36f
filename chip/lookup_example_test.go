package chip_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// Lookup enriches each order with its customer's name: one bulk call per
// batch of up to 2 orders (a stand-in for a database's "WHERE id IN (...)"),
// results in input order; a customer the database lacks comes out not found.
func ExampleLookup() {
	names := map[int]string{1: "ada", 2: "bob"}
	var calls atomic.Int32 // Bulk runs on up to Concurrency goroutines
	bulk := func(_ context.Context, ids []int) (map[int]string, error) {
		calls.Add(1)
		out := map[int]string{}
		for _, id := range ids {
			if n, ok := names[id]; ok {
				out[id] = n
			}
		}
		return out, nil
	}
	type order struct{ id, customer int }
	p := pool.New("store", 16)
	orders := pool.NewPend[order](p, "orders")
	named := pool.NewPend[chip.Looked[order, string]](p, "named")
	var got []string
	chips := append(chip.Lookup(chip.LookupConfig[order, int, string]{
		Key: "customers", Prev: orders, Next: named,
		KeyOf: func(o order) int { return o.customer },
		Bulk:  bulk, BatchSize: 2, Concurrency: 2,
	}),
		chip.FromSlice("in", orders, []order{{100, 1}, {101, 2}, {102, 3}, {103, 1}, {104, 2}}),
		chip.ForEach("out", named, func(l chip.Looked[order, string]) error {
			if !l.Found {
				got = append(got, fmt.Sprintf("%d:?", l.Value.id))
				return nil
			}
			got = append(got, fmt.Sprintf("%d:%s", l.Value.id, l.Data))
			return nil
		}))
	if err := runlet.Run(context.Background(), chips...); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Join(got, " "), "in", calls.Load(), "calls")
	// Output: 100:ada 101:bob 102:? 103:ada 104:bob in 3 calls
}
