package engine_test

import "github.com/runlet/runlet/internal/engine"

func newCount(key string, limit int) *engine.Pool { return engine.NewPool(key, engine.Count, limit) }
func newBytes(key string, limit int) *engine.Pool { return engine.NewPool(key, engine.Bytes, limit) }
func newIO() *engine.Pool                         { return engine.NewPool(engine.IOKey, engine.IO, 0) }
