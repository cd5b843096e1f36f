package hud

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// BottleneckMark marks the bottleneck chip in the diagram and the table.
const BottleneckMark = "⚠ BOTTLENECK"

var (
	boxStyle    = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("6"))
	selStyle    = lipgloss.NewStyle().Border(lipgloss.DoubleBorder()).BorderForeground(lipgloss.Color("14"))
	hotStyle    = lipgloss.NewStyle().Border(lipgloss.ThickBorder()).BorderForeground(lipgloss.Color("9"))
	paneStyle   = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("8"))
	titleStyle  = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("10"))
	hotText     = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("9"))
	dimText     = lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
	markText    = lipgloss.NewStyle().Foreground(lipgloss.Color("11"))
	selRowStyle = lipgloss.NewStyle().Reverse(true)
)

// View draws the screen: a header (the flow's state, elapsed time,
// progress, bottleneck), the flow diagram on the left, the chips' table
// (or the selected chip's details) on the right, the log pane at the
// bottom and the keys.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = m.cfg.Title
	return v
}

// Render is View's text, with its styles (ANSI sequences): what the
// terminal shows.
func (m *Model) Render() string {
	w, h := max(m.width, 60), max(m.height, 20)
	logH := min(max(h/5, 4), 10)
	bodyH := h - logH - 2 - 2 - 2 // header, keys, the panes' borders
	leftW := min(max(w/3, 30), 46)
	rightW := w - leftW - 4

	left := paneStyle.Render(fit(m.diagram(leftW, bodyH), leftW, bodyH))
	var right string
	if m.details {
		right = ansi.Wrap(m.detailsText(), rightW, "")
	} else {
		right = m.table()
	}
	right = paneStyle.Render(fit(right, rightW, bodyH))
	logs := paneStyle.Render(fit(strings.Join(m.logs.Lines(logH), "\n"), w-2, logH))
	return lipgloss.JoinVertical(lipgloss.Left,
		ansi.Truncate(m.header(), w, "…"),
		lipgloss.JoinHorizontal(lipgloss.Top, left, right),
		logs,
		dimText.Render(ansi.Truncate(Keys, w, "…")))
}

// fit cuts or pads s to w columns and h lines.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		l = ansi.Truncate(l, w, "…")
		lines[i] = l + strings.Repeat(" ", max(w-ansi.StringWidth(l), 0))
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines, "\n")
}

// header is the first line: title, state, elapsed, progress, bottleneck.
func (m *Model) header() string {
	s := m.snap
	if !m.have {
		return titleStyle.Render(m.cfg.Title) + " · waiting for a snapshot"
	}
	state := strings.ToUpper(s.State)
	if s.Paused {
		state += " (PAUSED)"
	}
	parts := []string{titleStyle.Render(m.cfg.Title), state}
	if f := s.Flow; f != nil {
		parts = append(parts, f.Elapsed.Round(100*time.Millisecond).String())
		if p := f.Progress; p != nil {
			pp := fmt.Sprintf("%s %d/%d %s (%.0f%%)", bar(p.Fraction(), 16), p.Done, p.Total, p.Unit, 100*p.Fraction())
			if p.ETA > 0 {
				pp += " eta " + p.ETA.Round(100*time.Millisecond).String()
			}
			parts = append(parts, pp)
		}
		if b := f.Bottleneck; b != nil {
			parts = append(parts, hotText.Render(fmt.Sprintf("%s: %s (load %.0f%%)", BottleneckMark, b.Chip, 100*b.Load)))
		}
	} else {
		parts = append(parts, "statistics off (runlet.Config.Stats)")
	}
	if s.Err != "" {
		parts = append(parts, hotText.Render("error: "+s.Err))
	}
	if m.srcErr != nil {
		parts = append(parts, hotText.Render(m.srcErr.Error()))
	}
	return strings.Join(parts, " · ")
}

// bottleneck returns the bottleneck chip's key, or "".
func (m *Model) bottleneck() string {
	if f := m.snap.Flow; f != nil && f.Bottleneck != nil {
		return f.Bottleneck.Chip
	}
	return ""
}

// diagram draws the chips top to bottom as boxes in the order given to
// New, each followed by the pend it pushes into: a fill bar of its packs
// over its capacity, its high-water mark over the window, and a mark that
// moves down while packs go through.
func (m *Model) diagram(w, h int) string {
	var b strings.Builder
	hot := m.bottleneck()
	for i, c := range m.snap.Chips {
		style := boxStyle
		switch {
		case i == m.sel:
			style = selStyle
		case c.Key == hot:
			style = hotStyle
		}
		line := fmt.Sprintf("%s %s", selMark(i == m.sel), c.Key)
		if c.Key == hot {
			line += " " + hotText.Render(BottleneckMark)
		}
		line += dimText.Render(" " + c.State)
		if c.Stats != nil {
			line += " " + rate(c.Stats.InRate)
		}
		b.WriteString(style.Render(fit(line, w-4, 1)))
		b.WriteByte('\n')
		fill, ok := m.pendFill(c.NextPool, c.NextPend)
		if !ok {
			continue // an output chip (or a pend of no queue pool)
		}
		g1, g2 := "│", "▼"
		if m.moving[c.Key] {
			if m.frame%2 == 0 {
				g1 = markText.Render("•")
			} else {
				g2 = markText.Render("•")
			}
		}
		fmt.Fprintf(&b, "   %s %s %s\n   %s\n", g1, c.NextPend, fill, g2)
	}
	if len(m.snap.Chips) == 0 {
		b.WriteString("no chips yet")
	}
	return b.String()
}

// pendFill is a pend's fill bar, "▕███░░░░░░░▏ 12/64 hi 40", from the
// pool snapshot and the statistics' samples; ok is false for a pend that
// is in no queue pool the snapshot shows (an output chip's).
func (m *Model) pendFill(poolKey, pendKey string) (fill string, ok bool) {
	packs, capacity := -1, 0
	for _, p := range m.snap.Pools {
		if p.Key != poolKey {
			continue
		}
		for _, ps := range p.Pends {
			if ps.Key == pendKey {
				packs = ps.Packs
				capacity = ps.Limit
				if capacity <= 0 {
					capacity = max(ps.Private, p.Limit)
				}
			}
		}
	}
	if packs < 0 {
		return "", false
	}
	s := fmt.Sprintf("%d", packs)
	if capacity > 0 {
		s = bar(float64(packs)/float64(capacity), 10) + fmt.Sprintf(" %d/%d", packs, capacity)
	}
	if f := m.snap.Flow; f != nil {
		for _, ps := range f.Pends {
			if ps.Pool == poolKey && ps.Pend == pendKey {
				hi := 0
				for _, x := range ps.High {
					hi = max(hi, x)
				}
				s += fmt.Sprintf(" hi %d", hi)
			}
		}
	}
	return s, true
}

// table is the chips' table: one row per chip, with its workers.
func (m *Model) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %-14s %-10s %7s %8s %8s %9s %8s %5s %4s\n", "CHIP", "STATE", "WORKERS", "IN/S", "OUT/S", "IN", "P95", "LOAD", "ERR")
	hot := m.bottleneck()
	for i, c := range m.snap.Chips {
		wk := "sync"
		if c.Async {
			wk = fmt.Sprintf("%d/%d", inFlight(c.Running), c.Concurrency)
		}
		row := fmt.Sprintf("%s %-14s %-10s %7s", selMark(i == m.sel), ansi.Truncate(c.Key, 14, "…"), c.State, wk)
		if st := c.Stats; st != nil {
			row += fmt.Sprintf(" %8s %8s %9d %8s %4.0f%% %4d", rate(st.InRate), rate(st.OutRate), st.In, dur(st.Latency.P95), 100*st.Load, st.Errors)
		} else {
			row += dimText.Render("   (no statistics)")
		}
		if c.Key == hot {
			row += " " + hotText.Render("⚠")
		}
		if i == m.sel {
			row = selRowStyle.Render(ansi.Strip(row))
		}
		b.WriteString(row + "\n")
	}
	b.WriteString(dimText.Render(fmt.Sprintf("\nhits %d · hit rate %.2f", m.snap.Stats.Hits, m.snap.Stats.HitRate())))
	return b.String()
}

// detailsText is the selected chip's details.
func (m *Model) detailsText() string {
	if m.sel >= len(m.snap.Chips) {
		return "no chip selected"
	}
	c := m.snap.Chips[m.sel]
	var b strings.Builder
	fmt.Fprintf(&b, "%s  (esc: back to the table)\n\n", titleStyle.Render("chip "+c.Key))
	kind := "sync"
	if c.Async {
		kind = fmt.Sprintf("async, %d workers, %d in flight", c.Concurrency, inFlight(c.Running))
	}
	fmt.Fprintf(&b, "kind      %s\nreads     %s\npushes    %s\nstate     %s", kind, orDash(c.Prev), orDash(c.Next), c.State)
	if c.Running != "" {
		fmt.Fprintf(&b, " (holds %s)", c.Running)
	}
	if c.Key == m.bottleneck() {
		fmt.Fprintf(&b, "\n%s  %s", hotText.Render(BottleneckMark), m.snap.Flow.Bottleneck.Reason)
	}
	if c.Note != "" {
		fmt.Fprintf(&b, "\nnote      %s", c.Note)
	}
	st := c.Stats
	if st == nil {
		b.WriteString("\n\nno statistics: run with runlet.Config{Stats: true}")
		return b.String()
	}
	fmt.Fprintf(&b, "\n\npacks     in %d · out %d · errors %d · restarts %d", st.In, st.Out, st.Errors, st.Restarts)
	fmt.Fprintf(&b, "\nrates     in %s · out %s · load %.0f%%", rate(st.InRate), rate(st.OutRate), 100*st.Load)
	fmt.Fprintf(&b, "\ntime      busy %s · waiting for input %s · held back %s", dur(st.Busy), dur(st.WaitInput), dur(st.WaitRoom))
	l := st.Latency
	fmt.Fprintf(&b, "\nlatency   p50 %s · p95 %s · p99 %s · max %s (%d samples)", dur(l.P50), dur(l.P95), dur(l.P99), dur(l.Max), l.Samples)
	if p := st.Progress; p != nil {
		fmt.Fprintf(&b, "\nprogress  %s %d/%d %s", bar(p.Fraction(), 16), p.Done, p.Total, p.Unit)
	}
	if f := m.snap.Flow; f != nil {
		for _, ps := range f.Pends {
			if ps.Pool == c.NextPool && ps.Pend == c.NextPend {
				fmt.Fprintf(&b, "\nout depth %s (last %s)", spark(ps.Depth), (f.Interval * time.Duration(len(ps.Depth))).Round(time.Second))
			}
		}
	}
	return b.String()
}

// inFlight reads N from a chip's Running "RUN xN", or 0.
func inFlight(running string) int {
	var n int
	if _, err := fmt.Sscanf(running, "RUN x%d", &n); err != nil {
		return 0
	}
	return n
}

func selMark(on bool) string {
	if on {
		return "▶"
	}
	return " "
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// bar is a fill bar of width cells for f in [0, 1].
func bar(f float64, width int) string {
	f = min(max(f, 0), 1)
	n := int(f*float64(width) + 0.5)
	return "▕" + strings.Repeat("█", n) + strings.Repeat("░", width-n) + "▏"
}

// spark draws values as a sparkline scaled to their maximum.
func spark(vs []int) string {
	const levels = "▁▂▃▄▅▆▇█"
	top := 1
	for _, v := range vs {
		top = max(top, v)
	}
	var b strings.Builder
	for _, v := range vs {
		i := v * 7 / top
		b.WriteString(string([]rune(levels)[i]))
	}
	return b.String()
}

// rate formats packs per second: "850/s", "12.3k/s", "1.20M/s".
func rate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM/s", r/1e6)
	case r >= 1e4:
		return fmt.Sprintf("%.1fk/s", r/1e3)
	default:
		return fmt.Sprintf("%.0f/s", r)
	}
}

// dur formats a duration with three significant digits, "-" for none.
func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Microsecond:
		return d.String()
	case d < time.Millisecond:
		return d.Round(10 * time.Nanosecond).String()
	case d < time.Second:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}
