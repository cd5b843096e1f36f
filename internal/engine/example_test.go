package engine_test

import (
	"fmt"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
)

// A count pool with a shared limit of 4 and one pend with 2 packs reserved.
// The reserved packs count from the moment the pend is configured; the pend
// is limited once it holds more than its private size and the pool is full.
func ExamplePend() {
	p := newCount("default", 4)
	if err := p.Configure("edge", 2, 0); err != nil { // private 2, no pend limit
		fmt.Println(err)
		return
	}
	edge, err := engine.Get[int](p, "edge")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("configured: pool %d/%d\n", p.Size(), p.Limit())
	for i := 1; !edge.Limited(); i++ {
		if err := edge.Push(hints.Data(i)); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("push %d: pend %d, pool %d, limited %v\n", i, edge.Size(), p.Size(), edge.Limited())
	}
	pk, _ := edge.Pull()
	fmt.Printf("pull %v: pend %d, pool %d, limited %v\n", pk.Value, edge.Size(), p.Size(), edge.Limited())
	fmt.Println("high:", p.High())
	// Output:
	// configured: pool 2/4
	// push 1: pend 1, pool 2, limited false
	// push 2: pend 2, pool 2, limited false
	// push 3: pend 3, pool 3, limited false
	// push 4: pend 4, pool 4, limited true
	// pull 1: pend 3, pool 3, limited false
	// high: 4
}

// In a byte pool a pend counts each pack as the byte length of its value.
func ExamplePend_bytes() {
	p := newBytes("text", 8)
	words, err := engine.Get[string](p, "words")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range []string{"go", "pool", "runlet", "chip"} {
		if words.Limited() {
			fmt.Printf("limited before %q\n", w)
			break
		}
		if err := words.Push(hints.Data(w)); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("push %q: len %d, size %d\n", w, words.Len(), p.Size())
	}
	for words.Len() > 0 {
		pk, _ := words.Pull()
		fmt.Printf("pull %q: size %d\n", pk.Value, p.Size())
	}
	// Output:
	// push "go": len 1, size 2
	// push "pool": len 2, size 6
	// push "runlet": len 3, size 12
	// limited before "chip"
	// pull "go": size 10
	// pull "pool": size 6
	// pull "runlet": size 0
}
