package hud

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// LogHandler is a [slog.Handler] that keeps the last records as lines for
// the HUD's log pane: pass slog.New(h) as runlet.Config.Logger (and use it
// for the program's own logs). A record becomes one line, "15:04:05 LEVEL
// message key=value ...", with the attributes of WithAttrs and WithGroup.
//
// It holds at most Keep lines (the oldest are dropped); it never blocks on
// a reader, so the runlet's scheduler, which logs on its goroutine, never
// waits for the HUD. It is safe for concurrent use. Make one with
// [NewLogHandler]; the zero value is not usable.
type LogHandler struct {
	ring  *logRing
	level slog.Leveler
	attrs string // preformatted " k=v" of WithAttrs
	group string // "g." prefix of WithGroup
}

// logRing is the lines shared by a handler and those derived from it.
type logRing struct {
	mu    sync.Mutex
	keep  int
	lines []string
	total uint64 // lines ever added
	errs  uint64 // records at level Error or above
}

// NewLogHandler returns a handler that keeps the last keep lines (200 if
// keep is not positive) of records at level or above (nil: Info).
func NewLogHandler(keep int, level slog.Leveler) *LogHandler {
	if keep <= 0 {
		keep = 200
	}
	if level == nil {
		level = slog.LevelInfo
	}
	return &LogHandler{ring: &logRing{keep: keep}, level: level}
}

// Enabled reports whether level is at least the handler's level.
func (h *LogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// Handle formats r as one line and keeps it.
func (h *LogHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	if !r.Time.IsZero() {
		b.WriteString(r.Time.Format(time.TimeOnly))
		b.WriteByte(' ')
	}
	fmt.Fprintf(&b, "%-5s %s%s", r.Level, r.Message, h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, h.group, a)
		return true
	})
	h.ring.add(b.String(), r.Level >= slog.LevelError)
	return nil
}

// WithAttrs returns a handler that adds attrs to every line.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	for _, a := range attrs {
		writeAttr(&b, h.group, a)
	}
	h2 := *h
	h2.attrs += b.String()
	return &h2
}

// WithGroup returns a handler that prefixes later attributes' keys with name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group += name + "."
	return &h2
}

// Lines returns a copy of the last n lines kept (all of them if n is not
// positive or more than are kept), oldest first.
func (h *LogHandler) Lines(n int) []string {
	h.ring.mu.Lock()
	defer h.ring.mu.Unlock()
	l := h.ring.lines
	if n > 0 && n < len(l) {
		l = l[len(l)-n:]
	}
	return append([]string(nil), l...)
}

// Counts returns how many lines were ever added and how many of them were
// errors.
func (h *LogHandler) Counts() (lines, errs uint64) {
	h.ring.mu.Lock()
	defer h.ring.mu.Unlock()
	return h.ring.total, h.ring.errs
}

// note keeps a line of the HUD's own (a key's effect), stamped now.
func (h *LogHandler) note(msg string) {
	h.ring.add(time.Now().Format(time.TimeOnly)+" HUD   "+msg, false)
}

func (r *logRing) add(line string, isErr bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lines) == r.keep {
		copy(r.lines, r.lines[1:])
		r.lines = r.lines[:r.keep-1]
	}
	r.lines = append(r.lines, line)
	r.total++
	if isErr {
		r.errs++
	}
}

// writeAttr writes " group.key=value", groups flattened, empty attributes left out.
func writeAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := group
		if a.Key != "" {
			g += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			writeAttr(b, g, ga)
		}
		return
	}
	v := a.Value.String()
	if strings.ContainsAny(v, " \t\n\"=") {
		v = fmt.Sprintf("%q", v)
	}
	fmt.Fprintf(b, " %s%s=%s", group, a.Key, v)
}
