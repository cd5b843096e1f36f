package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/runlet/runlet/hints"
)

// Ready drives only an input chip's batches: Bind refuses it on a chip
// whose prev is not the IO input pend (processReady would drop what it
// pulled) or that is not async.
func TestBindReadyOnlyOnInput(t *testing.T) {
	data, io := NewPool("data", Count, 8), NewPool(IOKey, IO, 0)
	mk := func(prev string, async bool) *Func[int, int, struct{}] {
		return &Func[int, int, struct{}]{
			PrevPend: prev, NextPend: "b", Async: async,
			Process: func(_ context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) { return in, nil },
			Ready:   func(*struct{}) int { return 1 },
		}
	}
	for _, tc := range []struct {
		name  string
		prev  *Pool
		key   string
		async bool
		ok    bool
	}{
		{"input", io, InputKey, true, true},
		{"data pend", data, "a", true, false},
		{"sync input", io, InputKey, false, false},
	} {
		_, err := mk(tc.key, tc.async).Bind(Binding{Prev: tc.prev, Next: data})
		if tc.ok != (err == nil) || err != nil && !strings.Contains(err.Error(), "Ready is for async input chips only") {
			t.Errorf("%s: Bind = %v", tc.name, err)
		}
	}
}
