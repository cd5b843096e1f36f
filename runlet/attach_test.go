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

func pass(key string, prev, next chip.PendRef) chip.Chip {
	return mapper(key, prev, next, false, 0, func(v int) int { return v })
}

// Attach returns one error listing every problem, each naming its chip, pool
// or pend; it never panics.
func TestAttachReportsEveryProblem(t *testing.T) {
	var out sink[int]
	nilProcess := chip.New(chip.Config[int, int, struct{}]{Key: "noproc", Prev: at("np"), Next: at("np2")})
	tests := []struct {
		name  string
		pools []*pool.Pool
		chips []chip.Chip
		want  []string
	}{
		{"no chips", poolsOf(1), nil, []string{"no chips"}},
		{"unknown pool", poolsOf(1), []chip.Chip{pass("c", chip.At("nope", "a"), at("b")), out.output("o", at("b"))},
			[]string{`chip "c": prev a@nope: unknown pool "nope"`}},
		{"pend without producer", poolsOf(1), []chip.Chip{pass("c", at("a"), at("b")), out.output("o", at("b"))},
			[]string{`pool "default": pend "a" has no producer (read by chip "c")`}},
		{"pend without consumer", poolsOf(1), []chip.Chip{source("in", at("a"), []int{1}), pass("c", at("a"), at("b"))},
			[]string{`pool "default": pend "b" has no consumer (fed by chip "c")`}},
		{"duplicate chip", poolsOf(1), []chip.Chip{source("in", at("a"), []int{1}), pass("c", at("a"), at("b")), pass("c", at("b"), at("c")), out.output("o", at("c"))},
			[]string{`duplicate chip key "c"`}},
		{"duplicate pool", []*pool.Pool{pool.New(pk, 1), pool.New(pk, 2)}, []chip.Chip{source("in", at("a"), []int{1}), out.output("o", at("a"))},
			[]string{`duplicate pool key "default"`}},
		{"nil pool and chip", []*pool.Pool{nil, pool.New(pk, 1)}, []chip.Chip{nil, source("in", at("a"), []int{1}), out.output("o", at("a"))},
			[]string{"pool #0 is nil", "chip #0 is nil"}},
		{"regulator counts", poolsOf(1), []chip.Chip{source("in", at("a"), []int{1}), chip.ENDRegulator[int]("reg", at("a"), at("b"), 0, 1), out.output("o", at("b"))},
			[]string{`chip "reg": END regulator counts must be at least 1 (inputs 0, outputs 1)`}},
		{"negative sizes", poolsOf(1), []chip.Chip{source("in", at("a").Sized(-1, 0), []int{1}), out.output("o", at("a"))},
			[]string{`chip "in": next a@default: negative size (private -1, limit 0)`}},
		{"negative pool limit", []*pool.Pool{pool.New(pk, -3)}, []chip.Chip{source("in", at("a"), []int{1}), out.output("o", at("a"))},
			[]string{`pool "default": negative limit -3`}},
		{"conflicting sizes", poolsOf(1), []chip.Chip{source("in", at("a").Sized(2, 0), []int{1}), out.output("o", at("a").Sized(3, 0))},
			[]string{`pend "a" sized twice`}},
		{"nil process", poolsOf(1), []chip.Chip{source("in", at("np"), []int{1}), nilProcess, out.output("o", at("np2"))},
			[]string{`chip "noproc": nil process`}},
		{"two element types", poolsOf(1), []chip.Chip{source("in", at("a"), []string{"x"}), out.output("o", at("a"))},
			[]string{`chip "o": prev: pool "default": pend "a" holds string, not int`}},
		{"IO misuse", poolsOf(1), []chip.Chip{
			pass("backwards", chip.Output, chip.Input),
			pass("sized", chip.Input.Sized(1, 0), at("a")),
			out.output("o", at("a")),
		}, []string{
			`chip "backwards": prev runlet:pend:output@runlet:pool:io: on the IO pool a chip's prev pend must be "runlet:pend:input"`,
			`chip "backwards": next runlet:pend:input@runlet:pool:io: on the IO pool a chip's next pend must be "runlet:pend:output"`,
			`chip "sized": prev runlet:pend:input@runlet:pool:io: IO pends take no sizes`,
		}},
		{"pool posing as IO", []*pool.Pool{pool.New(pool.IOKey, 1), pool.New(pk, 1)}, []chip.Chip{source("in", at("a"), []int{1}), out.output("o", at("a"))},
			[]string{`pool "runlet:pool:io": the key is reserved for the IO pool`}},
		{"bad concurrency", poolsOf(1), []chip.Chip{source("in", at("a"), []int{1}),
			chip.New(chip.Config[int, int, struct{}]{Key: "neg", Prev: at("a"), Next: at("b"), Async: true, Concurrency: -2,
				Process: func(context.Context, hints.Pack[int], *struct{}) (hints.Pack[int], error) {
					return hints.Pack[int]{}, nil
				}}),
			out.output("o", at("b"))},
			[]string{`chip "neg": concurrency -2 is below 1`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runlet.New(tc.pools, tc.chips, runlet.Config{})
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
	r := runlet.New(poolsOf(1), []chip.Chip{
		pass("c", chip.At("nope", "a"), at("b")),
		chip.ENDRegulator[int]("reg", at("b"), at("c"), 1, 0),
		out.output("c", at("c")),
	}, runlet.Config{})
	err := r.Attach()
	for _, w := range []string{`unknown pool "nope"`, `duplicate chip key "c"`, `chip "reg": END regulator counts must be at least 1 (inputs 1, outputs 0)`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Attach error lacks %q:\n%v", w, err)
		}
	}
}

func TestAttachTwice(t *testing.T) {
	var out sink[int]
	r := newRunlet(1, source("in", at("a"), []int{1}), out.output("o", at("a")))
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
	r := newRunlet(2, pass("c", at("in"), at("out")))
	in, _ := runlet.PendInput[int](r, pk, "in")
	if _, err := runlet.PendOutput[int](r, pk, "out"); err != nil {
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
	r := runlet.New(poolsOf(4), []chip.Chip{bad}, runlet.Config{})
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
	return chip.Spec{Key: "b", Prev: chip.Input, Next: chip.Output}
}

func (c *bindErr) Bind(engine.Binding) (engine.Runner, error) { return nil, c.err }
