package runlet_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/diagram")

// midFlight builds a linear runlet and stops it mid-flow: read pushes five
// words, upper maps them into "words" (private 1, limit 3), and nobody
// drains "words" (a PendOutput left alone), so read and upper end up
// waiting for room.
func midFlight(t testing.TB) *runlet.Runlet {
	t.Helper()
	p := pool.New("text", 4)
	lines, words := sp(p, "lines"), sp(p, "words").Size(1, 3)
	r := runlet.New([]chip.Chip{
		chip.FromSlice("read", lines, []string{"go", "pool", "runlet", "chip", "pend"}),
		chip.Map("upper", lines, words, func(s string) (string, error) { return strings.ToUpper(s), nil }),
	}, runlet.Config{})
	if _, err := runlet.PendOutput(r, words); err != nil {
		t.Fatal(err)
	}
	if err := r.Attach(); err != nil {
		t.Fatal(err)
	}
	r.Trigger() // sync chips: the flow runs here and stops when nothing can move
	return r
}

// routed builds a graph through logical pools and runs it to its end: in
// duplicates every number into a and b (Duplicate view "both"), "double"
// reads a, "triple" reads b, and "sum" reads both results through a Merge
// view "results"; "keys" shows a LoadBalance view with a consumer of each
// viewee.
func routed(t testing.TB) *runlet.Runlet {
	t.Helper()
	store := pool.New("store", 16)
	fan := logicalpool.New("fan", store)
	// a and da are named through the inner pool, b and tb through the
	// logical pool: both name the inner pool's pends.
	a, b, da, tb := ip(store, "a"), ip(fan, "b"), ip(store, "da"), ip(fan, "tb")
	both, err := logicalpool.Duplicate(fan, "both", []*pool.Pend[int]{a, b}, nil)
	must(t, err)
	results, err := logicalpool.Merge(fan, "results", []*pool.Pend[int]{da, tb})
	must(t, err)
	times := func(n int) func(int) (int, error) { return func(v int) (int, error) { return v * n, nil } }
	sum := 0
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in", both, []int{1, 2, 3}),
		chip.Map("double", a, da, times(2)),
		chip.Map("triple", b, tb, times(3)),
		chip.ForEach("sum", results, func(v int) error { sum += v; return nil }),
	}, runlet.Config{})
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sum != 30 {
		t.Fatalf("sum = %d, want 30", sum)
	}
	return r
}

// awkward has keys with characters that Mermaid, DOT and terminals treat
// specially, an async chip, and a failed state.
func awkward(t testing.TB) *runlet.Runlet {
	t.Helper()
	p := pool.NewBytes(`b"p#1`, 64)
	ab := sp(p, `a|b\n`)
	boom := errors.New("boom\nsecond line")
	r := runlet.New([]chip.Chip{
		chip.FromSlice(`say "hi" <b>`, ab, []string{"x"}),
		chip.New(chip.Config[string, string, struct{}]{
			Key: "end\n`md` & #quot;", Prev: ab,
			Async: true, Concurrency: 2,
			Process: func(context.Context, hints.Pack[string], *struct{}) (hints.Pack[string], error) {
				return hints.Pack[string]{}, boom
			},
		}),
	}, runlet.Config{})
	if err := r.Run(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want boom", err)
	}
	return r
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "diagram", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./runlet -run Diagram -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// passive is fed and drained from outside: a PendInput pushes into a
// LoadBalance view over w1in and w2in, two workers map them, a Join2 view
// pairs their results for "zip", and a PendOutput that nobody drains takes
// the pairs. Three numbers are pushed, the flow moves as far as it can.
func passive(t testing.TB) *runlet.Runlet {
	t.Helper()
	q := pool.New("q", 8)
	lb := logicalpool.New("lb", q)
	// w1in is named through the inner pool, w2in through the logical pool.
	w1in, w2in, left, right, out := ip(q, "w1in"), ip(lb, "w2in"), ip(q, "left"), ip(q, "right"), ip(q, "out")
	spread, err := logicalpool.LoadBalance(lb, "spread", []*pool.Pend[int]{w1in, w2in}, logicalpool.RoundRobin)
	must(t, err)
	pairs, err := logicalpool.Join2(lb, "pairs", left, right)
	must(t, err)
	inc := func(v int) (int, error) { return v + 1, nil }
	r := runlet.New([]chip.Chip{
		chip.Map("w1", w1in, left, inc),
		chip.Map("w2", w2in, right, inc),
		chip.Map("zip", pairs, out, func(p logicalpool.Pair[int, int]) (int, error) { return p.A * p.B, nil }),
	}, runlet.Config{})
	in, err := runlet.PendInput(r, spread)
	must(t, err)
	_, err = runlet.PendOutput(r, out)
	must(t, err)
	must(t, r.Attach())
	r.Trigger()
	for v := range 3 {
		must(t, in.Push(hints.Data(v)))
	}
	return r
}

var scenarios = []struct {
	name  string
	build func(testing.TB) *runlet.Runlet
}{
	{"midflight", midFlight},
	{"routed", routed},
	{"awkward", awkward},
	{"passive", passive},
}

func TestDiagramGolden(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			s := sc.build(t).Snapshot()
			golden(t, sc.name+".mmd", s.Mermaid())
			golden(t, sc.name+".dot", s.DOT())
			golden(t, sc.name+".txt", s.ASCII())
		})
	}
}

// TestDiagramDOTParses feeds every DOT rendering to Graphviz, when it is
// installed.
func TestDiagramDOTParses(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz dot is not installed")
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			cmd := exec.Command(dot, "-Tsvg")
			cmd.Stdin = strings.NewReader(sc.build(t).Snapshot().DOT())
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("dot -Tsvg: %v\n%s", err, out)
			}
		})
	}
}

// The diagrams of a runlet that was never attached are empty, valid ones.
func TestDiagramNew(t *testing.T) {
	s := runlet.New(nil, runlet.Config{}).Snapshot()
	if got, want := s.Mermaid(), "flowchart LR\n"; got != want {
		t.Errorf("Mermaid = %q, want %q", got, want)
	}
	if got, want := s.DOT(), "digraph runlet {\n\trankdir=LR;\n\tnode [shape=box];\n}\n"; got != want {
		t.Errorf("DOT = %q, want %q", got, want)
	}
	if got, want := s.ASCII(), "runlet new\n"; got != want {
		t.Errorf("ASCII = %q, want %q", got, want)
	}
}

// A pend with several producers and several consumers gives an edge from
// each producer to each consumer, in chip order.
func TestDiagramMergeAndSplit(t *testing.T) {
	var a, b []int
	mid := ip(pool.New("p", pool.Unlimited), "mid")
	r := runlet.New([]chip.Chip{
		chip.FromSlice("one", mid, []int{1}),
		chip.FromSlice("two", mid, []int{2}),
		chip.Collect("x", mid, &a),
		chip.Collect("y", mid, &b),
	}, runlet.Config{})
	if err := r.Attach(); err != nil {
		t.Fatal(err)
	}
	got := r.Snapshot().ASCII()
	want := `runlet running
chips
  one  sync  ready  input
  two  sync  ready  input
  x    sync  ready  output
  y    sync  ready  output
pool p 0/- high 0
  [one] --mid 0--> [x]
  [one] --mid 0--> [y]
  [two] --mid 0--> [x]
  [two] --mid 0--> [y]
`
	if got != want {
		t.Errorf("ASCII:\n%s\nwant:\n%s", got, want)
	}
}

// The snapshot encodes to JSON with the documented field names (a golden
// file), decodes back to an equal value, and the decoded value renders the
// same Describe text and diagrams: a tool with only the JSON sees what the
// runlet shows.
func TestSnapshotJSON(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.build(t)
			s := r.Snapshot()
			data, err := json.MarshalIndent(s, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			// The golden file pins the field names and the state, not the
			// counters, which change with any change to the scheduler.
			pinned := s
			pinned.Stats = runlet.Stats{}
			pdata, err := json.MarshalIndent(pinned, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, sc.name+".json", string(pdata)+"\n")
			var back runlet.Snapshot
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, s) {
				t.Errorf("decoded snapshot differs:\n got %+v\nwant %+v", back, s)
			}
			if got, want := back.String(), r.Describe(); got != want {
				t.Errorf("decoded String():\n%s\nDescribe():\n%s", got, want)
			}
			if back.Mermaid() != s.Mermaid() || back.DOT() != s.DOT() || back.ASCII() != s.ASCII() {
				t.Error("the decoded snapshot draws another graph")
			}
		})
	}
}

func chipStates(s runlet.Snapshot) map[string]string {
	m := map[string]string{}
	for _, c := range s.Chips {
		m[c.Key] = c.State
	}
	return m
}

// ChipSnapshot.State follows the scheduler: ready before the first run,
// wait-data and wait-room as the chip waits, busy while async work is in
// flight, ended after END, stopped when the runlet stopped first.
func TestSnapshotChipStates(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	p := pool.New("p", pool.Unlimited)
	inPend, mid, outPend := ip(p, "in"), ip(p, "mid"), ip(p, "out")
	r := runlet.New([]chip.Chip{
		chip.ParallelMap("slow", inPend, mid, 1, func(_ context.Context, v int) (int, error) {
			started <- struct{}{}
			<-release
			return v, nil
		}),
		chip.Map("fast", mid, outPend, func(v int) (int, error) { return v, nil }),
	}, runlet.Config{})
	in, err := runlet.PendInput(r, inPend)
	if err != nil {
		t.Fatal(err)
	}
	out, err := runlet.PendOutput(r, outPend)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Attach(); err != nil {
		t.Fatal(err)
	}
	s := r.Snapshot()
	if got := chipStates(s); got["slow"] != runlet.ChipReady || got["fast"] != runlet.ChipReady {
		t.Errorf("before Trigger: %v, want both ready", got)
	}
	if got, want := s.Pools[0].PendInputs, []string{"in"}; !reflect.DeepEqual(got, want) {
		t.Errorf("PendInputs = %q, want %q", got, want)
	}
	if got, want := s.Pools[0].PendOutputs, []string{"out"}; !reflect.DeepEqual(got, want) {
		t.Errorf("PendOutputs = %q, want %q", got, want)
	}
	r.Trigger()
	if got := chipStates(r.Snapshot()); got["slow"] != runlet.ChipWaitData || got["fast"] != runlet.ChipWaitData {
		t.Errorf("after Trigger with no input: %v, want both wait-data", got)
	}
	if err := in.Push(hints.Data(7)); err != nil {
		t.Fatal(err)
	}
	<-started
	if got := chipStates(r.Snapshot()); got["slow"] != runlet.ChipBusy {
		t.Errorf("while the worker runs: %v, want slow busy", got)
	}
	close(release)
	pk, err := out.PullWait(context.Background())
	if err != nil || pk.Value != 7 {
		t.Fatalf("PullWait = %v, %v; want 7", pk, err)
	}
	if err := in.PushWait(context.Background(), hints.EndOf[int](1)); err != nil {
		t.Fatal(err)
	}
	if pk, err := out.PullWait(context.Background()); err != nil || pk.Hint != hints.End {
		t.Fatalf("PullWait = %v, %v; want END", pk, err)
	}
	if got := chipStates(r.Snapshot()); got["slow"] != runlet.ChipEnded || got["fast"] != runlet.ChipEnded {
		t.Errorf("after END: %v, want both ended", got)
	}

	// Detached before it ended: stopped.
	d := midFlight(t)
	if got := chipStates(d.Snapshot()); got["read"] != runlet.ChipWaitRoom || got["upper"] != runlet.ChipWaitRoom {
		t.Errorf("mid-flight: %v, want both wait-room", got)
	}
	if got := chipStates(d.Detach()); got["read"] != runlet.ChipStopped || got["upper"] != runlet.ChipStopped {
		t.Errorf("after Detach: %v, want both stopped", got)
	}
}
