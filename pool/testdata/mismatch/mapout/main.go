// Command mapout must not compile: chip "m" makes ints, and its next pend
// holds strings.
package main

import (
	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
)

func main() {
	p := pool.New("p", 4)
	nums, words := pool.NewPend[int](p, "nums"), pool.NewPend[string](p, "words")
	_ = chip.Map("m", nums, words, func(v int) (int, error) { return v, nil }) // want: mismatch
}
