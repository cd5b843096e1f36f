package chip_test

import (
	"context"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// An async 1:N chip (a decompressor: one input chunk, many output chunks
// through REDO) keeps to its next pend's limit: its REDO run is cut at the
// room the pend had when the batch was handed out, and continues after the
// limit is checked again, so a byte pool holds about its limit, not a whole
// run's outputs.
func TestAsyncRedoRunKeepsToTheNextPendsLimit(t *testing.T) {
	const chunk, perInput, inputs = 1 << 10, 100, 3
	for _, tc := range []struct {
		name string
		p    *pool.Pool
		max  int // the most the pool may hold: limit plus a result per producer
	}{
		{"bytes", pool.NewBytes("p", 4*chunk), 4*chunk + 2*chunk},
		{"count", pool.New("p", 8), 8 + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chunks := make([][]byte, inputs)
			for i := range chunks {
				chunks[i] = make([]byte, chunk)
			}
			in, out := pool.NewPend[[]byte](tc.p, "in"), pool.NewPend[[]byte](tc.p, "out")
			expand := chip.New(chip.Config[[]byte, []byte, int]{
				Key: "expand", Prev: in, Next: out, Async: true,
				Process: func(_ context.Context, pk hints.Pack[[]byte], made *int) (hints.Pack[[]byte], error) {
					if pk.Hint == hints.End {
						return pk, nil
					}
					if *made++; *made < perInput {
						return hints.Again(pk.Value), nil
					}
					*made = 0
					return pk, nil
				},
			})
			got := 0
			err := runlet.Run(context.Background(),
				chip.FromSlice("src", in, chunks),
				expand,
				chip.ForEach("sink", out, func([]byte) error { got++; return nil }))
			if err != nil {
				t.Fatal(err)
			}
			if got != inputs*perInput {
				t.Errorf("%d outputs, want %d", got, inputs*perInput)
			}
			if h := tc.p.High(); h > tc.max {
				t.Errorf("pool high-water %d, want at most %d (limit %d)", h, tc.max, tc.p.Limit())
			}
		})
	}
}
