package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// # Logging (Config.Logger)
//
// The runlet logs its lifecycle, never a pack: "runlet start" (Info, with
// the number of chips), "runlet end" (Info after a clean end, Error after a
// failure, Warn after Detach or ctx: with the state, process calls and the
// duration), "chip failed" (Error, the first error, with the chip),
// "later error" (Warn, each error after the first, with the chip when one
// is named), "runlet stalled" (Error, with the chips that wait) and
// "runlet drain" (Info). Every record has the attribute "runlet" (Config.Name).
// The records of the scheduler are made under its lock, at most a few per
// run, so a logger costs nothing per pack.

// logAttr is the runlet's attribute.
func (r *Runlet) logAttr() slog.Attr { return slog.String("runlet", r.cfg.Name) }

// log makes one record if a Logger is set.
func (r *Runlet) log(level slog.Level, msg string, args ...any) {
	l := r.cfg.Logger
	if l == nil || !l.Enabled(context.Background(), level) {
		return
	}
	l.LogAttrs(context.Background(), level, msg, append([]slog.Attr{r.logAttr()}, argsToAttrs(args)...)...)
}

// argsToAttrs turns key-value pairs (string keys) into attributes.
func argsToAttrs(args []any) []slog.Attr {
	var attrs []slog.Attr
	for i := 0; i+1 < len(args); i += 2 {
		attrs = append(attrs, slog.Any(args[i].(string), args[i+1]))
	}
	return attrs
}

func (r *Runlet) logStart() {
	r.log(slog.LevelInfo, "runlet start", "chips", len(r.chips))
}

// logEnd logs the end of Run, which took d.
func (r *Runlet) logEnd(d time.Duration) {
	if r.cfg.Logger == nil {
		return
	}
	s := r.Snapshot()
	level := slog.LevelInfo
	err := r.Err()
	switch {
	case err == nil:
	case errors.Is(err, ErrDetached) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		level = slog.LevelWarn
	default:
		level = slog.LevelError
	}
	args := []any{"state", s.State, "hits", s.Stats.Hits, "duration", d}
	if err != nil {
		args = append(args, "err", err)
	}
	if s.Flow != nil {
		var out uint64
		for _, c := range s.Chips {
			if c.Stats != nil && c.NextPool == IOKey {
				out += c.Stats.In
			}
		}
		args = append(args, "output_packs", out)
		if b := s.Flow.Bottleneck; b != nil {
			args = append(args, "bottleneck", b.Chip)
		}
	}
	r.log(level, "runlet end", args...)
}

func (r *Runlet) logFirstError(i int32, err error) {
	r.log(slog.LevelError, "chip failed", "chip", r.slots[i].key, "err", err)
}

func (r *Runlet) logLaterError(err error) {
	if ce := (*ChipError)(nil); errors.As(err, &ce) {
		r.log(slog.LevelWarn, "later error", "chip", ce.Chip, "err", err)
		return
	}
	r.log(slog.LevelWarn, "later error", "err", err)
}

func (r *Runlet) logStall() {
	if r.cfg.Logger == nil {
		return
	}
	var waiting []string
	for i := range r.slots {
		if s := &r.slots[i]; !s.ended {
			waiting = append(waiting, s.key+":"+r.chipState(s))
		}
	}
	r.log(slog.LevelError, "runlet stalled", "waiting", waiting)
}

func (r *Runlet) logDrain() {
	r.log(slog.LevelInfo, "runlet drain")
}
