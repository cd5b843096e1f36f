package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

func pass(key string, prev, next *pool.Pend[int]) chip.Chip {
	return mapper(key, prev, next, false, 0, func(v int) int { return v })
}

// Attach returns one error listing every problem, each naming its chip, pool
// or pend; it never panics.
func TestAttachReportsEveryProblem(t *testing.T) {
	var out sink[int]
	// chips builds a case's graph; p is a fresh pool of limit 1, for the
	// cases that need no pools of their own.
	tests := []struct {
		name  string
		chips func(p *pool.Pool) []chip.Chip
		want  []string
	}{
		{"no chips", func(*pool.Pool) []chip.Chip { return nil }, []string{"no chips"}},
		{"pend without pool", func(p *pool.Pool) []chip.Chip {
			return []chip.Chip{pass("c", ip(nil, "a"), ip(p, "b")), out.output("o", ip(p, "b"))}
		}, []string{`chip "c": prev pend "a" has no pool: declare it with pool.NewPend`}},
		// Only a chip that writes its own Spec can name a pool by key now.
		{"unknown pool", func(p *pool.Pool) []chip.Chip {
			return []chip.Chip{&attachKeyedChip{prev: chip.PendRef{Pool: "nope", Pend: "a"}}, source("in", ip(p, "b"), []int{1}), out.output("o", ip(p, "b"))}
		}, []string{`chip "keyed": prev a@nope: unknown pool "nope"`}},
		{"pend without producer", func(p *pool.Pool) []chip.Chip {
			return []chip.Chip{pass("c", ip(p, "a"), ip(p, "b")), out.output("o", ip(p, "b"))}
		}, []string{`pool "default": pend "a" has no producer (read by chip "c")`}},
		{"pend without consumer", func(p *pool.Pool) []chip.Chip {
			return []chip.Chip{source("in", ip(p, "a"), []int{1}), pass("c", ip(p, "a"), ip(p, "b"))}
		}, []string{`pool "default": pend "b" has no consumer (fed by chip "c")`}},
		{"duplicate chip", func(p *pool.Pool) []chip.Chip {
			return []chip.Chip{source("in", ip(p, "a"), []int{1}), pass("c", ip(p, "a"), ip(p, "b")), pass("c", ip(p, "b"), ip(p, "c")), out.output("o", ip(p, "c"))}
		}, []string{`duplicate chip key "c"`}},
		{"duplicate pool", func(*pool.Pool) []chip.Chip {
			p1, p2 := pool.New(pk, 1), pool.New(pk, 2)
			return []chip.Chip{source("in", ip(p1, "a"), []int{1}), out.output("o", ip(p2, "a"))}
		}, []string{`duplicate pool key "default"`}},
		{"nil chip", func(p *pool.Pool) []chip.Chip {
			return []chip.Chip{nil, source("in", ip(p, "a"), []int{1}), out.output("o", ip(p, "a"))}
		}, []string{"chip #0 is nil"}},
		{"regulator counts", func(p *pool.Pool) []chip.Chip {
			return []chip.Chip{source("in", ip(p, "a"), []int{1}), chip.ENDRegulator("reg", ip(p, "a"), ip(p, "b"), 0, 1), out.output("o", ip(p, "b"))}
		}, []string{`chip "reg": END regulator counts must be at least 1 (inputs 0, outputs 1)`}},
		{"negative sizes", func(p *pool.Pool) []chip.Chip {
			return []chip.Chip{source("in", ip(p, "a").Size(-1, 0), []int{1}), out.output("o", ip(p, "a"))}
		}, []string{`chip "in": next a@default: negative size (private -1, limit 0)`}},
		{"negative pool limit", func(*pool.Pool) []chip.Chip {
			p := pool.New(pk, -3)
			return []chip.Chip{source("in", ip(p, "a"), []int{1}), out.output("o", ip(p, "a"))}
		}, []string{`pool "default": negative limit -3`}},
		{"conflicting sizes", func(p *pool.Pool) []chip.Chip {
			return []chip.Chip{source("in", ip(p, "a").Size(2, 0), []int{1}), out.output("o", ip(p, "a").Size(3, 0))}
		}, []string{`pend "a" sized twice`}},
		{"nil process", func(p *pool.Pool) []chip.Chip {
			nilProcess := chip.New(chip.Config[int, int, struct{}]{Key: "noproc", Prev: ip(p, "np"), Next: ip(p, "np2")})
			return []chip.Chip{source("in", ip(p, "np"), []int{1}), nilProcess, out.output("o", ip(p, "np2"))}
		}, []string{`chip "noproc": nil process`}},
		{"two element types", func(p *pool.Pool) []chip.Chip {
			return []chip.Chip{source("in", sp(p, "a"), []string{"x"}), out.output("o", ip(p, "a"))}
		}, []string{`chip "o": prev: pool "default": pend "a" holds string, not int`}},
		// IO pends are named by leaving a chip's prev or next nil; declaring
		// them in an IO pool by key is the way left to misuse them.
		{"IO misuse", func(p *pool.Pool) []chip.Chip {
			io := pool.NewIO()
			input, output := ip(io, pool.InputKey), ip(io, pool.OutputKey)
			return []chip.Chip{
				pass("backwards", output, input),
				pass("sized", ip(io, pool.InputKey).Size(1, 0), ip(p, "a")),
				out.output("o", ip(p, "a")),
			}
		}, []string{
			`chip "backwards": prev runlet:pend:output@runlet:pool:io: on the IO pool a chip's prev pend must be "runlet:pend:input"`,
			`chip "backwards": next runlet:pend:input@runlet:pool:io: on the IO pool a chip's next pend must be "runlet:pend:output"`,
			`chip "sized": prev runlet:pend:input@runlet:pool:io: IO pends take no sizes`,
		}},
		{"pool posing as IO", func(*pool.Pool) []chip.Chip {
			p := pool.New(pool.IOKey, 1)
			return []chip.Chip{source("in", ip(p, "a"), []int{1}), out.output("o", ip(p, "a"))}
		}, []string{`pool "runlet:pool:io": the key is reserved for the IO pool`}},
		{"bad concurrency", func(p *pool.Pool) []chip.Chip {
			return []chip.Chip{source("in", ip(p, "a"), []int{1}),
				chip.New(chip.Config[int, int, struct{}]{Key: "neg", Prev: ip(p, "a"), Next: ip(p, "b"), Async: true, Concurrency: -2,
					Process: func(context.Context, hints.Pack[int], *struct{}) (hints.Pack[int], error) {
						return hints.Pack[int]{}, nil
					}}),
				out.output("o", ip(p, "b"))}
		}, []string{`chip "neg": concurrency -2 is below 1`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runlet.New(tc.chips(pool.New(pk, 1)), runlet.Config{})
			err := r.Attach()
			if err == nil {
				t.Fatalf("Attach succeeded, want errors %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Attach error lacks %q:\n%v", w, err)
				}
			}
			if err := r.Run(context.Background()); err == nil {
				t.Errorf("Run after a failed Attach succeeded")
			}
		})
	}
}

// All problems of a graph come back together.
func TestAttachListsProblemsTogether(t *testing.T) {
	var out sink[int]
	p := pool.New(pk, 1)
	b, c := ip(p, "b"), ip(p, "c")
	r := runlet.New([]chip.Chip{
		pass("c", ip(nil, "a"), b),
		chip.ENDRegulator("reg", b, c, 1, 0),
		out.output("c", c),
	}, runlet.Config{})
	err := r.Attach()
	for _, w := range []string{`prev pend "a" has no pool`, `duplicate chip key "c"`, `chip "reg": END regulator counts must be at least 1 (inputs 1, outputs 0)`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Attach error lacks %q:\n%v", w, err)
		}
	}
}

func TestAttachTwice(t *testing.T) {
	var out sink[int]
	a := ip(pool.New(pk, 1), "a")
	r := newRunlet(source("in", a, []int{1}), out.output("o", a))
	if err := r.Attach(); err != nil {
		t.Fatal(err)
	}
	if err := r.Attach(); !errors.Is(err, runlet.ErrAttached) {
		t.Errorf("second Attach = %v, want ErrAttached", err)
	}
	mustRun(t, r)
	equal(t, "output", out.values(), []int{1})
}

// Describe prints chips, pools and pends in the reference's format with the
// counters; a blocked chip shows its held pack.
func TestDescribeFormat(t *testing.T) {
	p := pool.New(pk, 2)
	inPend, outPend := ip(p, "in"), ip(p, "out")
	r := newRunlet(pass("c", inPend, outPend))
	in, _ := runlet.PendInput(r, inPend)
	if _, err := runlet.PendOutput(r, outPend); err != nil {
		t.Fatal(err)
	}
	if err := r.Attach(); err != nil {
		t.Fatal(err)
	}
	r.Trigger()
	for v := 1; v <= 3; v++ {
		if err := in.Push(hints.Data(v * 11)); err != nil {
			t.Fatalf("Push: %v", err)
		}
	}
	// c missed a pull at Trigger and after each of the first two packs, ran
	// twice, then pulled 33 and found "out" busted (2 >= limit 2): it holds
	// 33 and waits for room. The pool peaked at 3 when 33 was pushed.
	want := `stat: hitRate=0.3333 hits=2 statMiss=0 pushMiss=1 pullMiss=3
#c ["33"|-|IDLE] in@default >> out@default
@default 2/2 pullWake[c] high=3
 -in 0,0P [] pushWake[]
 -out 2,0P ["11"|-|IDLE, "22"|-|IDLE] pushWake[]`
	if got := r.Describe(); got != want {
		t.Errorf("Describe:\n%s\nwant\n%s", got, want)
	}
	snap := r.Snapshot()
	if snap.State != "running" || snap.Stats.Hits != 2 || snap.Pools[0].High != 3 || snap.Chips[0].Running != `"33"|-|IDLE` {
		t.Errorf("Snapshot = %+v", snap)
	}
}

// A Bind error that wraps several errors with words of its own keeps its
// words; only an errors.Join list is split into one line per error.
func TestAttachKeepsAWrappingBindError(t *testing.T) {
	base := errors.New("disk full")
	other := errors.New("quota")
	bad := &bindErr{err: fmt.Errorf("opening the state: %w, %w", base, other)}
	r := runlet.New([]chip.Chip{bad}, runlet.Config{})
	err := r.Attach()
	if err == nil || !strings.Contains(err.Error(), "opening the state: disk full, quota") {
		t.Fatalf("Attach = %v, want the Bind error's own words kept", err)
	}
	if !errors.Is(err, base) || !errors.Is(err, other) {
		t.Errorf("errors.Is lost a wrapped error: %v", err)
	}
}

// bindErr is a chip whose Bind fails with err.
type bindErr struct{ err error }

func (c *bindErr) Spec() chip.Spec {
	return chip.Spec{Key: "b", Prev: chip.PendRef{Pool: pool.IOKey, Pend: pool.InputKey}, Next: chip.PendRef{Pool: pool.IOKey, Pend: pool.OutputKey}}
}

func (c *bindErr) Bind(engine.Binding) (engine.Runner, error) { return nil, c.err }

// attachKeyedChip is an output chip whose Spec names its prev pend by pool
// and pend key, as chips did before typed pends; it never binds.
type attachKeyedChip struct{ prev chip.PendRef }

func (c *attachKeyedChip) Spec() chip.Spec {
	return chip.Spec{Key: "keyed", Prev: c.prev, Next: chip.PendRef{Pool: pool.IOKey, Pend: pool.OutputKey}}
}

func (c *attachKeyedChip) Bind(engine.Binding) (engine.Runner, error) {
	return nil, errors.New("attachKeyedChip does not bind")
}
