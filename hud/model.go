package hud

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/runlet/runlet/runlet"
)

// Config holds a HUD's optional settings; the zero value of each field
// means its documented default.
type Config struct {
	// Title heads the screen. Default "runlet".
	Title string
	// Refresh is how often the HUD reads a snapshot. Default 250 ms (four
	// Snapshot calls a second).
	Refresh time.Duration
	// Control, if set, is what the pause, resume and drain keys act on
	// (a *runlet.Runlet is one). Nil: a flow watched from a stream.
	Control Control
	// Logs, if set, is the log pane's handler: pass slog.New(Logs) as
	// runlet.Config.Logger. Nil: the pane shows only the HUD's own notes.
	Logs *LogHandler
	// QuitOnEnd quits the HUD as soon as the flow has settled (ended,
	// failed or detached). Off: it stays, showing the last state, until the
	// quit key, except after a drain asked from its key, which quits once
	// the flow has settled.
	QuitOnEnd bool
}

// Model is the HUD as a Bubble Tea model: [Model.Update] takes key presses,
// window sizes and its own refresh ticks, [Model.View] draws the screen
// from the latest snapshot. Use it in a program of your own, or run it
// with [Run].
//
// It reads only snapshots from its [Source], one per Refresh; it calls its
// Control only on keys. A Model is used by one goroutine (Bubble Tea's);
// make one with [New].
type Model struct {
	src  Source
	cfg  Config
	logs *LogHandler

	snap    runlet.Snapshot
	prev    map[string]uint64 // packs out per chip at the previous refresh
	moving  map[string]bool   // chips whose output moved since the previous refresh
	have    bool              // a snapshot was read
	srcErr  error
	sel     int  // the selected chip
	details bool // the selected chip's details are open
	frame   int  // refreshes so far, for the moving marks
	width   int
	height  int

	drainAsked bool
	drainErr   error
	quit       bool
}

// New returns a HUD over src. See [Config] for the settings.
func New(src Source, cfg Config) *Model {
	if cfg.Title == "" {
		cfg.Title = "runlet"
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 250 * time.Millisecond
	}
	logs := cfg.Logs
	if logs == nil {
		logs = NewLogHandler(50, nil)
	}
	return &Model{src: src, cfg: cfg, logs: logs, prev: map[string]uint64{}, moving: map[string]bool{},
		width: 120, height: 40}
}

// tickMsg asks the model to read a snapshot.
type tickMsg struct{}

// drainedMsg is Drain's result.
type drainedMsg struct{ err error }

// Init reads the first snapshot and starts the refresh ticks.
func (m *Model) Init() tea.Cmd {
	m.refresh()
	return m.tick()
}

func (m *Model) tick() tea.Cmd {
	return tea.Tick(m.cfg.Refresh, func(time.Time) tea.Msg { return tickMsg{} })
}

// Update handles a message: a key, a window size, a refresh tick or the end
// of a drain. See [Keys] for what the keys do.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tickMsg:
		m.refresh()
		if m.settled() && (m.cfg.QuitOnEnd || m.drainAsked) {
			m.quit = true
			return m, tea.Quit
		}
		return m, m.tick()
	case drainedMsg:
		m.drainErr = msg.err
		if msg.err != nil {
			m.logs.note("drain: " + msg.err.Error())
		} else {
			m.logs.note("drained")
		}
		m.refresh()
		m.quit = true
		return m, tea.Quit
	case tea.KeyPressMsg:
		return m, m.key(msg.String())
	}
	return m, nil
}

// Keys is the help line: the HUD's keys.
const Keys = "↑/↓ or k/j: chip · enter: details · p or space: pause/resume · d: drain (again: abort) · q: quit"

// key acts on one key press.
func (m *Model) key(k string) tea.Cmd {
	switch k {
	case "up", "k":
		m.sel = max(m.sel-1, 0)
	case "down", "j":
		m.sel = min(m.sel+1, max(len(m.snap.Chips)-1, 0))
	case "enter":
		m.details = !m.details
	case "esc":
		m.details = false
	case "p", "space", " ":
		m.togglePause()
	case "d":
		return m.drain()
	case "q", "ctrl+c":
		m.quit = true
		return tea.Quit
	}
	return nil
}

func (m *Model) togglePause() {
	if m.cfg.Control == nil {
		m.logs.note("a watched stream cannot be paused from here")
		return
	}
	if m.snap.Paused {
		m.cfg.Control.Resume()
		m.logs.note("resumed")
	} else {
		m.cfg.Control.Pause()
		m.logs.note("paused")
	}
	m.refresh()
}

// drain asks the Control to drain, on a goroutine of its own (Drain waits
// for the flow to end); a second press aborts, as a second Drain does.
func (m *Model) drain() tea.Cmd {
	if m.cfg.Control == nil {
		m.logs.note("a watched stream cannot be drained from here")
		return nil
	}
	if m.drainAsked {
		m.logs.note("drain again: aborting")
	} else {
		m.logs.note("draining: inputs stop, work in flight finishes")
	}
	m.drainAsked = true
	ctl := m.cfg.Control
	return func() tea.Msg { return drainedMsg{ctl.Drain(context.Background())} }
}

// refresh reads the source's latest snapshot and notes which chips moved
// packs since the previous one.
func (m *Model) refresh() {
	s, ok, err := m.src.Snapshot()
	if err != nil && m.srcErr == nil {
		m.srcErr = err
		m.logs.note(err.Error())
	}
	if !ok {
		return
	}
	m.frame++
	for _, c := range s.Chips {
		var out uint64
		if c.Stats != nil {
			out = c.Stats.Out
		}
		m.moving[c.Key] = m.have && out > m.prev[c.Key]
		m.prev[c.Key] = out
	}
	m.snap, m.have = s, true
	m.sel = min(m.sel, max(len(s.Chips)-1, 0))
}

// settled reports whether the snapshot shows a flow that has stopped.
func (m *Model) settled() bool {
	switch m.snap.State {
	case "ended", "failed", "detached":
		return true
	}
	return false
}

// Snapshot returns the snapshot the model shows.
func (m *Model) Snapshot() runlet.Snapshot { return m.snap }

// Selected returns the key of the selected chip, or "".
func (m *Model) Selected() string {
	if m.sel < len(m.snap.Chips) {
		return m.snap.Chips[m.sel].Key
	}
	return ""
}

// DrainErr returns the error of a drain asked from the drain key (nil
// before one, or when it ended the flow cleanly).
func (m *Model) DrainErr() error { return m.drainErr }

// Run runs the HUD on the terminal until the quit key, the end of ctx, or
// (see [Config.QuitOnEnd]) the end of the flow, and returns the model as it
// was last shown. It returns an error only when the terminal fails.
func Run(ctx context.Context, m *Model, opts ...tea.ProgramOption) (*Model, error) {
	p := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(ctx)}, opts...)...)
	_, err := p.Run()
	if err != nil && ctx.Err() != nil {
		err = nil // the caller ended it
	}
	if err != nil {
		return m, fmt.Errorf("hud: %w", err)
	}
	return m, nil
}
