package runlet_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/logicalpool"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
	"github.com/stretchr/testify/require"
)

// A panicking Map chip keyed "parse" fails Run with exactly the one line
// the issue asks for; the stack is on the PanicError, and %+v prints it.
func TestPanicErrorText(t *testing.T) {
	p := pool.New(pk, 4)
	lines, n := sp(p, "lines"), ip(p, "n")
	r := runlet.New([]chip.Chip{
		chip.FromSlice("in", lines, []string{"a"}),
		chip.Map("parse", lines, n, func(string) (int, error) { panic("bad line") }),
		chip.Collect("out", n, new([]int)),
	}, runlet.Config{})
	err := r.Run(context.Background())
	require.EqualError(t, err, `runlet: chip "parse": panic: bad line`)
	var pe *chip.PanicError
	require.True(t, errors.As(err, &pe))
	require.Equal(t, "bad line", pe.Value)
	full := fmt.Sprintf("%+v", pe)
	require.True(t, strings.HasPrefix(full, "panic: bad line\n\n"), full)
	require.Contains(t, full, "goroutine")
}

// The value types users print read as Describe prints them.
func TestValueStrings(t *testing.T) {
	st := runlet.Stats{Hits: 3, StatMiss: 1, PushMiss: 0, PullMiss: 0}
	require.Equal(t, "hitRate=0.7500 hits=3 statMiss=1 pushMiss=0 pullMiss=0", st.String())
	require.Equal(t, "hitRate=0.0000 hits=0 statMiss=0 pushMiss=0 pullMiss=0", runlet.Stats{}.String())

	c := runlet.ChipSnapshot{Key: "split", Running: "RUN x3", Prev: "lines@text", Next: "words@text", Async: true, Concurrency: 4, Note: "seen 7"}
	require.Equal(t, "#split [RUN x3] lines@text >> words@text async(4) seen 7", c.String())
	c.Async, c.Note, c.Running = false, "", ""
	require.Equal(t, "#split [] lines@text >> words@text", c.String())

	pd := pool.PendSnapshot{Key: "words", Size: 3, Private: 1, Limit: 3, Queued: []string{`"GO"|-|IDLE`, `"POOL"|-|IDLE`}}
	require.Equal(t, `-words 3,1P ["GO"|-|IDLE, "POOL"|-|IDLE] limit=3`, pd.String())
	pd.Limit, pd.Queued = -1, nil
	require.Equal(t, "-words 3,1P []", pd.String())

	ps := pool.Snapshot{Key: "text", Kind: "count", Size: 3, Limit: 4, High: 4, Pends: []pool.PendSnapshot{{Key: "lines", Limit: -1}}}
	require.Equal(t, "@text 3/4 high=4\n -lines 0,0P []", ps.String())
	ps.Kind, ps.Limit = "bytes", -1
	require.Equal(t, "@text 3/- high=4 bytes\n -lines 0,0P []", ps.String())
	require.Equal(t, "@runlet:pool:io", pool.Snapshot{Key: "runlet:pool:io", Kind: "io"}.String())

	rp := runlet.PoolSnapshot{Snapshot: ps, PullWake: []string{"read", "upper"}, PushWake: map[string][]string{"lines": {"upper"}}}
	require.Equal(t, "@text 3/- pullWake[read,upper] high=4 bytes\n -lines 0,0P [] pushWake[upper]", rp.String())

	require.Equal(t, "count", pool.Count.String())
	require.Equal(t, "bytes", pool.Bytes.String())
	require.Equal(t, "Kind(9)", pool.Kind(9).String())

	require.Equal(t, "(ada, 36)", logicalpool.Pair[string, int]{A: "ada", B: 36}.String())
	require.Equal(t, "RoundRobin", logicalpool.RoundRobin.String())
	require.Equal(t, "LeastFilled", logicalpool.LeastFilled.String())
	require.Equal(t, "Strategy(7)", logicalpool.Strategy(7).String())
}

// Every line of a real Describe has one of the forms its doc comment
// documents, the whole text is the Snapshot's parts' String methods joined,
// and one line of each kind shows up.
func TestDescribeMatchesDocumentedFormat(t *testing.T) {
	text := pool.New("text", 4)
	byteP := pool.NewBytes("raw", pool.Unlimited)
	lines, words := sp(byteP, "lines"), sp(text, "words").Size(1, 3)
	var r *runlet.Runlet
	var seen string
	r = runlet.New([]chip.Chip{
		chip.FromSlice("read", lines, []string{"go", "pool", "runlet", "x", "y", "z"}),
		chip.Map("upper", lines, words, func(s string) (string, error) {
			return strings.ToUpper(s), nil
		}),
		chip.New(chip.Config[string, struct{}, struct{}]{
			Key: "look", Prev: words, Async: true, Concurrency: 2,
			Process: func(_ context.Context, in hints.Pack[string], _ *struct{}) (hints.Pack[struct{}], error) {
				if in.Hint == hints.End {
					seen = r.Describe()
					return hints.EndOf[struct{}](1), nil
				}
				return hints.SkipOf[struct{}](), nil
			},
		}),
	}, runlet.Config{})
	require.NoError(t, r.Run(context.Background()))
	forms := map[string]*regexp.Regexp{
		"state": regexp.MustCompile(`^(\[DETACHED\]|\[FAILED\] .*|\[ENDED\]|\[PAUSED\])$`),
		"stat":  regexp.MustCompile(`^stat: hitRate=\d\.\d{4} hits=\d+ statMiss=\d+ pushMiss=\d+ pullMiss=\d+$`),
		"chip":  regexp.MustCompile(`^#[^ ]+ \[[^\]]*\] [^ ]+@[^ ]+ >> [^ ]+@[^ ]+( async\(\d+\))?( .*)?$`),
		"pool":  regexp.MustCompile(`^@[^ ]+( \d+/(\d+|-) pullWake\[[^\]]*\] high=\d+( (bytes|logical))?)?$`),
		"pend":  regexp.MustCompile(`^ -[^ ]+ \d+,\d+P \[.*\] pushWake\[[^\]]*\]( limit=\d+)?$`),
	}
	for _, desc := range []string{seen, r.Describe()} {
		kinds := map[string]int{}
		for line := range strings.Lines(desc) {
			line = strings.TrimSuffix(line, "\n")
			matched := ""
			for k, re := range forms {
				if re.MatchString(line) {
					matched = k
				}
			}
			require.NotEmpty(t, matched, "line %q has no documented form in\n%s", line, desc)
			kinds[matched]++
		}
		require.Equal(t, 1, kinds["stat"], desc)
		require.Equal(t, 3, kinds["chip"], desc)
		require.Equal(t, 3, kinds["pool"], desc) // text, raw, and the IO pool
		require.Equal(t, 2, kinds["pend"], desc)
	}
	require.Contains(t, seen, " async(2)")
	require.Regexp(t, `(?m)^@raw \d+/- pullWake\[[^\]]*\] high=\d+ bytes$`, seen)
	require.Contains(t, seen, " limit=3")

	s := r.Snapshot()
	parts := []string{"[ENDED]", "stat: " + s.Stats.String()}
	for _, c := range s.Chips {
		parts = append(parts, c.String())
	}
	for _, p := range s.Pools {
		parts = append(parts, p.String())
	}
	require.Equal(t, strings.Join(parts, "\n"), r.Describe())
}
