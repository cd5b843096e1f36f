// Command collect must not compile: an int pend drained into a []string.
package main

import (
	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
)

func main() {
	p := pool.New("p", 4)
	nums := pool.NewPend[int](p, "")
	var out []string
	_ = chip.Collect("keep", nums, &out) // want: mismatch
}
