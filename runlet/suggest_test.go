package runlet_test

import (
	"strings"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
	"github.com/stretchr/testify/require"
)

// A typo in a pend or pool key gives an error that names the chip, pool and
// pend as before, plus the name that was likely meant; nothing is suggested
// when no name is close.
func TestAttachSuggestsNearestName(t *testing.T) {
	var out sink[int]
	text := []*pool.Pool{pool.New("text", 8)}
	on := func(pend string) chip.PendRef { return chip.At("text", pend) }
	tests := []struct {
		name  string
		pools []*pool.Pool
		chips []chip.Chip
		want  []string
		not   string // a text the error must not hold
	}{
		{"pend key swapped letters", text, []chip.Chip{
			source("in", on("lines"), []int{1}),
			pass("split", on("lines"), on("wrods")),
			out.output("count", on("words")),
		}, []string{
			`pool "text": pend "wrods" has no consumer (fed by chip "split"); drain it with a chip or PendOutput (did you mean "words", which has no producer?)`,
			`pool "text": pend "words" has no producer (read by chip "count"); feed it with a chip or PendInput (did you mean "wrods", which has no consumer?)`,
		}, ""},
		{"pend key missing letter", text, []chip.Chip{
			source("in", on("lines"), []int{1}),
			out.output("count", on("line")),
		}, []string{
			`pend "lines" has no consumer (fed by chip "in"); drain it with a chip or PendOutput (did you mean "line", which has no producer?)`,
			`pend "line" has no producer (read by chip "count"); feed it with a chip or PendInput (did you mean "lines", which has no consumer?)`,
		}, ""},
		{"pool key typo", text, []chip.Chip{
			source("in", chip.At("txet", "lines"), []int{1}),
			out.output("count", on("lines")),
		}, []string{`chip "in": next lines@txet: unknown pool "txet" (did you mean "text"?)`}, ""},
		{"pend keys far apart", text, []chip.Chip{
			source("in", on("lines"), []int{1}),
			out.output("count", on("tokens")),
		}, []string{
			`pool "text": pend "lines" has no consumer (fed by chip "in"); drain it with a chip or PendOutput`,
			`pool "text": pend "tokens" has no producer (read by chip "count"); feed it with a chip or PendInput`,
		}, "did you mean"},
		{"pool key far off", text, []chip.Chip{
			source("in", chip.At("numbers", "lines"), []int{1}),
			out.output("count", on("lines")),
		}, []string{`chip "in": next lines@numbers: unknown pool "numbers"`}, "did you mean"},
		{"two candidates equally near", text, []chip.Chip{
			source("a", on("ab"), []int{1}),
			source("b", on("cb"), []int{1}),
			out.output("count", on("xb")),
		}, []string{`pend "xb" has no producer (read by chip "count"); feed it with a chip or PendInput`}, `"xb" has no producer (read by chip "count"); feed it with a chip or PendInput (`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := runlet.New(tc.pools, tc.chips, runlet.Config{}).Attach()
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

// A passive handle on a mistyped pool key is refused at once, with the pool
// that was likely meant.
func TestPassiveHandleSuggestsPool(t *testing.T) {
	r := runlet.New([]*pool.Pool{pool.New("text", 8), pool.New("numbers", 8)}, []chip.Chip{pass("c", chip.At("text", "in"), chip.At("text", "out"))}, runlet.Config{})
	_, err := runlet.PendOutput[int](r, "tex", "out")
	require.EqualError(t, err, `runlet: PendOutput: pend "out": unknown pool "tex" (did you mean "text"?)`)
	_, err = runlet.PendInput[int](r, "other", "in")
	require.EqualError(t, err, `runlet: PendInput: pend "in": unknown pool "other"`)
}
