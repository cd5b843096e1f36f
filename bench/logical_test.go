package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/logicalpool"
	runletpool "github.com/runlet/runlet/pool"
	"github.com/samber/ro"
	"github.com/sourcegraph/conc/pool"
	kitsune "github.com/zenbaku/go-kitsune"
	"golang.org/x/sync/errgroup"
)

// logicalRun runs count(n) into a view "view" of logical pool "lp" over
// viewees of inner pool "store" (limit 1024, each viewee with a private size
// of 256, so bursts are long), with a summing chip.ForEach on each viewee.
// define defines the view over the viewees and returns it.
func logicalRun(n int, keys []string, sums []int, define func(lp *runletpool.Pool, viewees []*runletpool.Pend[int]) (*runletpool.Pend[int], error)) error {
	inner := runletpool.New("store", 1024)
	lp := logicalpool.New("lp", inner)
	viewees := ats[int](inner, keys...)
	view, err := define(lp, viewees)
	if err != nil {
		return err
	}
	chips := []chip.Chip{count("in", view, n)}
	for i, v := range viewees {
		sum := &sums[i]
		chips = append(chips, chip.ForEach("sum-"+keys[i], v, func(x int) error { *sum += x; return nil }))
	}
	return runRunlet(chips...)
}

// dupSum is the checksum of duplicate2: each consumer's sum weighted
// differently, so one consumer getting everything twice and the other
// nothing does not pass.
func dupSum(a, b int) uint64 { return uint64(a) + 3*uint64(b) }

// duplicate2 sends 0..n-1 to two consumers, each getting every item, each
// summing. Items are the n inputs. Fused is the plain loop (the limit);
// FusedCalls a loop calling count's produce and the two ForEach functions
// through function values. Kitsune is Broadcast(2); Ro a
// Connectable (a multicast) with two subscribers; Conc has no way to
// duplicate a stream and is left out.
var duplicate2 = workload{
	name: "Duplicate2",
	want: func(n int) uint64 { return 4 * sumTo(n) },
	systems: []system{
		{"Fused", func(n int) (uint64, error) {
			a, b := 0, 0
			for i := range n {
				a += i
				b += i
			}
			return dupSum(a, b), nil
		}},
		{"FusedCalls", func(n int) (uint64, error) {
			sums := make([]int, 2)
			fs := consumers(sums)
			forEach(n, func(v int) {
				_ = fs[0](v)
				_ = fs[1](v)
			})
			return dupSum(sums[0], sums[1]), nil
		}},
		{"Channels", func(n int) (uint64, error) {
			chs := []chan int{make(chan int, 1024), make(chan int, 1024)}
			go func() {
				for i := range n {
					chs[0] <- i
					chs[1] <- i
				}
				close(chs[0])
				close(chs[1])
			}()
			sums := make([]int, 2)
			var wg sync.WaitGroup
			for k, ch := range chs {
				wg.Go(func() {
					for v := range ch {
						sums[k] += v
					}
				})
			}
			wg.Wait()
			return dupSum(sums[0], sums[1]), nil
		}},
		{"Runlet", func(n int) (uint64, error) {
			sums := make([]int, 2)
			err := logicalRun(n, []string{"a", "b"}, sums, func(lp *runletpool.Pool, viewees []*runletpool.Pend[int]) (*runletpool.Pend[int], error) {
				return logicalpool.Duplicate(lp, "view", viewees, nil)
			})
			return dupSum(sums[0], sums[1]), err
		}},
		{"Kitsune", func(n int) (uint64, error) {
			branches := kitsune.Broadcast(kitsuneCount(n), 2)
			sums := make([]int, 2)
			runners := make([]kitsune.Runnable, 2)
			for k, br := range branches {
				runners[k] = br.ForEach(func(_ context.Context, v int) error { sums[k] += v; return nil })
			}
			r, err := kitsune.MergeRunners(runners...)
			if err != nil {
				return 0, err
			}
			_, err = r.Run(context.Background())
			return dupSum(sums[0], sums[1]), err
		}},
		{"Errgroup", func(n int) (uint64, error) {
			g, ctx := errgroup.WithContext(context.Background())
			chs := []chan int{make(chan int, 1024), make(chan int, 1024)}
			g.Go(func() error {
				defer close(chs[0])
				defer close(chs[1])
				for i := range n {
					for _, ch := range chs {
						select {
						case ch <- i:
						case <-ctx.Done():
							return ctx.Err()
						}
					}
				}
				return nil
			})
			sums := make([]int, 2)
			for k, ch := range chs {
				g.Go(func() error {
					for v := range ch {
						sums[k] += v
					}
					return nil
				})
			}
			err := g.Wait()
			return dupSum(sums[0], sums[1]), err
		}},
		{"Ro", func(n int) (uint64, error) {
			c := ro.Connectable(ro.Range(0, int64(n)))
			sums := make([]int64, 2)
			var err error
			for k := range sums {
				c.Subscribe(ro.NewObserver(func(v int64) { sums[k] += v }, func(e error) { err = e }, func() {}))
			}
			c.Connect()
			return dupSum(int(sums[0]), int(sums[1])), err
		}},
	},
}

func BenchmarkDuplicate2(b *testing.B) { benchWorkload(b, duplicate2) }

// loadBalance4 spreads 0..n-1 over four consumers, each summing its share.
// Items are the n inputs. Fused is the plain loop (the limit); FusedCalls
// a loop calling count's produce and the four ForEach functions in turn
// (round robin) through function values. Channels and Errgroup are four
// goroutines reading
// one channel; Kitsune is Balance(4); Conc a pool of four goroutines fed one
// task per item (a shared atomic sum: a pool's tasks have no identity); Ro
// has no load-balancing operator and is left out.
var loadBalance4 = workload{
	name: "LoadBalance4",
	want: sumTo,
	systems: []system{
		{"Fused", func(n int) (uint64, error) {
			var sums [4]int
			for i := range n {
				sums[i%4] += i
			}
			return uint64(sums[0] + sums[1] + sums[2] + sums[3]), nil
		}},
		{"FusedCalls", func(n int) (uint64, error) {
			sums := make([]int, 4)
			fs, k := consumers(sums), 0
			forEach(n, func(v int) {
				_ = fs[k](v)
				if k++; k == len(fs) {
					k = 0
				}
			})
			return uint64(sums[0] + sums[1] + sums[2] + sums[3]), nil
		}},
		{"Channels", func(n int) (uint64, error) {
			ch := chanCount(n)
			sums := make([]int, 4)
			var wg sync.WaitGroup
			for k := range sums {
				wg.Go(func() {
					for v := range ch {
						sums[k] += v
					}
				})
			}
			wg.Wait()
			return uint64(sums[0] + sums[1] + sums[2] + sums[3]), nil
		}},
		{"Runlet", func(n int) (uint64, error) {
			sums := make([]int, 4)
			viewees := make([]string, len(sums))
			for i := range viewees {
				viewees[i] = fmt.Sprint("w", i)
			}
			err := logicalRun(n, viewees, sums, func(lp *runletpool.Pool, viewees []*runletpool.Pend[int]) (*runletpool.Pend[int], error) {
				return logicalpool.LoadBalance(lp, "view", viewees, logicalpool.RoundRobin)
			})
			return uint64(sums[0] + sums[1] + sums[2] + sums[3]), err
		}},
		{"Kitsune", func(n int) (uint64, error) {
			branches := kitsune.Balance(kitsuneCount(n), 4)
			sums := make([]int, 4)
			runners := make([]kitsune.Runnable, 4)
			for k, br := range branches {
				runners[k] = br.ForEach(func(_ context.Context, v int) error { sums[k] += v; return nil })
			}
			r, err := kitsune.MergeRunners(runners...)
			if err != nil {
				return 0, err
			}
			_, err = r.Run(context.Background())
			return uint64(sums[0] + sums[1] + sums[2] + sums[3]), err
		}},
		{"Errgroup", func(n int) (uint64, error) {
			g, ctx := errgroup.WithContext(context.Background())
			ch := egCount(ctx, g, n)
			sums := make([]int, 4)
			for k := range sums {
				g.Go(func() error {
					for v := range ch {
						sums[k] += v
					}
					return nil
				})
			}
			err := g.Wait()
			return uint64(sums[0] + sums[1] + sums[2] + sums[3]), err
		}},
		{"Conc", func(n int) (uint64, error) {
			p := pool.New().WithMaxGoroutines(4)
			var s atomic.Uint64
			for i := range n {
				p.Go(func() { s.Add(uint64(i)) })
			}
			p.Wait()
			return s.Load(), nil
		}},
	},
}

func BenchmarkLoadBalance4(b *testing.B) { benchWorkload(b, loadBalance4) }

// consumers returns the summing ForEach function of each consumer of a
// logical workload, sums[i] for the i-th, each an opaque function value.
func consumers(sums []int) []func(int) error {
	fs := make([]func(int) error, len(sums))
	for i := range sums {
		fs[i] = opaque(func(x int) error { sums[i] += x; return nil })
	}
	return fs
}

// forEach calls count's produce function for 0..n-1 through a function
// value, and each for every value: the input half of a FusedCalls system.
func forEach(n int, each func(int)) {
	in := opaque(countFn(n))
	ctx, i := context.Background(), 0
	for {
		p, _ := in(ctx, &i)
		if p.Hint == hints.End {
			return
		}
		each(p.Value)
	}
}
