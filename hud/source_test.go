package hud

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// smallFlow is FromSlice(1..n) -> Map(x2) -> ForEach, with statistics and
// the handler as its logger.
func smallFlow(n int, h slog.Handler) (*runlet.Runlet, *int) {
	items := make([]int, n)
	for i := range items {
		items[i] = i + 1
	}
	sum := new(int)
	p := pool.New("p", 64)
	a, b := pool.NewPend[int](p, "a"), pool.NewPend[int](p, "b")
	r := runlet.New([]chip.Chip{
		chip.FromSlice("src", a, items),
		chip.Map("double", a, b, func(x int) (int, error) { return 2 * x, nil }),
		chip.ForEach("sum", b, func(x int) error { *sum += x; return nil }),
	}, runlet.Config{Name: "small", Stats: true, Logger: slog.New(h)})
	return r, sum
}

// await polls src until its err is set (a stream ends once its reader is
// read whole), failing after a generous bound.
func await(t *testing.T, src Source) (runlet.Snapshot, bool, error) {
	t.Helper()
	for range 5000 {
		if s, ok, err := src.Snapshot(); err != nil {
			return s, ok, err
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the stream source never reported the end of its reader")
	return runlet.Snapshot{}, false, nil
}

func TestPublishThenStreamGivesTheLastSnapshot(t *testing.T) {
	r, sum := smallFlow(1000, NewLogHandler(0, nil))
	require.NoError(t, r.Run(context.Background()))
	require.Equal(t, 1000*1001, *sum)

	var buf bytes.Buffer
	require.NoError(t, Publish(context.Background(), &buf, r, time.Hour))
	assert.Equal(t, 2, strings.Count(buf.String(), "\n"), "a settled runlet: its snapshot, then the last one")

	text := buf.String()
	s, ok, err := await(t, Stream(&buf))
	require.True(t, ok)
	require.ErrorIs(t, err, ErrStreamEnded)
	assert.Equal(t, "ended", s.State)
	require.Len(t, s.Chips, 3)
	assert.Equal(t, []string{"src", "double", "sum"}, []string{s.Chips[0].Key, s.Chips[1].Key, s.Chips[2].Key})
	require.NotNil(t, s.Chips[1].Stats)
	assert.Equal(t, uint64(1000), s.Chips[1].Stats.Out, "the statistics travel in the JSON")
	require.NotNil(t, s.Flow)
	require.NotNil(t, s.Flow.Progress)
	assert.Equal(t, int64(1000), s.Flow.Progress.Done)

	m := New(Stream(strings.NewReader(text)), Config{})
	_, _, _ = await(t, m.src)
	m.refresh()
	assert.Contains(t, screen(m), "double", "a HUD over the stream shows the flow")
	assert.Contains(t, screen(m), "1000/1000 packs (100%)")
}

func TestStreamOfSomethingElse(t *testing.T) {
	_, ok, err := await(t, Stream(strings.NewReader(`{"state": "running"} [1, 2]`)))
	assert.True(t, ok, "the first value was a snapshot")
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrStreamEnded))
	assert.Contains(t, err.Error(), "hud: reading the snapshot stream")
}

func TestPublishStopsWithCtxAndReportsWriteErrors(t *testing.T) {
	r, _ := smallFlow(10, NewLogHandler(0, nil)) // never run: Done stays open
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	require.NoError(t, Publish(ctx, &buf, r, time.Hour))
	assert.Equal(t, 1, strings.Count(buf.String(), "\n"))
	err := Publish(context.Background(), failWriter{}, r, time.Hour)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "hud: publishing a snapshot")
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestLogHandlerKeepsTheRunletsRecords(t *testing.T) {
	h := NewLogHandler(0, nil)
	r, _ := smallFlow(100, h)
	require.NoError(t, r.Run(context.Background()))
	all := strings.Join(h.Lines(0), "\n")
	assert.Contains(t, all, "INFO  runlet start runlet=small")
	assert.Contains(t, all, "runlet end runlet=small state=ended")
}

func TestLogHandlerFormatsAndBounds(t *testing.T) {
	h := NewLogHandler(3, slog.LevelInfo)
	log := slog.New(h).With("runlet", "r1").WithGroup("g")
	log.Debug("hidden")
	log.Info("one", "chip", "read", "why", "two words")
	log.Error("bad", slog.Group("sub", "k", 1))
	lines := h.Lines(0)
	require.Len(t, lines, 2, "debug is below the level")
	assert.Regexp(t, `^\d\d:\d\d:\d\d INFO  one runlet=r1 g.chip=read g.why="two words"$`, lines[0])
	assert.Regexp(t, `ERROR bad runlet=r1 g.sub.k=1$`, lines[1])
	log.Info("three")
	log.Info("four")
	assert.Equal(t, []string{"bad", "three", "four"}, msgs(h.Lines(0)), "only the last 3 are kept")
	assert.Equal(t, []string{"four"}, msgs(h.Lines(1)))
	n, errs := h.Counts()
	assert.Equal(t, uint64(4), n)
	assert.Equal(t, uint64(1), errs)
}

// msgs returns the message word of each line.
func msgs(lines []string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, strings.Fields(l)[2])
	}
	return out
}
