// Package bench measures runlet against the plain Go it replaces. It has no
// library code: run it with
//
//	go test ./bench -run '^$' -bench . -count 10 | tee new.txt
//	benchstat new.txt
//
// Every benchmark moves b.N items through one pipeline, so ns/op is ns per
// item, and reports ns/item and allocs/item explicitly. Each has a naive
// baseline in the same run: a fused plain loop (the limit) and goroutines
// with channels (what Go stream libraries are built on).
package bench
