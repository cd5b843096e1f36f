package pool

import (
	"github.com/runlet/runlet/internal/engine"
)

// Unlimited is the limit that never binds: pass it to [New] or [NewBytes] for
// a pool with no shared limit.
const Unlimited = engine.Unlimited

// Keys of the IO pool and its two pends.
const (
	IOKey     = engine.IOKey     // the IO pool's key
	InputKey  = engine.InputKey  // an input chip's prev pend
	OutputKey = engine.OutputKey // an output chip's next pend
)

// Kind says how a pool measures packs: [Count], [Bytes], [IO] or [Logical].
// Its String method returns "count", "bytes", "io" or "logical".
//
// A Kind is a plain value, safe to copy and use from any goroutine; the zero
// value is [Count].
type Kind = engine.Kind

const (
	Count   = engine.Count   // each pack counts 1
	Bytes   = engine.Bytes   // each pack counts its value's byte length
	IO      = engine.IO      // the IO pool: holds nothing
	Logical = engine.Logical // a logical pool: views over an inner pool (package logicalpool)
)

// Sizer is implemented by element types of byte pools that are neither
// []byte nor string. Size returns the byte length to account for a value.
// A value type with a value receiver is boxed to call Size, which may
// allocate; a pointer element type or a pointer receiver does not.
//
// The scheduler calls Size when it pushes or pulls a pack, on its own
// goroutine, never concurrently for one pool.
type Sizer interface{ Size() int }

// Pool is a shared size budget split into pends.
//
// A Pool is created with [New], [NewBytes] or [NewIO] (or
// logicalpool.New); the zero value is not usable. It must not be copied
// after first use. Its methods read the accounting and are safe to call
// only when no runlet is running on the pool (a running runlet's Describe
// and Snapshot show the same numbers from any goroutine).
//
// Pool is defined on the engine's pool type, so it shares its storage with
// no indirection while its method set holds only the accounting reads:
// pends, sizes and views are configured by a runlet's Attach and package
// logicalpool, not by calls on a Pool.
type Pool engine.Pool

// New returns a count pool: each pack counts 1. limit is the shared limit;
// 0 is valid (lock-step flow) and [Unlimited] means none.
func New(key string, limit int) *Pool { return (*Pool)(engine.NewPool(key, Count, limit)) }

// NewBytes returns a byte pool: each pack counts its value's byte length.
func NewBytes(key string, limit int) *Pool { return (*Pool)(engine.NewPool(key, Bytes, limit)) }

// NewIO returns an IO pool under [IOKey]. A runlet adds one itself when a chip
// names [IOKey] and none is given.
func NewIO() *Pool { return (*Pool)(engine.NewPool(IOKey, IO, 0)) }

func (p *Pool) e() *engine.Pool { return (*engine.Pool)(p) }

// Key returns the pool's key.
func (p *Pool) Key() string { return p.e().Key() }

// Kind returns how the pool measures packs.
func (p *Pool) Kind() Kind { return p.e().Kind() }

// Limit returns the shared limit ([Unlimited] for none); a logical pool's is
// its inner pool's.
func (p *Pool) Limit() int { return p.e().Limit() }

// Size returns the accounted size: every private size plus every pend's share
// above its private size (a logical pool: its inner pool's).
func (p *Pool) Size() int { return p.e().Size() }

// High returns the highest Size seen since the pool was created (a logical
// pool: its inner pool's).
func (p *Pool) High() int { return p.e().High() }

// Snapshot returns a copy of the pool's state, pends in configuration order.
func (p *Pool) Snapshot() Snapshot { return p.e().Snapshot() }

// Snapshot is a copy of a pool's state for Describe and tools: key, kind,
// size, limit (-1 for none), high-water mark, a logical pool's inner pool,
// and its pends as [PendSnapshot] values, with JSON tags.
//
// A Snapshot is a plain value that shares nothing with the pool: it may be
// kept, copied and read from any goroutine. The zero value describes nothing.
type Snapshot = engine.Snapshot

// PendSnapshot is a copy of one pend's state: key, element type, size,
// private size, limit (-1 for none), packs, whether it is limited, its first
// [MaxQueued] packs, and for a view the pends it is over.
//
// Like [Snapshot], it is a plain value, safe to copy and read from any
// goroutine.
//
// The zero value describes no pend.
type PendSnapshot = engine.PendSnapshot

// MaxQueued is how many queued packs a [PendSnapshot] describes.
const MaxQueued = engine.MaxQueued
