package hud

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// fixed is a snapshot of a three-chip flow whose middle, async chip is the
// bottleneck.
func fixed() runlet.Snapshot {
	return runlet.Snapshot{
		State: "running",
		Stats: runlet.Stats{Hits: 5000},
		Chips: []runlet.ChipSnapshot{
			{Key: "src", Next: "a@p", NextPool: "p", NextPend: "a", Async: true, Concurrency: 1, State: runlet.ChipWaitRoom,
				Stats: &runlet.ChipStats{In: 4000, Out: 4000, InRate: 1200, OutRate: 1200, Load: 0.1}},
			{Key: "slow", Prev: "a@p", Next: "b@p", PrevPool: "p", PrevPend: "a", NextPool: "p", NextPend: "b",
				Async: true, Concurrency: 4, State: runlet.ChipBusy, Running: "RUN x3",
				Stats: &runlet.ChipStats{In: 3000, Out: 2990, Errors: 2, InRate: 12500, OutRate: 12400, Load: 0.97,
					Busy: 3 * time.Second, WaitInput: 10 * time.Millisecond,
					Latency: runlet.Latency{Samples: 2990, P50: 9 * time.Millisecond, P95: 12500 * time.Microsecond,
						P99: 20 * time.Millisecond, Max: 31 * time.Millisecond}}},
			{Key: "sink", Prev: "b@p", PrevPool: "p", PrevPend: "b", State: runlet.ChipWaitData,
				Stats: &runlet.ChipStats{In: 2990, InRate: 12400, Load: 0.01}},
		},
		Pools: []runlet.PoolSnapshot{{Snapshot: pool.Snapshot{Key: "p", Kind: "count", Size: 16, Limit: 64,
			Pends: []pool.PendSnapshot{pendSnap("a", 16, 32), pendSnap("b", 0, 32)}}}},
		Flow: &runlet.FlowStats{
			Elapsed: 3 * time.Second, Window: 3 * time.Second, Interval: 250 * time.Millisecond,
			Pends: []runlet.PendStats{
				{Pool: "p", Pend: "a", Depth: []int{0, 8, 16}, High: []int{0, 10, 16}},
				{Pool: "p", Pend: "b", Depth: []int{0, 1, 0}, High: []int{0, 2, 1}},
			},
			Bottleneck: &runlet.Bottleneck{Chip: "slow", Load: 0.97, Reason: "its 4 workers busy 97% of the time"},
			Progress:   &runlet.Progress{Unit: "packs", Done: 4000, Total: 8000, ETA: 3 * time.Second},
		},
	}
}

// fakeSource returns a snapshot the test sets.
type fakeSource struct {
	s   runlet.Snapshot
	err error
}

func (f *fakeSource) Snapshot() (runlet.Snapshot, bool, error) { return f.s, true, f.err }

// fakeControl records the control calls and sets the source's Paused.
type fakeControl struct {
	src     *fakeSource
	calls   []string
	drained chan struct{}
}

func (c *fakeControl) Pause()  { c.calls = append(c.calls, "pause"); c.src.s.Paused = true }
func (c *fakeControl) Resume() { c.calls = append(c.calls, "resume"); c.src.s.Paused = false }
func (c *fakeControl) Drain(context.Context) error {
	c.calls = append(c.calls, "drain")
	c.src.s.State = "ended"
	return nil
}

func newFixed(t *testing.T) (*Model, *fakeSource, *fakeControl) {
	t.Helper()
	src := &fakeSource{s: fixed()}
	ctl := &fakeControl{src: src}
	m := New(src, Config{Title: "test", Control: ctl})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	return m, src, ctl
}

// screen is the model's view as plain text.
func screen(m *Model) string { return ansi.Strip(m.View().Content) }

// press sends one key.
func press(m *Model, k string) tea.Cmd {
	var msg tea.KeyPressMsg
	switch k {
	case "up":
		msg = tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		msg = tea.KeyPressMsg{Code: tea.KeyDown}
	case "enter":
		msg = tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		msg = tea.KeyPressMsg{Code: tea.KeyEscape}
	default:
		msg = tea.KeyPressMsg{Code: rune(k[0]), Text: k}
	}
	_, cmd := m.Update(msg)
	return cmd
}

// row returns the table's line for chip key.
func row(t *testing.T, s, key string) string {
	t.Helper()
	for l := range strings.Lines(s) {
		if i := strings.Index(l, "││"); i >= 0 && strings.Contains(l[i:], " "+key+" ") {
			return l[i:]
		}
	}
	t.Fatalf("no table row for %q in\n%s", key, s)
	return ""
}

func TestViewShowsDiagramTableAndBottleneck(t *testing.T) {
	m, _, _ := newFixed(t)
	s := screen(m)
	lines := strings.Split(s, "\n")
	require.Len(t, lines, 48, "the screen fills the window")
	for _, l := range lines {
		assert.LessOrEqual(t, ansi.StringWidth(l), 160, "no line wider than the window: %q", l)
	}
	assert.Contains(t, lines[0], "RUNNING")
	assert.Contains(t, lines[0], "4000/8000 packs (50%)")
	assert.Contains(t, lines[0], BottleneckMark+": slow (load 97%)")
	// The diagram: the bottleneck's box carries the mark; the edge of pend
	// a shows its fill (16 of 32) and high-water mark.
	assert.Contains(t, s, "slow "+BottleneckMark)
	assert.Contains(t, s, "a ▕█████░░░░░▏ 16/32 hi 16")
	assert.Contains(t, s, "b ▕░░░░░░░░░░▏ 0/32 hi 2")
	assert.NotContains(t, s, "sink.out", "an output chip has no edge")
	// The table: workers in flight, rates, p95, load, errors, the mark.
	slow := row(t, s, "slow")
	assert.Regexp(t, `slow\s+busy\s+3/4\s+12.5k/s\s+12.4k/s\s+3000\s+12.5ms\s+97%\s+2 ⚠`, slow)
	assert.Regexp(t, `src\s+wait-room\s+1/1|src\s+wait-room\s+0/1`, row(t, s, "src"))
	assert.NotContains(t, row(t, s, "sink"), "⚠")
	assert.Contains(t, s, "hits 5000")
}

func TestKeysSelectAndOpenDetails(t *testing.T) {
	m, _, _ := newFixed(t)
	assert.Equal(t, "src", m.Selected())
	assert.Contains(t, row(t, screen(m), "src"), "▶")
	press(m, "up")
	assert.Equal(t, "src", m.Selected(), "up at the top stays")
	press(m, "down")
	press(m, "j")
	assert.Equal(t, "sink", m.Selected())
	press(m, "down")
	assert.Equal(t, "sink", m.Selected(), "down at the bottom stays")
	press(m, "k")
	assert.Equal(t, "slow", m.Selected())
	assert.Contains(t, row(t, screen(m), "slow"), "▶")

	press(m, "enter")
	s := screen(m)
	assert.Contains(t, s, "chip slow")
	assert.Contains(t, s, "async, 4 workers, 3 in flight")
	assert.Contains(t, s, "p50 9ms · p95 12.5ms · p99 20ms · max 31ms (2990 samples)")
	assert.Contains(t, s, "errors 2")
	assert.Contains(t, s, "its 4 workers busy 97% of the time")
	assert.Contains(t, s, "out depth ▁█▁ (last 1s)", "the next pend's depth over the samples (b: 0, 1, 0)")
	assert.NotContains(t, s, "OUT/S", "the details replace the table")
	press(m, "esc")
	assert.Contains(t, screen(m), "OUT/S")
}

func TestKeysPauseResumeDrainQuit(t *testing.T) {
	m, src, ctl := newFixed(t)
	press(m, "p")
	assert.Equal(t, []string{"pause"}, ctl.calls)
	assert.Contains(t, strings.Split(screen(m), "\n")[0], "RUNNING (PAUSED)")
	press(m, "space")
	assert.Equal(t, []string{"pause", "resume"}, ctl.calls)
	assert.NotContains(t, screen(m), "PAUSED")

	cmd := press(m, "d")
	require.NotNil(t, cmd, "drain runs as a command (Drain waits for the flow)")
	assert.Contains(t, screen(m), "draining")
	msg := cmd()
	assert.Equal(t, []string{"pause", "resume", "drain"}, ctl.calls)
	_, cmd = m.Update(msg)
	require.NotNil(t, cmd)
	assert.IsType(t, tea.QuitMsg{}, cmd(), "the HUD quits once the drain is done")
	assert.NoError(t, m.DrainErr())
	assert.Equal(t, "ended", src.s.State)

	m2, _, _ := newFixed(t)
	cmd = press(m2, "q")
	require.NotNil(t, cmd)
	assert.IsType(t, tea.QuitMsg{}, cmd())
}

func TestStreamWithoutControlSaysSo(t *testing.T) {
	src := &fakeSource{s: fixed()}
	m := New(src, Config{})
	m.Init()
	assert.Nil(t, press(m, "d"))
	press(m, "p")
	s := screen(m)
	assert.Contains(t, s, "cannot be drained from here")
	assert.Contains(t, s, "cannot be paused from here")
	assert.Contains(t, strings.Split(s, "\n")[0], "runlet", "the default title")
}

func TestMovingMarkOnlyWhilePacksMove(t *testing.T) {
	m, src, _ := newFixed(t)
	edgeA := func() string { // the two lines of pend a's edge
		ls := strings.Split(screen(m), "\n")
		for i, l := range ls {
			if strings.Contains(l, " a ▕") {
				return l[:12] + ls[i+1][:12]
			}
		}
		t.Fatal("no edge for pend a")
		return ""
	}
	m.Update(tickMsg{})
	assert.NotContains(t, edgeA(), "•", "src pushed nothing since the last refresh")
	for range 2 { // the mark moves down the edge: one line, then the next
		src.s.Chips[0].Stats.Out += 100
		m.Update(tickMsg{})
		assert.Contains(t, edgeA(), "•")
	}
	m.Update(tickMsg{})
	assert.NotContains(t, edgeA(), "•")
}

func TestQuitOnEndAndSourceError(t *testing.T) {
	src := &fakeSource{s: fixed()}
	m := New(src, Config{QuitOnEnd: true})
	m.Init()
	_, cmd := m.Update(tickMsg{})
	require.NotNil(t, cmd)
	assert.NotEqual(t, tea.QuitMsg{}, nonBlocking(cmd), "running: the next tick")
	src.s.State, src.err = "ended", ErrStreamEnded
	_, cmd = m.Update(tickMsg{})
	assert.IsType(t, tea.QuitMsg{}, cmd())
	assert.Contains(t, screen(m), "HUD   "+ErrStreamEnded.Error(), "the log pane says why")
}

// nonBlocking returns what cmd gives if it is tea.Quit, without waiting for
// a tick.
func nonBlocking(cmd tea.Cmd) tea.Msg {
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		return msg
	case <-time.After(50 * time.Millisecond):
		return nil // a tick, still waiting
	}
}

// pendSnap is a queue pend's snapshot holding packs of limit.
func pendSnap(key string, packs, limit int) pool.PendSnapshot {
	return pool.PendSnapshot{Key: key, Size: packs, Private: 8, Limit: limit, Packs: packs}
}
