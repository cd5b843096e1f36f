package logicalpool_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// CountBy counts words over two partitions, each on its own goroutine, and
// TopK keeps the three most frequent. The less function orders equal counts
// by word, so the result does not depend on which partition finished first.
func ExampleCountBy() {
	store := pool.New("store", 64)
	lp := logicalpool.New("lp", store)
	type count = logicalpool.KV[string, int]
	// Unnamed pends: the runlet names them after the chips that push into them.
	words, counts, best := pool.NewPend[string](store, ""), pool.NewPend[count](store, ""), pool.NewPend[count](store, "")
	word := func(w string) (string, error) { return w, nil }
	chips, err := logicalpool.CountBy(lp, "count", words, counts, logicalpool.Partitions{N: 2}, word)
	if err != nil {
		fmt.Println(err)
		return
	}
	byCount := func(a, b count) bool { return a.Value < b.Value || (a.Value == b.Value && a.Key > b.Key) }
	var top []count
	chips = append(chips,
		chip.FromSlice("read", words, strings.Fields("a rose is a rose is a rose and a daisy is a daisy")),
		chip.TopK("top", counts, best, 3, byCount),
		chip.Collect("keep", best, &top),
	)
	if err := runlet.Run(context.Background(), chips...); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(top)
	// Output: [a=5 is=3 rose=3]
}
