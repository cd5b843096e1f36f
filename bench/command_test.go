package bench

import (
	"context"
	"strconv"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/command"
)

// nestedRegistry holds gen N (a source of Records {"n": i}, i < N), inc (a
// stateless map: n+1, the one Map of the workload) and the alias wrap =
// "inc": the same Map run in a nested frame.
func nestedRegistry(tb testing.TB) *command.Registry {
	reg := command.NewRegistry()
	err := command.Register(reg, command.Spec{Name: "gen", Args: []command.Arg{{Name: "N", Kind: command.Int}}},
		func(s command.Stage[struct{}, command.Record]) ([]chip.Chip, error) {
			n := s.Args.Int("N", 0)
			return []chip.Chip{chip.Generate(s.Key, s.Next, func(ctx context.Context, yield func(command.Record) bool) error {
				for i := range n {
					if !yield(command.Record{"n": i}) {
						break
					}
				}
				return nil
			})}, nil
		})
	if err == nil {
		err = command.RegisterMap(reg, command.Spec{Name: "inc"}, func(command.Args) (command.MapFunc[command.Record, command.Record], error) {
			return func(_ context.Context, r command.Record) (command.Record, bool, error) {
				r["n"] = r["n"].(int) + 1 // gen's record, owned by this pipeline
				return r, true, nil
			}, nil
		})
	}
	if err == nil {
		err = reg.Alias("wrap", "inc")
	}
	if err != nil {
		tb.Fatal(err)
	}
	return reg
}

// runNested runs text, summing field n of what comes out.
func runNested(x *command.Executor, text string) (uint64, error) {
	var sum uint64
	run, err := x.Start(context.Background(), text, func(v any) error {
		sum += uint64(v.(command.Record)["n"].(int))
		return nil
	})
	if err != nil {
		return 0, err
	}
	return sum, run.Wait()
}

// BenchmarkNestedFrame is the cost of a nested frame: one Map (inc) in the
// main frame against the same Map inside an alias (wrap = "inc"), which
// runs as a SubRunlet with its own pool and two counting chips. Both read
// the same generated Records (one map allocated per item, in both); the
// difference of their ns/item is the frame's cost per item.
func BenchmarkNestedFrame(b *testing.B) {
	x := command.NewExecutor(nestedRegistry(b), command.Config{})
	want := func(n int) uint64 { return uint64(n) * uint64(n+1) / 2 }
	for _, c := range []struct{ name, text string }{
		{"Map", "gen N | inc"},
		{"AliasMap", "gen N | wrap"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var got uint64
			var err error
			text := "gen " + strconv.Itoa(b.N) + c.text[len("gen N"):]
			perItem(b, func() { got, err = runNested(x, text) })
			if err != nil {
				b.Fatal(err)
			}
			if got != want(b.N) {
				b.Fatalf("sum %d, want %d", got, want(b.N))
			}
		})
	}
}

func TestNestedFrameWorkload(t *testing.T) {
	x := command.NewExecutor(nestedRegistry(t), command.Config{})
	for _, n := range []int{0, 1, 1000} {
		for _, text := range []string{"gen " + strconv.Itoa(n) + " | inc", "gen " + strconv.Itoa(n) + " | wrap"} {
			got, err := runNested(x, text)
			if err != nil || got != uint64(n)*uint64(n+1)/2 {
				t.Fatalf("%s: %d, %v", text, got, err)
			}
		}
	}
}
