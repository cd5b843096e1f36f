package logicalpool_test

import (
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
)

// get returns the engine's typed pend of p under key, as a runlet binds it.
func get[T any](p *pool.Pool, key string) (*engine.Pend[T], error) {
	return engine.Get[T]((*engine.Pool)(p), key)
}

// configure sizes a pend, as Attach does for a chip's PendRef.Sized.
func configure(p *pool.Pool, pend string, private, limit int) error {
	return (*engine.Pool)(p).Configure(pend, private, limit)
}
