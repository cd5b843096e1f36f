package prometheus

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/runlet/runlet/runlet"
)

// Source is what a [Collector] reads: anything that gives a snapshot of a
// runlet. A *[runlet.Runlet] is one; so is a func reading the latest JSON
// snapshot of a remote flow ([SourceFunc]).
//
// Snapshot is called once per scrape, from the scraping goroutine, and
// must not block for long: [runlet.Runlet.Snapshot] never waits for the
// scheduler more than 2 ms.
type Source interface {
	Snapshot() runlet.Snapshot
}

// SourceFunc adapts a function to a [Source].
type SourceFunc func() runlet.Snapshot

// Snapshot calls f.
func (f SourceFunc) Snapshot() runlet.Snapshot { return f() }

// ErrDuplicate is returned by [Collector.Register] for a name already
// registered.
var ErrDuplicate = errors.New("prometheus: runlet name already registered")

// ErrBadName is returned by [Collector.Register] for an empty name or a nil
// source.
var ErrBadName = errors.New("prometheus: bad runlet registration")

// Collector is a [prometheus.Collector] over any number of runlets, each
// under its name (the "runlet" label). At each scrape it takes one
// [runlet.Snapshot] of every registered runlet and turns it into const
// metrics (see the package doc for the metric names); it keeps nothing
// between scrapes but the list of runlets, so its memory is that list.
//
// Its methods are safe for concurrent use: runlets may be registered and
// unregistered while a scrape runs (the scrape reads the list as it was
// when it started). The zero value is not usable: use [New].
type Collector struct {
	mu      sync.Mutex
	sources map[string]Source
}

// New returns a Collector with no runlets.
func New() *Collector {
	return &Collector{sources: map[string]Source{}}
}

// Register adds src under name: the value of the "runlet" label of its
// metrics. It returns an error wrapping [ErrBadName] for an empty name or
// a nil source, and one wrapping [ErrDuplicate] when name is taken.
//
// A runlet may be registered before it runs (its metrics then show its
// state "new" and its pools), and stays until [Collector.Unregister]: an
// ended runlet keeps reporting its final counters, which is what a scrape
// after a short run wants.
func (c *Collector) Register(name string, src Source) error {
	if name == "" {
		return fmt.Errorf("%w: empty runlet name", ErrBadName)
	}
	if src == nil {
		return fmt.Errorf("%w: runlet %q: nil source", ErrBadName, name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sources[name]; ok {
		return fmt.Errorf("%w: runlet %q", ErrDuplicate, name)
	}
	c.sources[name] = src
	return nil
}

// Unregister removes the runlet registered under name, so that its series
// are gone from the next scrape, and reports whether it was registered.
func (c *Collector) Unregister(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.sources[name]
	delete(c.sources, name)
	return ok
}

// Names returns the registered names, sorted.
func (c *Collector) Names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, 0, len(c.sources))
	for n := range c.sources {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Describe sends the descriptors of every metric the Collector can
// produce: the set is fixed (runlets only change label values), so the
// Collector is a checked collector and a registry rejects a clash of names
// at registration.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect takes a snapshot of every registered runlet, in name order, and
// sends its metrics. The list of runlets is copied under the lock and the
// snapshots are taken outside it, so a slow source never blocks Register.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	names := make([]string, 0, len(c.sources))
	for n := range c.sources {
		names = append(names, n)
	}
	slices.Sort(names)
	srcs := make([]Source, len(names))
	for i, n := range names {
		srcs[i] = c.sources[n]
	}
	c.mu.Unlock()
	for i, src := range srcs {
		collectSnapshot(ch, names[i], src.Snapshot())
	}
}
