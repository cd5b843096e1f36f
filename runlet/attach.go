package runlet

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
)

// Attach checks the runlet and wires its chips to their pends. It returns one
// error listing every problem, each naming its chip, pool or pend: a nil or
// duplicate pool or chip, an unknown pool key, a pend with no producer or no
// consumer (except pends a passive handle feeds or drains), negative or
// conflicting sizes, private sizes of one pool that add up past half the int
// range, a nil process, a pend used with two element types, an
// END regulator count below 1, an async chip's concurrency outside 1 to
// 65536, and misuse of the IO pool. A chip without a key is named by its
// index ("#2") throughout. After an error the
// runlet (and pends its pools created while checking) should be dropped and
// the graph built anew; after success a second call returns [ErrAttached].
func (r *Runlet) Attach() error {
	r.g.mu.Lock()
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
			if p.Key() == "" { // the message cannot name it: give its index
				errs = append(errs, named(fmt.Sprintf("pool #%d", i), err)...)
			} else {
				errs = append(errs, err)
			}
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
	chips := slices.Clone(r.chips) // a chip that fails Spec is dropped here, not in the caller's slice
	if len(chips) == 0 {
		bad("no chips")
	}
	if r.groupErr != "" {
		bad("pool %q is shared with runlets that share no pool with this runlet's other pools: runlets that share pools must share them through one group", r.groupErr)
	}
	specs := make([]chip.Spec, len(chips))
	names := make([]string, len(chips)) // the key, or "#i" for a chip without one
	unbound := make([]bool, len(chips)) // checked but never bound (Bind could not survive it)
	chipSeen := map[string]bool{}
	for i, c := range chips {
		if c == nil {
			bad("chip #%d is nil", i)
			continue
		}
		sp, err := safeSpec(c)
		if err != nil {
			bad("chip #%d: %v", i, err)
			chips[i] = nil // not bound below
			continue
		}
		specs[i] = sp
		name := sp.Key
		if name == "" {
			bad("chip #%d has an empty key", i)
			name = fmt.Sprintf("#%d", i)
		} else if chipSeen[name] {
			bad("duplicate chip key %q", name)
		}
		chipSeen[name] = true
		names[i] = name
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
		switch {
		case sp.Async && sp.Concurrency < 1:
			bad("chip %q: concurrency %d is below 1", name, sp.Concurrency)
		case sp.Async && sp.Concurrency > maxConcurrency:
			// Bind would make room for that many batches, and Run start
			// that many workers: an out-of-memory crash, not an error.
			bad("chip %q: concurrency %d is above %d", name, sp.Concurrency, maxConcurrency)
			unbound[i] = true
		}
	}

	// Pends: producers, consumers and sizes, per storage pend (a view stands
	// for its viewees; a logical pool's other keys name its inner pool's
	// pends).
	type store struct {
		p    *pool.Pool
		pend string
	}
	type pendUse struct {
		producers, consumers []string
		sized                string // the chip whose sizes apply
		private, limit       int
	}
	uses := map[store]*pendUse{}
	var storeOrder []store
	use := func(k store) *pendUse {
		u := uses[k]
		if u == nil {
			u = &pendUse{}
			uses[k] = u
			storeOrder = append(storeOrder, k)
		}
		return u
	}
	poolOf := func(key string) *pool.Pool {
		if i, ok := poolIdx[key]; ok {
			return pools[i]
		}
		return nil
	}
	// stores resolves a reference to the storage pends it stands for, and
	// reports a view used the wrong way.
	stores := func(who string, ref chip.PendRef, next bool) []store {
		p := poolOf(ref.Pool)
		if p == nil || p.Kind() == pool.IO {
			return nil
		}
		if viewees, push, pull, ok := p.ViewOf(ref.Pend); ok {
			switch {
			case next && !push:
				bad("%s: next %s: view %q is read by chips and cannot be pushed to", who, ref, ref.Pend)
			case !next && !pull:
				bad("%s: prev %s: view %q is pushed to by chips and cannot be read", who, ref, ref.Pend)
			}
			if ref.SizePrivate != 0 || ref.SizeLimit != 0 {
				bad("%s: %s: a view holds nothing and takes no sizes (size its viewees)", who, ref)
			}
			out := make([]store, len(viewees))
			for i, v := range viewees {
				out[i] = store{p.Inner(), v}
			}
			return out
		}
		if p.Kind() == pool.Logical {
			return []store{{p.Inner(), ref.Pend}}
		}
		return []store{{p, ref.Pend}}
	}
	for i, sp := range specs {
		if chips[i] == nil {
			continue
		}
		for _, side := range []struct {
			ref  chip.PendRef
			next bool
		}{{sp.Prev, false}, {sp.Next, true}} {
			ref := side.ref
			for _, k := range stores(fmt.Sprintf("chip %q", names[i]), ref, side.next) {
				u := use(k)
				if side.next {
					u.producers = append(u.producers, names[i])
				} else {
					u.consumers = append(u.consumers, names[i])
				}
				if ref.SizePrivate == 0 && ref.SizeLimit == 0 {
					continue
				}
				if _, _, _, view := poolOf(ref.Pool).ViewOf(ref.Pend); view {
					continue
				}
				if u.sized != "" && (u.private != ref.SizePrivate || u.limit != ref.SizeLimit) {
					bad("pool %q: pend %q sized twice: chip %q says private %d, limit %d; chip %q says private %d, limit %d",
						k.p.Key(), k.pend, u.sized, u.private, u.limit, names[i], ref.SizePrivate, ref.SizeLimit)
					continue
				}
				u.sized, u.private, u.limit = names[i], ref.SizePrivate, ref.SizeLimit
			}
		}
	}
	extKeys := slices.SortedFunc(maps.Keys(r.ext), func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	for _, k := range extKeys {
		e := r.ext[k]
		if _, ok := poolIdx[k[0]]; !ok {
			bad("passive handle on pend %q: unknown pool %q", k[1], k[0])
			continue
		}
		if k[1] == "" {
			bad("passive handle on pool %q: the pend has an empty key", k[0])
			continue
		}
		ref := chip.At(k[0], k[1])
		if e.in {
			for _, st := range stores(fmt.Sprintf("PendInput on pool %q", k[0]), ref, true) {
				u := use(st)
				u.producers = append(u.producers, "(passive input)")
			}
		}
		if e.out {
			for _, st := range stores(fmt.Sprintf("PendOutput on pool %q", k[0]), ref, false) {
				u := use(st)
				u.consumers = append(u.consumers, "(passive output)")
			}
		}
	}
	for _, k := range storeOrder {
		u := uses[k]
		switch {
		case len(u.producers) == 0:
			bad("pool %q: pend %q has no producer (read by chip %q); feed it with a chip or PendInput", k.p.Key(), k.pend, u.consumers[0])
		case len(u.consumers) == 0:
			bad("pool %q: pend %q has no consumer (fed by chip %q); drain it with a chip or PendOutput", k.p.Key(), k.pend, u.producers[0])
		}
	}
	// Configure pends, then bind chips (binding fixes element types). This
	// runs even after the problems above, so that one error lists them all.
	reserved := map[*pool.Pool]int{} // private sizes so far, by storage pool
	for _, k := range storeOrder {
		u := uses[k]
		switch {
		case u.sized == "" || u.private < 0 || u.limit < 0: // negative sizes are reported with their chip
			continue
		case u.private > maxReserved-reserved[k.p]:
			// Past this the pool's accounting could overflow (a pool
			// whose size wraps to negative is never full again).
			bad("pool %q: pend %q: private size %d (chip %q) takes the pool's reserved total past %d",
				k.p.Key(), k.pend, u.private, u.sized, maxReserved)
			continue
		}
		reserved[k.p] += u.private
		if err := k.p.Configure(k.pend, u.private, u.limit); err != nil {
			errs = append(errs, err)
		}
	}

	// Wake identity: a pend is its home (the storage pool and, for views and
	// viewees, the view's group), so every name of one place shares its
	// waiters; a pool is its storage pool, so every key of one budget shares
	// the chips waiting for room in it.
	pslotIdx := map[*pool.Pool]int32{}
	var pslots []poolSlot
	poolSlotOf := func(p *pool.Pool) int32 {
		i, ok := pslotIdx[p]
		if !ok {
			i = int32(len(pslots))
			pslotIdx[p] = i
			pslots = append(pslots, poolSlot{key: p.Key(), pool: p})
		}
		return i
	}
	pendIdx := map[[2]string]int32{}
	canonIdx := map[canon]int32{}
	var pends []pendSlot
	pendSlotOf := func(poolKey, pend string) int32 {
		k := [2]string{poolKey, pend}
		if i, ok := pendIdx[k]; ok {
			return i
		}
		p := poolOf(poolKey)
		if p == nil {
			return 0
		}
		hp, name := p.Home(pend)
		c := canon{hp, name}
		i, ok := canonIdx[c]
		if !ok {
			i = int32(len(pends))
			canonIdx[c] = i
			pends = append(pends, pendSlot{pool: poolSlotOf(hp), key: name, home: c})
		}
		pendIdx[k] = i
		pends[i].members = append(pends[i].members, k)
		return i
	}
	slots := make([]slot, len(chips))
	for i, c := range chips {
		if c == nil {
			continue
		}
		sp := specs[i]
		s := &slots[i]
		*s = slot{
			key: sp.Key, spec: sp,
			prevPend: pendSlotOf(sp.Prev.Pool, sp.Prev.Pend),
			nextPend: pendSlotOf(sp.Next.Pool, sp.Next.Pend),
			// Output chips end the flow: those that feed the IO output, and
			// those that feed a pend drained from outside (a PendOutput).
			output: sp.Next.Pool == pool.IOKey || r.ext[[2]string{sp.Next.Pool, sp.Next.Pend}].out,
		}
		if len(pends) > 0 {
			s.prevPool, s.nextPool = pends[s.prevPend].pool, pends[s.nextPend].pool
		}
		s.host = host{r: r, idx: int32(i)}
		if unbound[i] {
			continue
		}
		run, err := safeBind(c, chip.Binding{
			Prev: poolOf(sp.Prev.Pool), Next: poolOf(sp.Next.Pool),
			Ctx: r.ctx, Host: &s.host,
		})
		if err != nil {
			errs = append(errs, named(fmt.Sprintf("chip %q", names[i]), err)...)
			continue
		}
		s.run = run
	}
	for _, k := range extKeys {
		pendSlotOf(k[0], k[1])
	}
	if len(errs) > 0 {
		return fmt.Errorf("runlet: attach: %w", errors.Join(errs...))
	}

	// Inner pools nobody named still show in Describe.
	for _, p := range pools {
		if in := p.Inner(); in != nil && !slices.Contains(pools, in) {
			pools = append(pools, in)
		}
	}
	r.slots, r.pends, r.pendIdx, r.poolIdx = slots, pends, pendIdx, poolIdx
	r.pools, r.pslots, r.pslotIdx, r.canonIdx = pools, pslots, pslotIdx, canonIdx
	for i := range slots {
		if slots[i].output {
			r.outputs++
			r.anyOutput = true
		}
	}
	if err := r.wireEnds(); err != nil {
		return fmt.Errorf("runlet: attach: %w", errors.Join(err))
	}
	r.attached = true
	close(r.attachCh)
	return nil
}

// maxConcurrency is the most process calls in flight an async chip may ask
// for: far more workers than cores, and bounded, so that a typo (1<<40)
// is an error from Attach rather than a crash.
const maxConcurrency = 1 << 16

// maxReserved is the most a pool's private sizes may add up to in one
// runlet: half the int range, so that packs queued past their private
// sizes cannot overflow the pool's size.
const maxReserved = math.MaxInt / 2

// named prefixes each of err's problems with prefix: a joined error (Bind's
// or Check's list) is split, so that every line of Attach's error names its
// chip or pool.
func named(prefix string, err error) []error {
	// Split only what errors.Join made (its text is its errors' texts, one
	// per line): an error that wraps several with words of its own, like
	// fmt.Errorf("ctx: %w, %w", a, b), keeps its words.
	if j, ok := err.(interface{ Unwrap() []error }); ok && isJoin(err, j.Unwrap()) {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, named(prefix, e)...)
		}
		return out
	}
	return []error{fmt.Errorf("%s: %w", prefix, err)}
}

// isJoin reports whether err's text is the texts of errs, one per line, as
// errors.Join writes it.
func isJoin(err error, errs []error) bool {
	texts := make([]string, 0, len(errs))
	for _, e := range errs {
		if e != nil {
			texts = append(texts, e.Error())
		}
	}
	return err.Error() == strings.Join(texts, "\n")
}

// safeSpec and safeBind turn a panic in a chip's Spec or Bind (a typed nil
// chip, a state factory that panics) into an error for Attach's list.
func safeSpec(c chip.Chip) (sp chip.Spec, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("Spec panicked: %v", v)
		}
	}()
	return c.Spec(), nil
}

func safeBind(c chip.Chip, b chip.Binding) (run chip.Runner, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("bind panicked (a State factory?): %v", v)
		}
	}()
	return c.Bind(b)
}
