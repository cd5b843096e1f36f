package chip

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// The window operators below gather data values into windows and push each
// window as a []T (N:1, through SKIP; a value in several overlapping windows
// is in several slices). They share the operators' contract (see Map) and
// this one:
//
//   - Every window pushed is a new slice, owned by the downstream: one
//     allocation per window, none per value beyond it (the values of the
//     open windows are kept in one buffer, reused, that grows only to the
//     most they held at once).
//   - Memory is the values of the windows still open, and is bounded: by
//     size for [SlidingWindow], by [WindowConfig.Max] for the time windows,
//     which fail the runlet with [ErrWindowFull] rather than grow past it.
//   - Describe shows how many values the open windows hold.
//   - Bad settings (a size or step below 1, a gap that is not positive) are
//     Attach errors naming the chip.

// ErrWindowFull is the error (wrapped with the chip key and the bound) of a
// time window chip whose open windows would hold more than
// [WindowConfig.Max] values: a time window over a stream faster than its
// bound allows, or a session that never pauses.
var ErrWindowFull = errors.New("chip: window full")

// ErrLate is the error (wrapped with the chip key and the times) of an
// event-time window chip given a value for a window that has closed
// already (see [SlidingTimeWindow] and [SessionWindow] for when each
// closes). Event times may go back within the windows still open, no
// further; sort the stream upstream, or use a coarser window, if they go
// back more.
var ErrLate = errors.New("chip: value late for its window")

// DefaultWindowMax is the most values the open windows of a time window chip
// hold when [WindowConfig.Max] is 0.
const DefaultWindowMax = 1 << 16

// WindowConfig holds the optional settings of the time windows
// ([SlidingTimeWindow], [SessionWindow]); its zero value means "the clock,
// and at most DefaultWindowMax values". A WindowConfig is a plain value,
// copied by the constructors.
type WindowConfig[T any] struct {
	// EventTime, if set, gives each value's time (event time): windows then
	// close when a later value's time passes their end, or at END, never
	// on the clock alone. An error from it fails the runlet, as a panic
	// does. Nil means processing time: the clock when the value arrives,
	// and windows also close on the clock with no input, through
	// [Config.Timer]. The clock is the time package's, so it is fake under
	// testing/synctest.
	EventTime func(T) (time.Time, error)
	// Max is the most values the open windows may hold at once (0:
	// DefaultWindowMax); one more fails the runlet with [ErrWindowFull].
	Max int
}

// countState is the state of a SlidingWindow chip.
type countState[T any] struct {
	buf   []T // the oldest open window's values; capacity size once made
	skip  int // values to drop before the next window starts (step > size)
	fresh int // values in buf not yet pushed in any window
}

// SlidingWindow returns a sync chip that pushes windows of size consecutive
// data values, a new window starting every step values (N:1, through SKIP):
// with step < size the windows overlap, with step == size they tile (as
// [Batch] without maxWait), with step > size the values between two windows
// are dropped. Each window is pushed as soon as its last value arrives.
//
// At END, if some values were in no window pushed yet, the oldest open
// window is pushed with what it has (fewer than size values; the later open
// windows would hold only a part of it), then the END; so with step <= size
// every value is pushed in at least one window, and an input of fewer than
// size values is one short window. An empty input pushes just the END.
//
// Memory is at most size values; one slice per window is allocated. size
// and step must be at least 1 (Attach reports otherwise).
func SlidingWindow[T any](key string, prev *pool.Pend[T], next *pool.Pend[[]T], size, step int) *Func[T, []T, countState[T]] {
	f := New(Config[T, []T, countState[T]]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *countState[T]) (hints.Pack[[]T], error) {
			if in.Hint == hints.End {
				if s.fresh > 0 {
					w := append([]T(nil), s.buf...)
					clear(s.buf)
					*s = countState[T]{buf: s.buf[:0]}
					return hints.Pack[[]T]{Value: w, Hint: hints.Redo}, nil // then called again with the END
				}
				*s = countState[T]{}
				return hints.Pack[[]T]{Hint: hints.End}, nil
			}
			if s.skip > 0 {
				s.skip--
				return hints.Pack[[]T]{Hint: hints.Skip}, nil
			}
			if s.buf == nil {
				s.buf = make([]T, 0, size)
			}
			s.buf = append(s.buf, in.Value)
			s.fresh++
			if len(s.buf) < size {
				return hints.Pack[[]T]{Hint: hints.Skip}, nil
			}
			w := append([]T(nil), s.buf...)
			s.slide(step)
			return hints.Pack[[]T]{Value: w}, nil
		},
		Describe: func(s *countState[T]) string {
			return fmt.Sprintf("[window %d of %d]", len(s.buf), size)
		},
	})
	f.check = func() error {
		return errors.Join(atLeastOne("window size", size), atLeastOne("window step", step))
	}
	return f
}

// slide drops the first step values of the full window just pushed, which
// starts the next one.
func (s *countState[T]) slide(step int) {
	n := len(s.buf)
	if step >= n {
		s.skip = step - n
		clear(s.buf)
		s.buf, s.fresh = s.buf[:0], 0
		return
	}
	copy(s.buf, s.buf[step:])
	clear(s.buf[n-step:])
	s.buf, s.fresh = s.buf[:n-step], 0
}

// atLeastOne reports a count setting below 1.
func atLeastOne(what string, n int) error {
	if n < 1 {
		return fmt.Errorf("%s %d is below 1", what, n)
	}
	return nil
}

// positive reports a duration setting that is not positive.
func positive(what string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s %v is not positive", what, d)
	}
	return nil
}

// stamped is a value of a time window with its time.
type stamped[T any] struct {
	t time.Time
	v T
}

// timeOf returns the time of v: c.EventTime's, or the clock's.
func (c *WindowConfig[T]) timeOf(v T) (time.Time, error) {
	if c.EventTime == nil {
		return time.Now().Round(0), nil // wall time only, as Truncate gives
	}
	return c.EventTime(v)
}

// limit returns the bound on the values of the open windows.
func (c *WindowConfig[T]) limit() int {
	if c.Max == 0 {
		return DefaultWindowMax
	}
	return c.Max
}

// check reports a bad Max.
func (c *WindowConfig[T]) check() error {
	if c.Max < 0 {
		return fmt.Errorf("window max %d is negative", c.Max)
	}
	return nil
}

// full returns the error of a chip whose open windows hold max values
// already.
func full(limit int) error {
	return fmt.Errorf("%w: the open windows hold %d values, the most allowed (WindowConfig.Max)", ErrWindowFull, limit)
}

// slideState is the state of a SlidingTimeWindow chip.
type slideState[T any] struct {
	buf  []stamped[T] // the values of the open windows, in arrival order
	from time.Time    // the start of the first window still open, the next to push
	set  bool         // from is set (the zero time is a time like any other)
	mark time.Time    // the watermark: the latest time seen
	seen bool         // mark is set
	cur  stamped[T]   // the input in hand, once timed (a REDO calls again)
	held bool         // cur is set
}

// SlidingTimeWindow returns a sync chip that pushes the data values by time
// windows of length size, a new window starting every step (N:1, through
// SKIP): the windows are [k*step, k*step+size) counted from the zero
// time.Time (so a step of a minute starts them on the minute), each holding
// the values whose time falls in it, in arrival order. With step < size
// they overlap, with step == size they tile, with step > size the values
// between two windows are dropped. An empty window is never pushed.
//
// A window is pushed, in order of start, once the watermark (the latest
// time seen) reaches its end: with event time (c.EventTime) when a later
// value arrives; with the clock (c.EventTime nil) also with no input, at
// its end, through [Config.Timer]. Event times may go back, but a value
// whose window has already closed fails the runlet with [ErrLate] (so they
// may go back by less than size-step without error).
//
// At END every window still open that holds a value is pushed, in order of
// start, with what it has (REDO runs on the END pack), then the END: every
// value (but those between windows) is pushed in each of its windows. An
// empty input pushes just the END.
//
// Memory is the values of the open windows, at most c.Max (default
// [DefaultWindowMax]); one more fails the runlet with [ErrWindowFull]. One
// slice per window is allocated. size and step must be positive, c.Max not
// negative (Attach reports otherwise).
func SlidingTimeWindow[T any](key string, prev *pool.Pend[T], next *pool.Pend[[]T], size, step time.Duration, c WindowConfig[T]) *Func[T, []T, slideState[T]] {
	w := slider{size: size, step: step}
	limit := c.limit()
	cfg := Config[T, []T, slideState[T]]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *slideState[T]) (hints.Pack[[]T], error) {
			switch in.Hint {
			case hints.End:
				if len(s.buf) > 0 {
					return hints.Pack[[]T]{Value: pop(w, s), Hint: hints.Redo}, nil // then called again with the END
				}
				*s = slideState[T]{}
				return hints.Pack[[]T]{Hint: hints.End}, nil
			case hints.Skip: // the Timer's "time is up"
				s.mark, s.seen = time.Now().Round(0), true
				if due(w, s) {
					return hints.Pack[[]T]{Value: pop(w, s)}, nil // the Timer is asked again for the next
				}
				return hints.Pack[[]T]{Hint: hints.Skip}, nil
			}
			if !s.held {
				t, err := c.timeOf(in.Value)
				if err != nil {
					return hints.Pack[[]T]{}, err
				}
				s.cur, s.held = stamped[T]{t: t, v: in.Value}, true
				if !s.seen || t.After(s.mark) {
					s.mark, s.seen = t, true
				}
			}
			if due(w, s) { // the windows this value's time closed go first
				return hints.Pack[[]T]{Value: pop(w, s), Hint: hints.Redo}, nil // then called again with the value
			}
			x := s.cur
			s.cur, s.held = stamped[T]{}, false
			return hints.Pack[[]T]{Hint: hints.Skip}, add(w, s, x, limit)
		},
		Describe: func(s *slideState[T]) string {
			return fmt.Sprintf("[open windows hold %d of %d]", len(s.buf), limit)
		},
	}
	if c.EventTime == nil {
		cfg.Timer = func(s *slideState[T]) (time.Duration, bool) {
			if len(s.buf) == 0 {
				return 0, false // nothing to push: just wait for input
			}
			return time.Until(s.from.Add(size)), true
		}
	}
	f := New(cfg)
	f.check = func() error {
		return errors.Join(positive("window size", size), positive("window step", step), c.check())
	}
	return f
}

// slider is the geometry of a SlidingTimeWindow: windows [k*step,
// k*step+size).
type slider struct{ size, step time.Duration }

// first returns the start of the first window that holds t, if any holds
// it (else a start after t).
func (w slider) first(t time.Time) time.Time {
	return t.Add(-w.size).Truncate(w.step).Add(w.step) // Truncate rounds down before the zero time too
}

// due reports whether the watermark has reached the end of the next window
// to push.
func due[T any](w slider, s *slideState[T]) bool {
	return len(s.buf) > 0 && !s.from.Add(w.size).After(s.mark)
}

// pop returns the next window, [from, from+size), a new slice, and drops
// the values that no later window holds. s.buf is not empty, and every
// value in it is in that window: add keeps a value only if the first
// window holding it is the first still open (from, then), so its time is
// at least from and less than from+size, and from only grows while it is
// kept, at most to its time.
func pop[T any](w slider, s *slideState[T]) []T {
	out := make([]T, len(s.buf))
	for i, x := range s.buf {
		out[i] = x.v
	}
	s.from = s.from.Add(w.step)
	kept := s.buf[:0]
	for _, x := range s.buf {
		if !x.t.Before(s.from) {
			kept = append(kept, x)
		}
	}
	clear(s.buf[len(kept):])
	s.buf = kept
	return out
}

// add keeps x for its windows, after the windows its time closed were
// pushed: it drops a value between windows, and fails on a late one or on
// a full buffer.
func add[T any](w slider, s *slideState[T], x stamped[T], limit int) error {
	if !x.t.Before(x.t.Truncate(w.step).Add(w.size)) {
		return nil // between two windows (step > size)
	}
	// The windows the watermark closed that held a value were pushed: no
	// window starting before the first one still open may be pushed now.
	if open := w.first(s.mark); !s.set || open.After(s.from) {
		s.from, s.set = open, true
	}
	if first := w.first(x.t); first.Before(s.from) {
		return fmt.Errorf("%w: time %v is in the window from %v, closed at watermark %v",
			ErrLate, x.t.Format(time.RFC3339Nano), first.Format(time.RFC3339Nano), s.mark.Format(time.RFC3339Nano))
	}
	if len(s.buf) >= limit {
		return full(limit)
	}
	s.buf = append(s.buf, x)
	return nil
}

// sessionState is the state of a SessionWindow chip.
type sessionState[T any] struct {
	buf         []T       // the open session's values; empty when none is open
	first, last time.Time // the earliest and latest time in it
}

// SessionWindow returns a sync chip that pushes the data values by session
// (N:1, through SKIP): a session is a run of values each less than gap
// after the latest before it, and closes once gap has passed since its
// latest value. It is pushed as one slice of its values in arrival order:
// with event time (c.EventTime) when a value at least gap after its
// latest time arrives (and opens the next session); with the clock
// (c.EventTime nil) also with no input, gap after its last value, through
// [Config.Timer]. Event times may go back within the open session, or less
// than gap before it; a value at least gap before the open session's
// earliest time belongs to a session already pushed and fails the runlet
// with [ErrLate]. A session pushed is never reopened: a value that joins
// the open session is not merged with the one before, even if it is less
// than gap after it too.
//
// At END the open session, if any, is pushed (a REDO on the END pack), then
// the END. An empty input pushes just the END.
//
// Memory is the open session's values, at most c.Max (default
// [DefaultWindowMax]); one more fails the runlet with [ErrWindowFull], so a
// stream that never pauses for gap needs a Max that fits it, or a
// [SlidingTimeWindow]. One slice per session is allocated. gap must be
// positive, c.Max not negative (Attach reports otherwise).
func SessionWindow[T any](key string, prev *pool.Pend[T], next *pool.Pend[[]T], gap time.Duration, c WindowConfig[T]) *Func[T, []T, sessionState[T]] {
	limit := c.limit()
	cfg := Config[T, []T, sessionState[T]]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *sessionState[T]) (hints.Pack[[]T], error) {
			switch in.Hint {
			case hints.End:
				if len(s.buf) > 0 {
					return hints.Pack[[]T]{Value: s.take(), Hint: hints.Redo}, nil // then called again with the END
				}
				*s = sessionState[T]{}
				return hints.Pack[[]T]{Hint: hints.End}, nil
			case hints.Skip: // the Timer's "time is up"
				if len(s.buf) > 0 && !time.Now().Before(s.last.Add(gap)) {
					return hints.Pack[[]T]{Value: s.take()}, nil
				}
				return hints.Pack[[]T]{Hint: hints.Skip}, nil
			}
			t, err := c.timeOf(in.Value)
			if err != nil {
				return hints.Pack[[]T]{}, err
			}
			var out hints.Pack[[]T]
			switch {
			case len(s.buf) == 0:
			case !t.Before(s.last.Add(gap)): // closes the open session
				out.Value = s.take()
			case !t.After(s.first.Add(-gap)):
				return out, fmt.Errorf("%w: time %v is %v or more before the open session's first, %v",
					ErrLate, t.Format(time.RFC3339Nano), gap, s.first.Format(time.RFC3339Nano))
			}
			if len(s.buf) >= limit {
				return out, full(limit)
			}
			s.join(t, in.Value)
			if out.Value == nil {
				out.Hint = hints.Skip
			}
			return out, nil
		},
		Describe: func(s *sessionState[T]) string {
			return fmt.Sprintf("[session %d of %d]", len(s.buf), limit)
		},
	}
	if c.EventTime == nil {
		cfg.Timer = func(s *sessionState[T]) (time.Duration, bool) {
			if len(s.buf) == 0 {
				return 0, false // nothing to push: just wait for input
			}
			return time.Until(s.last.Add(gap)), true
		}
	}
	f := New(cfg)
	f.check = func() error { return errors.Join(positive("session gap", gap), c.check()) }
	return f
}

// take returns the open session's values, a new slice, and closes it.
func (s *sessionState[T]) take() []T {
	out := append([]T(nil), s.buf...)
	clear(s.buf)
	s.buf = s.buf[:0]
	return out
}

// join adds v at time t to the open session, or opens one.
func (s *sessionState[T]) join(t time.Time, v T) {
	if len(s.buf) == 0 {
		s.first, s.last = t, t
	}
	if t.Before(s.first) {
		s.first = t
	}
	if t.After(s.last) {
		s.last = t
	}
	s.buf = append(s.buf, v)
}
