package runlet

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
)

// Attach checks the runlet and wires its chips to their pends. It returns one
// error listing every problem, each naming its chip, pool or pend: a nil or
// duplicate pool or chip, an unknown pool key, a pend with no producer or no
// consumer (except pends a passive handle feeds or drains), negative or
// conflicting sizes, a nil process, a pend used with two element types, an
// END regulator count below 1, and misuse of the IO pool. After an error the
// runlet (and pends its pools created while checking) should be dropped and
// the graph built anew; after success a second call returns [ErrAttached].
func (r *Runlet) Attach() error {
	r.mu.Lock()
	defer r.release()
	if r.attached {
		return ErrAttached
	}
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	// Pools.
	poolIdx := map[string]int32{}
	var pools []*pool.Pool
	for i, p := range r.pools {
		if p == nil {
			bad("pool #%d is nil", i)
			continue
		}
		if err := p.Check(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := poolIdx[p.Key()]; dup {
			bad("duplicate pool key %q", p.Key())
			continue
		}
		if p.Key() == pool.IOKey && p.Kind() != pool.IO {
			bad("pool %q: the key is reserved for the IO pool (use pool.NewIO)", p.Key())
			continue
		}
		poolIdx[p.Key()] = int32(len(pools))
		pools = append(pools, p)
	}

	// Chips: keys, pool keys, IO use.
	if len(r.chips) == 0 {
		bad("no chips")
	}
	specs := make([]chip.Spec, len(r.chips))
	chipSeen := map[string]bool{}
	for i, c := range r.chips {
		if c == nil {
			bad("chip #%d is nil", i)
			continue
		}
		sp := c.Spec()
		specs[i] = sp
		name := sp.Key
		if name == "" {
			bad("chip #%d has an empty key", i)
			name = fmt.Sprintf("#%d", i)
		} else if chipSeen[name] {
			bad("duplicate chip key %q", name)
		}
		chipSeen[name] = true
		for _, side := range []struct {
			what string
			ref  chip.PendRef
			io   string // the only IO pend allowed on this side
		}{{"prev", sp.Prev, pool.InputKey}, {"next", sp.Next, pool.OutputKey}} {
			ref := side.ref
			if ref.Pool == pool.IOKey {
				if _, ok := poolIdx[pool.IOKey]; !ok {
					poolIdx[pool.IOKey] = int32(len(pools))
					pools = append(pools, pool.NewIO())
				}
				if ref.Pend != side.io {
					bad("chip %q: %s %s: on the IO pool a chip's %s pend must be %q", name, side.what, ref, side.what, side.io)
				}
				if ref.SizePrivate != 0 || ref.SizeLimit != 0 {
					bad("chip %q: %s %s: IO pends take no sizes", name, side.what, ref)
				}
				continue
			}
			if _, ok := poolIdx[ref.Pool]; !ok {
				bad("chip %q: %s %s: unknown pool %q", name, side.what, ref, ref.Pool)
			}
			if ref.Pend == "" {
				bad("chip %q: %s pend in pool %q has an empty key", name, side.what, ref.Pool)
			}
			if ref.SizePrivate < 0 || ref.SizeLimit < 0 {
				bad("chip %q: %s %s: negative size (private %d, limit %d)", name, side.what, ref, ref.SizePrivate, ref.SizeLimit)
			}
		}
		if sp.Async && sp.Concurrency < 1 {
			bad("chip %q: concurrency %d is below 1", name, sp.Concurrency)
		}
	}

	// Pends: producers, consumers and sizes.
	type pendUse struct {
		producers, consumers []string
		sized                string // the chip whose sizes apply
		private, limit       int
	}
	uses := map[[2]string]*pendUse{}
	var pendOrder [][2]string
	use := func(k [2]string) *pendUse {
		u := uses[k]
		if u == nil {
			u = &pendUse{}
			uses[k] = u
			pendOrder = append(pendOrder, k)
		}
		return u
	}
	for i, sp := range specs {
		if r.chips[i] == nil {
			continue
		}
		for _, side := range []struct {
			ref  chip.PendRef
			next bool
		}{{sp.Prev, false}, {sp.Next, true}} {
			ref := side.ref
			if _, ok := poolIdx[ref.Pool]; !ok {
				continue
			}
			u := use([2]string{ref.Pool, ref.Pend})
			if side.next {
				u.producers = append(u.producers, sp.Key)
			} else {
				u.consumers = append(u.consumers, sp.Key)
			}
			if ref.Pool == pool.IOKey || (ref.SizePrivate == 0 && ref.SizeLimit == 0) {
				continue
			}
			if u.sized != "" && (u.private != ref.SizePrivate || u.limit != ref.SizeLimit) {
				bad("pool %q: pend %q sized twice: chip %q says private %d, limit %d; chip %q says private %d, limit %d",
					ref.Pool, ref.Pend, u.sized, u.private, u.limit, sp.Key, ref.SizePrivate, ref.SizeLimit)
				continue
			}
			u.sized, u.private, u.limit = sp.Key, ref.SizePrivate, ref.SizeLimit
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(r.ext), func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	}) {
		e := r.ext[k]
		if _, ok := poolIdx[k[0]]; !ok {
			bad("passive handle on pend %q: unknown pool %q", k[1], k[0])
			continue
		}
		u := use(k)
		if e.in {
			u.producers = append(u.producers, "(passive input)")
		}
		if e.out {
			u.consumers = append(u.consumers, "(passive output)")
		}
	}
	for _, k := range pendOrder {
		u := uses[k]
		if k[0] == pool.IOKey {
			continue
		}
		switch {
		case len(u.producers) == 0:
			bad("pool %q: pend %q has no producer (read by chip %q); feed it with a chip or PendInput", k[0], k[1], u.consumers[0])
		case len(u.consumers) == 0:
			bad("pool %q: pend %q has no consumer (fed by chip %q); drain it with a chip or PendOutput", k[0], k[1], u.producers[0])
		}
	}
	// Configure pends, then bind chips (binding fixes element types). This
	// runs even after the problems above, so that one error lists them all.
	for _, k := range pendOrder {
		u := uses[k]
		if k[0] == pool.IOKey || u.sized == "" {
			continue
		}
		if err := pools[poolIdx[k[0]]].Configure(k[1], u.private, u.limit); err != nil {
			errs = append(errs, err)
		}
	}
	slots := make([]slot, len(r.chips))
	pendIdx := map[[2]string]int32{}
	var pends []pendSlot
	for _, k := range pendOrder {
		pendIdx[k] = int32(len(pends))
		pends = append(pends, pendSlot{pool: poolIdx[k[0]], key: k[1]})
	}
	poolOf := func(key string) *pool.Pool {
		if i, ok := poolIdx[key]; ok {
			return pools[i]
		}
		return nil
	}
	for i, c := range r.chips {
		if c == nil {
			continue
		}
		sp := specs[i]
		s := &slots[i]
		*s = slot{
			key: sp.Key, spec: sp,
			prevPool: poolIdx[sp.Prev.Pool], nextPool: poolIdx[sp.Next.Pool],
			prevPend: pendIdx[[2]string{sp.Prev.Pool, sp.Prev.Pend}],
			nextPend: pendIdx[[2]string{sp.Next.Pool, sp.Next.Pend}],
			output:   sp.Next.Pool == pool.IOKey,
		}
		s.host = host{r: r, idx: int32(i)}
		run, err := c.Bind(chip.Binding{
			Prev: poolOf(sp.Prev.Pool), Next: poolOf(sp.Next.Pool),
			Ctx: r.ctx, Host: &s.host,
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("chip %q: %w", sp.Key, err))
			continue
		}
		s.run = run
	}
	if len(errs) > 0 {
		return fmt.Errorf("runlet: attach: %w", errors.Join(errs...))
	}

	r.slots, r.pends, r.pendIdx, r.poolIdx = slots, pends, pendIdx, poolIdx
	r.pools = pools
	r.pslots = make([]poolSlot, len(pools))
	for i, p := range pools {
		r.pslots[i].key = p.Key()
	}
	for i := range slots {
		if slots[i].output {
			r.outputs++
			r.anyOutput = true
		}
	}
	r.attached = true
	close(r.attachCh)
	return nil
}
