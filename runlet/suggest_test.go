package runlet_test

import (
	"strings"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
	"github.com/stretchr/testify/require"
)

// A typo in a pend key gives an error that names the chip, pool and pend as
// before, plus the name that was likely meant; nothing is suggested when no
// name is close. A typo in a pool key makes a pool of its own: the errors
// name both pools.
func TestAttachSuggestsNearestName(t *testing.T) {
	var out sink[int]
	text := pool.New("text", 8)
	on := func(pend string) *pool.Pend[int] { return ip(text, pend) }
	tests := []struct {
		name  string
		chips []chip.Chip
		want  []string
		not   string // a text the error must not hold
	}{
		{"pend key swapped letters", []chip.Chip{
			source("in", on("lines"), []int{1}),
			pass("split", on("lines"), on("wrods")),
			out.output("count", on("words")),
		}, []string{
			`pool "text": pend "wrods" has no consumer (fed by chip "split"); drain it with a chip or PendOutput (did you mean "words", which has no producer?)`,
			`pool "text": pend "words" has no producer (read by chip "count"); feed it with a chip or PendInput (did you mean "wrods", which has no consumer?)`,
		}, ""},
		{"pend key missing letter", []chip.Chip{
			source("in", on("lines"), []int{1}),
			out.output("count", on("line")),
		}, []string{
			`pend "lines" has no consumer (fed by chip "in"); drain it with a chip or PendOutput (did you mean "line", which has no producer?)`,
			`pend "line" has no producer (read by chip "count"); feed it with a chip or PendInput (did you mean "lines", which has no consumer?)`,
		}, ""},
		{"pool key typo", []chip.Chip{
			source("in", ip(pool.New("txet", 8), "lines"), []int{1}),
			out.output("count", on("lines")),
		}, []string{
			`pool "txet": pend "lines" has no consumer (fed by chip "in"); drain it with a chip or PendOutput`,
			`pool "text": pend "lines" has no producer (read by chip "count"); feed it with a chip or PendInput`,
		}, ""},
		{"pend keys far apart", []chip.Chip{
			source("in", on("lines"), []int{1}),
			out.output("count", on("tokens")),
		}, []string{
			`pool "text": pend "lines" has no consumer (fed by chip "in"); drain it with a chip or PendOutput`,
			`pool "text": pend "tokens" has no producer (read by chip "count"); feed it with a chip or PendInput`,
		}, "did you mean"},
		{"pool key far off", []chip.Chip{
			source("in", ip(pool.New("numbers", 8), "lines"), []int{1}),
			out.output("count", on("lines")),
		}, []string{
			`pool "numbers": pend "lines" has no consumer (fed by chip "in"); drain it with a chip or PendOutput`,
			`pool "text": pend "lines" has no producer (read by chip "count"); feed it with a chip or PendInput`,
		}, "did you mean"},
		{"two candidates equally near", []chip.Chip{
			source("a", on("ab"), []int{1}),
			source("b", on("cb"), []int{1}),
			out.output("count", on("xb")),
		}, []string{`pend "xb" has no producer (read by chip "count"); feed it with a chip or PendInput`}, `"xb" has no producer (read by chip "count"); feed it with a chip or PendInput (`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := runlet.New(tc.chips, runlet.Config{}).Attach()
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			if tc.not != "" {
				require.NotContains(t, err.Error(), tc.not)
			}
			for line := range strings.Lines(err.Error()) {
				require.NotContains(t, line, "did you mean \"\"")
			}
		})
	}
}

// A passive handle on a mistyped pend key is reported at Attach with the
// pend that was likely meant, and nothing is suggested for a key far off;
// a handle on an unnamed pend that no chip names is refused at once.
func TestPassiveHandleSuggestsPend(t *testing.T) {
	text := pool.New("text", 8)
	r := runlet.New([]chip.Chip{pass("c", ip(text, "in"), ip(text, "out"))}, runlet.Config{})
	_, err := runlet.PendOutput(r, ip(text, "otu"))
	require.NoError(t, err)
	_, err = runlet.PendInput(r, ip(text, "other"))
	require.NoError(t, err)
	err = r.Attach()
	require.Error(t, err)
	require.Contains(t, err.Error(), `pool "text": pend "otu" has no producer (read by chip "(passive output)"); feed it with a chip or PendInput (did you mean "out", which has no consumer?)`)
	require.Contains(t, err.Error(), `pool "text": pend "out" has no consumer (fed by chip "c"); drain it with a chip or PendOutput (did you mean "otu", which has no producer?)`)
	require.Contains(t, err.Error(), `pool "text": pend "other" has no consumer (fed by chip "(passive input)"); drain it with a chip or PendOutput`)
	require.Contains(t, err.Error(), `pool "text": pend "in" has no producer (read by chip "c"); feed it with a chip or PendInput`)
	for line := range strings.Lines(err.Error()) {
		if strings.Contains(line, `"other"`) || strings.Contains(line, `pend "in"`) {
			require.NotContains(t, line, "did you mean")
		}
	}

	r = runlet.New([]chip.Chip{pass("c", ip(text, "in"), ip(text, "out"))}, runlet.Config{})
	_, err = runlet.PendInput(r, ip(text, ""))
	require.EqualError(t, err, `runlet: PendInput: pend in pool "text" has no key, and no chip of the runlet names it: give it a key in pool.NewPend`)
}
