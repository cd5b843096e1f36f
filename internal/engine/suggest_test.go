package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"words", "words", 0},
		{"words", "wrods", 1}, // a swap is one edit
		{"words", "word", 1},
		{"words", "wordz", 1},
		{"text", "txet", 1},
		{"text", "tehx", 2},
		{"kitten", "sitting", 3},
		{"héllo", "hello", 1}, // by runes, not bytes
	} {
		require.Equal(t, tc.want, editDistance(tc.a, tc.b), "%q %q", tc.a, tc.b)
		require.Equal(t, tc.want, editDistance(tc.b, tc.a), "%q %q", tc.b, tc.a)
	}
}

func TestNearest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cands []string
		want  string
	}{
		{"wrods", []string{"lines", "words"}, "words"},
		{"tehx", []string{"text", "other"}, ""},                 // 2 edits is too many for 4 letters
		{"parsed", []string{"parse", "parsed2", "x"}, ""},       // two at 1 edit: no clear winner
		{"parsedd", []string{"parsed", "parse", "x"}, "parsed"}, // 1 beats 2
		{"a", []string{"b"}, "b"},                               // one edit is always allowed
		{"words", []string{"words"}, ""},                        // itself is no suggestion
		{"output", nil, ""},
		{"count", []string{"lines", "upper"}, ""},
	} {
		require.Equal(t, tc.want, nearest(tc.name, tc.cands), "nearest(%q, %q)", tc.name, tc.cands)
	}
}
