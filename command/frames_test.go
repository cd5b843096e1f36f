package command

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/runlet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAliasesThreeDeepSameAsPasted(t *testing.T) {
	reg := testRegistry(t)
	require.NoError(t, reg.Alias("a", "where status >= 500 | b"))
	require.NoError(t, reg.Alias("b", "map path '{{.path}}/x' | c"))
	require.NoError(t, reg.Alias("c", "count-by path | top 3"))
	x := NewExecutor(reg, Config{Open: memFiles(map[string]string{"access.log": accessLog(2000)})})

	nested, stats, err := runText(t, x, "lines access.log | kv | a")
	require.NoError(t, err)
	pasted, _, err := runText(t, x, "lines access.log | kv | where status >= 500 | map path '{{.path}}/x' | count-by path | top 3")
	require.NoError(t, err)
	require.Len(t, pasted, 3)
	assert.Equal(t, pasted, nested)
	assert.Equal(t, "/p", pasted[0].(Record).Text("path")[:2])

	// The frames, nested as the aliases are, with what crossed them.
	require.Len(t, stats.Frames, 1)
	fa := stats.Frames[0]
	require.Len(t, fa.Frames, 1)
	fb := fa.Frames[0]
	require.Len(t, fb.Frames, 1)
	fc := fb.Frames[0]
	assert.Equal(t, []string{"a", "b", "c"}, []string{fa.Name, fb.Name, fc.Name})
	assert.Equal(t, []int{1, 2, 3}, []int{fa.Depth, fb.Depth, fc.Depth})
	assert.EqualValues(t, 2000, fa.In)
	assert.Equal(t, fb.In, fc.In)
	assert.Less(t, fb.In, fa.In) // where dropped some
	assert.EqualValues(t, 3, fa.Out)
	assert.EqualValues(t, 3, stats.Out)
	assert.False(t, fc.Running)
	assert.Contains(t, stats.String(), "\n      c wall=")
	assert.Regexp(t, `^main wall=\S+ in=0 out=3\n  a wall=\S+ in=2000 out=3\n    b wall=`, stats.String())
}

func TestAliasCycleRefusedAtDefinition(t *testing.T) {
	reg := testRegistry(t)
	require.NoError(t, reg.Alias("a", "where status >= 500 | b"))
	require.NoError(t, reg.Alias("b", "head 3 | c")) // c not defined yet: fine
	err := reg.Alias("c", "map x y | a")
	var ce *CycleError
	require.ErrorAs(t, err, &ce)
	assert.ErrorIs(t, err, ErrCycle)
	assert.Equal(t, []string{"c", "a", "b", "c"}, ce.Path)
	assert.Contains(t, err.Error(), "c → a → b → c")
	_, defined := reg.Lookup("c")
	assert.False(t, defined, "a refused alias is not defined")

	err = reg.Alias("self", "head 1 | self")
	assert.ErrorIs(t, err, ErrCycle)
	assert.Contains(t, err.Error(), "self → self")

	// Redefining an alias so that it closes a cycle is refused too, and
	// the old definition stays.
	require.NoError(t, reg.Alias("c", "head 2"))
	assert.ErrorIs(t, reg.Alias("c", "a"), ErrCycle)
	spec, _ := reg.Lookup("c")
	assert.Equal(t, "head 2", spec.Summary)
}

func TestDepthLimitStopsRuntimeSelfExpansion(t *testing.T) {
	reg := testRegistry(t)
	// boot defines, when it runs, an alias deep = "boot": neither exists
	// as a cycle at definition (boot is a flow, its text made at run time),
	// so only the depth limit stops it.
	require.NoError(t, RegisterFlow(reg, Spec{Name: "boot"}, func(Args) (string, error) {
		if _, ok := reg.Lookup("deep"); !ok {
			if err := reg.Alias("deep", "boot"); err != nil {
				return "", err
			}
		}
		return "deep", nil
	}))
	x := NewExecutor(reg, Config{MaxDepth: 5, Open: memFiles(map[string]string{"f": "one\ntwo\n"})})
	out, stats, err := runText(t, x, "lines f | boot")
	require.ErrorIs(t, err, ErrDepth)
	var fe *FrameError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, []string{"main", "boot", "deep", "boot", "deep", "boot", "deep"}, fe.Stack)
	assert.Contains(t, err.Error(), "main → boot → deep → boot → deep → boot → deep")
	assert.Empty(t, out)
	assert.True(t, stats.Frames[0].Failed)

	// The default limit is 16.
	x = NewExecutor(reg, Config{Open: memFiles(map[string]string{"f": "one\n"})})
	_, _, err = runText(t, x, "lines f | boot")
	require.ErrorAs(t, err, &fe)
	assert.Len(t, fe.Stack, 18)
}

// registerBlock adds "block", which passes records on but waits for its ctx
// on the first one, and "slow", which takes a second (fake time) a record.
func registerBlock(t *testing.T, reg *Registry) {
	require.NoError(t, Register(reg, Spec{Name: "block"}, func(s Stage[Record, Record]) ([]chip.Chip, error) {
		return []chip.Chip{chip.New(chip.Config[Record, Record, struct{}]{Key: s.Key, Prev: s.Prev, Next: s.Next, Async: true,
			Process: func(ctx context.Context, pk hints.Pack[Record], _ *struct{}) (hints.Pack[Record], error) {
				if pk.Hint == hints.End {
					return hints.EndOf[Record](1), nil
				}
				<-ctx.Done()
				return pk, ctx.Err()
			}})}, nil
	}))
	require.NoError(t, RegisterMap(reg, Spec{Name: "slow"}, func(Args) (MapFunc[Record, Record], error) {
		return func(ctx context.Context, v Record) (Record, bool, error) {
			select {
			case <-time.After(time.Second):
				return v, true, nil
			case <-ctx.Done():
				return nil, false, ctx.Err()
			}
		}, nil
	}))
}

func TestTimeoutInNestedFrameNamesItsStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := testRegistry(t)
		registerBlock(t, reg)
		require.NoError(t, reg.Alias("a", "where line != x | b -timeout 50ms"))
		require.NoError(t, reg.Alias("b", "head 10 | c"))
		require.NoError(t, reg.Alias("c", "block"))
		x := NewExecutor(reg, Config{Timeout: time.Hour, Open: memFiles(map[string]string{"f": "1\n2\n3\n"})})
		start := time.Now()
		_, stats, err := runText(t, x, "lines f | a")
		require.ErrorIs(t, err, ErrTimeout)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		var fe *FrameError
		require.ErrorAs(t, err, &fe)
		// The deadline was b's: the stack ends there, not at c (where the
		// chip waited) nor at main (whose hour had not passed).
		assert.Equal(t, []string{"main", "a", "b"}, fe.Stack)
		assert.Contains(t, err.Error(), "frame main → a → b: command: timeout: context deadline exceeded after 50ms")
		assert.Equal(t, 50*time.Millisecond, time.Since(start))
		fb := stats.Frames[0].Frames[0]
		assert.Equal(t, "b", fb.Name)
		assert.Equal(t, 50*time.Millisecond, fb.Timeout)
		assert.True(t, fb.Failed)
	})
}

func TestTimeoutOfAFrameThatEndedInTimeDoesNotFire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := testRegistry(t)
		registerBlock(t, reg)
		// head's frame ends within its second; slow then takes 3 seconds
		// in main, past head's timeout: nothing fails.
		x := NewExecutor(reg, Config{Open: memFiles(map[string]string{"f": "1\n2\n3\n"})})
		start := time.Now()
		out, stats, err := runText(t, x, "lines f | head -timeout 1s 5 | slow -parallel 1")
		require.NoError(t, err)
		assert.Len(t, out, 3)
		assert.Equal(t, 3*time.Second, time.Since(start))
		require.Len(t, stats.Frames, 1)
		assert.Equal(t, "head", stats.Frames[0].Name)
		assert.EqualValues(t, 3, stats.Frames[0].Out)
		assert.Less(t, stats.Frames[0].Wall, time.Second)

		// The pipeline's own timeout names main.
		x = NewExecutor(reg, Config{Timeout: 2 * time.Second, Open: memFiles(map[string]string{"f": "1\n2\n3\n"})})
		_, _, err = runText(t, x, "lines f | head -timeout 1s 5 | slow -parallel 1")
		var fe *FrameError
		require.ErrorAs(t, err, &fe)
		assert.ErrorIs(t, err, ErrTimeout)
		assert.Equal(t, []string{"main"}, fe.Stack)
	})
}

func TestChipErrorInNestedFrameNamesStack(t *testing.T) {
	reg := testRegistry(t)
	boom := errors.New("boom")
	require.NoError(t, RegisterMap(reg, Spec{Name: "fail"}, func(Args) (MapFunc[Record, Record], error) {
		return func(context.Context, Record) (Record, bool, error) { return nil, false, boom }, nil
	}))
	require.NoError(t, reg.Alias("outer", "inner"))
	require.NoError(t, reg.Alias("inner", "head 5 | fail"))
	x := NewExecutor(reg, Config{Open: memFiles(map[string]string{"f": "1\n"})})
	_, _, err := runText(t, x, "lines f | outer")
	require.ErrorIs(t, err, boom)
	var fe *FrameError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, []string{"main", "outer", "inner"}, fe.Stack)
	var ce *runlet.ChipError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "2.fail", ce.Chip)
}

func TestParallelSameMultiset(t *testing.T) {
	reg := testRegistry(t)
	x := NewExecutor(reg, Config{Open: memFiles(map[string]string{"f": accessLog(5000)})})
	collect := func(text string) []string {
		out, _, err := runText(t, x, text)
		require.NoError(t, err)
		var s []string
		for _, v := range out {
			s = append(s, v.(Record).String())
		}
		return s
	}
	one := collect("lines f | kv -parallel 1 | where -parallel 1 status >= 500 | map -parallel 1 tag '{{.path}}-{{.bytes}}'")
	four := collect("lines f | kv -parallel 4 | where -parallel 4 status >= 500 | map -parallel 4 tag '{{.path}}-{{.bytes}}'")
	ordered := collect("lines f | kv -parallel 4 -ordered | where -parallel 4 -ordered status >= 500 | map -parallel 4 -ordered tag '{{.path}}-{{.bytes}}'")
	plain := collect("lines f | kv | where status >= 500 | map tag '{{.path}}-{{.bytes}}'")
	require.NotEmpty(t, plain)
	assert.Equal(t, plain, one, "one worker keeps order")
	assert.Equal(t, plain, ordered, "-ordered keeps order")
	sort.Strings(four)
	sorted := slices.Sorted(slices.Values(plain))
	assert.Equal(t, sorted, four)
	assert.Equal(t, fmt.Sprint(len(plain)), fmt.Sprint(len(four)))
}

func TestCallerCtxEndsRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := testRegistry(t)
		registerBlock(t, reg)
		require.NoError(t, reg.Alias("a", "block"))
		x := NewExecutor(reg, Config{Open: memFiles(map[string]string{"f": "1\n"})})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		run, err := x.Start(ctx, "lines f | a", func(any) error { return nil })
		require.NoError(t, err)
		err = run.Wait()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		var fe *FrameError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, []string{"main"}, fe.Stack)
		s := run.Snapshot()
		assert.False(t, s.Running)
		assert.True(t, s.Frames[0].Failed)
		assert.Equal(t, time.Second, s.Wall)
	})
}

// TestFrameBusyTime checks that with Config.Stats a frame reports how long
// its chips were busy: the nested frame's slow command takes a (fake)
// second a record, and without Stats nothing is measured.
func TestFrameBusyTime(t *testing.T) {
	for _, on := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			reg := testRegistry(t)
			registerBlock(t, reg)
			require.NoError(t, reg.Alias("s", "slow -parallel 1"))
			x := NewExecutor(reg, Config{Stats: on, Open: memFiles(map[string]string{"f": "1\n2\n3\n"})})
			out, stats, err := runText(t, x, "lines f | s")
			require.NoError(t, err)
			assert.Len(t, out, 3)
			require.Len(t, stats.Frames, 1)
			fs := stats.Frames[0]
			assert.Equal(t, "s", fs.Name)
			if !on {
				assert.Zero(t, fs.Busy)
				assert.Zero(t, stats.Busy)
				return
			}
			assert.InDelta(t, float64(3*time.Second), float64(fs.Busy), float64(10*time.Millisecond), "the slow command's three seconds")
			assert.Contains(t, stats.String(), "busy=")
		})
	}
}
