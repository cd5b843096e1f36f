package runlet_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// recorder is a slog.Handler that keeps every record's message, level and
// attributes.
type recorder struct {
	mu   sync.Mutex
	recs []rec
}

type rec struct {
	msg   string
	level slog.Level
	attrs map[string]any
}

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *recorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recorder) WithGroup(string) slog.Handler            { return h }
func (h *recorder) Handle(_ context.Context, r slog.Record) error {
	a := map[string]any{}
	r.Attrs(func(at slog.Attr) bool { a[at.Key] = at.Value.Any(); return true })
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, rec{r.Message, r.Level, a})
	return nil
}

func (h *recorder) msgs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var m []string
	for _, r := range h.recs {
		m = append(m, r.msg)
	}
	return m
}

func (h *recorder) find(msg string) (rec, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.recs {
		if r.msg == msg {
			return r, true
		}
	}
	return rec{}, false
}

// A clean run logs its start and its end, with counts and duration, and
// nothing per pack.
func TestLoggerStartEnd(t *testing.T) {
	h := &recorder{}
	p := pool.New(pk, 16)
	a := ip(p, "a")
	var s sink[int]
	r := runlet.New([]chip.Chip{chip.FromSlice("in", a, ints(1000)), s.output("out", a)},
		runlet.Config{Name: "wc", Logger: slog.New(h), Stats: true})
	mustRun(t, r)
	assert.Equal(t, []string{"runlet start", "runlet end"}, h.msgs())
	end, _ := h.find("runlet end")
	assert.Equal(t, slog.LevelInfo, end.level)
	assert.Equal(t, "wc", end.attrs["runlet"])
	assert.Equal(t, "ended", end.attrs["state"])
	assert.Equal(t, uint64(1001), end.attrs["output_packs"]) // the packs the output chip took: 1000 and END
	assert.Contains(t, end.attrs, "duration")
	assert.Contains(t, end.attrs, "hits")
	start, _ := h.find("runlet start")
	assert.Equal(t, int64(2), start.attrs["chips"])
}

// The first error is logged with its chip, the end at error level; a
// later error (a Close hook's) is logged as a later error with its chip.
func TestLoggerErrors(t *testing.T) {
	h := &recorder{}
	p := pool.New(pk, 16)
	a := ip(p, "a")
	boom := errors.New("boom")
	bad := chip.New(chip.Config[int, struct{}, struct{}]{
		Key: "bad", Prev: a,
		Process: func(context.Context, hintsPack, *struct{}) (outPack, error) { return outPack{}, boom },
		Close:   func(*struct{}) { panic("close failed") },
	})
	r := runlet.New([]chip.Chip{chip.FromSlice("in", a, ints(3)), bad}, runlet.Config{Name: "e", Logger: slog.New(h)})
	err := r.Run(context.Background())
	require.ErrorIs(t, err, boom)
	f, ok := h.find("chip failed")
	require.True(t, ok, "%v", h.msgs())
	assert.Equal(t, "bad", f.attrs["chip"])
	assert.Equal(t, "e", f.attrs["runlet"])
	assert.Equal(t, slog.LevelError, f.level)
	l, ok := h.find("later error")
	require.True(t, ok, "%v", h.msgs())
	assert.Equal(t, "bad", l.attrs["chip"])
	end, _ := h.find("runlet end")
	assert.Equal(t, slog.LevelError, end.level)
	assert.Equal(t, "failed", end.attrs["state"])
}

// A stall is logged with the chips that wait; a drain is logged.
func TestLoggerStallAndDrain(t *testing.T) {
	h := &recorder{}
	p := pool.New(pk, 4)
	a, b := ip(p, "a"), ip(p, "b")
	var s sink[int]
	r := runlet.New([]chip.Chip{source("in", a, ints(3)), swallowEnd("lost-end", a, b), s.output("out", b)},
		runlet.Config{Logger: slog.New(h)})
	require.ErrorIs(t, r.Run(context.Background()), runlet.ErrStalled)
	st, ok := h.find("runlet stalled")
	require.True(t, ok, "%v", h.msgs())
	assert.Contains(t, st.attrs["waiting"], "out:wait-data")

	h2 := &recorder{}
	in := make(chan int)
	p2 := pool.New(pk, 4)
	a2 := ip(p2, "a")
	var s2 sink[int]
	r2 := runlet.New([]chip.Chip{chip.FromChan("in", a2, in), s2.output("out", a2)}, runlet.Config{Logger: slog.New(h2)})
	done := make(chan error, 1)
	go func() { done <- r2.Run(context.Background()) }()
	in <- 1
	require.NoError(t, r2.Drain(context.Background()))
	require.NoError(t, <-done)
	assert.Equal(t, []string{"runlet start", "runlet drain", "runlet end"}, h2.msgs())
}

type (
	hintsPack = hints.Pack[int]
	outPack   = hints.Pack[struct{}]
)
