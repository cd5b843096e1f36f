package logicalpool_test

import (
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
)

// ip declares int pend key in p: most tests move ints.
func ip(p *pool.Pool, key string) *pool.Pend[int] { return pool.NewPend[int](p, key) }

// ips declares int pends keys in p, in order: a view's viewees.
func ips(p *pool.Pool, keys ...string) []*pool.Pend[int] {
	out := make([]*pool.Pend[int], len(keys))
	for i, k := range keys {
		out[i] = ip(p, k)
	}
	return out
}

// get returns the engine's typed pend of p under key, as a runlet binds it.
func get[T any](p *pool.Pool, key string) (*engine.Pend[T], error) {
	return engine.Get[T]((*engine.Pool)(p), key)
}

// configure sizes a pend at once, as Attach does for a declaration's Size,
// for the tests that drive views without a runlet.
func configure(p *pool.Pool, pend string, private, limit int) error {
	return (*engine.Pool)(p).Configure(pend, private, limit)
}
