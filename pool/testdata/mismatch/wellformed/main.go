// Command wellformed is the control: the same wiring with matching types
// compiles, so a failure of the other programs is the type check's.
package main

import (
	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
)

func main() {
	p := pool.New("p", 4)
	nums, words := pool.NewPend[int](p, "nums"), pool.NewPend[string](p, "words")
	_ = chip.Map("m", nums, words, func(v int) (string, error) { return "", nil })
	var out []string
	_ = chip.Collect("keep", words, &out)
}
