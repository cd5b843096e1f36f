package runlet_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRestartDropsPendingCasts checks that a cast queued on a chip that is
// then restarted never runs, on the old state or the new one, and is
// counted; a cast queued after the restart runs on the fresh state.
func TestRestartDropsPendingCasts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type st struct{ factor, seen int }
		p := pool.New("p", 64)
		nums, out := pool.NewPend[int](p, "nums"), pool.NewPend[int](p, "out")
		var r *runlet.Runlet
		failed, ranOld := false, false
		var got []int
		scale := chip.New(chip.Config[int, int, st]{
			Key: "scale", Prev: nums, Next: out,
			State: func() st { return st{factor: 10} },
			Process: func(_ context.Context, in hints.Pack[int], s *st) (hints.Pack[int], error) {
				if in.Hint == hints.End {
					return in, nil
				}
				s.seen++
				if in.Value == 3 && !failed {
					failed = true
					// Queued now, due before the chip's next burst: the
					// restart comes first and drops it.
					require.NoError(t, runlet.Cast(r, "scale", func(s *st) { ranOld = true; s.factor = 1000 }))
					return hints.Pack[int]{}, errors.New("boom")
				}
				if in.Value == 4 {
					require.NoError(t, runlet.Cast(r, "scale", func(s *st) { s.factor = 100 }))
				}
				return hints.Data(in.Value * s.factor), nil
			},
		}).Supervised(chip.Supervise{Restart: chip.Transient})
		r = runlet.New([]chip.Chip{
			chip.FromSlice("src", nums, []int{1, 2, 3, 4, 5}),
			scale,
			chip.Collect("sink", out, &got),
		}, runlet.Config{Budget: 1, Supervisor: runlet.Supervisor{MaxRestarts: 3}})
		require.NoError(t, r.Run(context.Background()))
		assert.False(t, ranOld, "the cast pending at the restart ran")
		// 3 is re-offered to the fresh state (factor 10); the cast made
		// while processing 4 applies from 5 on.
		assert.Equal(t, []int{10, 20, 30, 40, 500}, got)
		var dropped uint64
		for _, c := range r.Snapshot().Chips {
			if c.Key == "scale" {
				dropped = c.CastsDropped
				assert.Equal(t, 1, c.Restarts)
			}
		}
		assert.EqualValues(t, 1, dropped)
	})
}
