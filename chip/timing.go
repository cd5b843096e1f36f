package chip

import (
	"context"
	"fmt"
	"time"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// The time-based operators below are sync chips with a [Config.Timer]: when
// a chip runs out of input while it holds a pending value, it tells the
// scheduler when that value is due, and is called with a Skip pack ("time is
// up") then. A chip that is kept busy by queued input past a due time is not
// woken by the timer; it pushes the overdue value with the next input it
// takes instead, so a value goes out late rather than never or twice. Times
// are the times the chip takes its inputs, not the times they were pushed
// upstream. Time comes from the time package (fake under testing/synctest).
// Each holds at most one pending value and allocates nothing.

// pendingValue is the state of a Debounce, Throttle or Sample chip: at most
// one value waiting for its time.
type pendingValue[T any] struct {
	v   T
	has bool      // v is waiting
	due time.Time // when v goes out (Debounce, Throttle KeepLast, Sample)
	end time.Time // Throttle: when the current period ends
	// origin is Sample's tick grid: ticks at origin + k*d, set by the first
	// value.
	origin time.Time
}

// take returns the pending value as a pack of hint h and forgets it.
func (s *pendingValue[T]) take(h hints.Hint) hints.Pack[T] {
	out := hints.Pack[T]{Value: s.v, Hint: h}
	var zero T
	s.v, s.has = zero, false
	return out
}

// atEnd flushes a pending value on the END pack (a REDO, then the END).
func (s *pendingValue[T]) atEnd() hints.Pack[T] {
	if s.has {
		return s.take(hints.Redo)
	}
	return hints.Pack[T]{Hint: hints.End}
}

// settle answers an END (the pending value, then the END) or a time-is-up
// Skip: the pending value if it is due, else SKIP.
func (s *pendingValue[T]) settle(h hints.Hint, now time.Time) hints.Pack[T] {
	if h == hints.End {
		return s.atEnd()
	}
	if s.has && !now.Before(s.due) {
		return s.take(hints.None)
	}
	return hints.Pack[T]{Hint: hints.Skip}
}

// timer is the Config.Timer of every chip here: wait for the pending
// value's due time, or for input only when none is pending.
func (s *pendingValue[T]) timer() (time.Duration, bool) {
	if !s.has {
		return 0, false
	}
	return time.Until(s.due), true
}

// describe notes whether a value is pending.
func (s *pendingValue[T]) describe() string {
	if s.has {
		return fmt.Sprintf("[1 pending, due in %v]", max(time.Until(s.due), 0))
	}
	return "[none pending]"
}

// checkPeriod reports a period that is not positive.
func checkPeriod(what string, d time.Duration) func() error {
	return func() error {
		if d <= 0 {
			return fmt.Errorf("%s period %v is not positive", what, d)
		}
		return nil
	}
}

// Debounce returns a sync chip that pushes a data value once d has passed
// with no newer one (N:1, through SKIP): of a burst of values less than d
// apart, only the last is pushed, d after it arrived. On END a pending
// value is pushed at once (a REDO on the END pack), then the END. It holds
// one value. d must be positive (Attach reports otherwise).
func Debounce[T any](key string, prev, next *pool.Pend[T], d time.Duration) *Func[T, T, pendingValue[T]] {
	f := New(Config[T, T, pendingValue[T]]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *pendingValue[T]) (hints.Pack[T], error) {
			now := time.Now()
			if in.Hint != hints.None { // END, or time is up
				return s.settle(in.Hint, now), nil
			}
			// An overdue value (the chip was busy) goes now.
			out := s.settle(hints.Skip, now)
			s.v, s.has, s.due = in.Value, true, now.Add(d)
			return out, nil
		},
		Timer:    func(s *pendingValue[T]) (time.Duration, bool) { return s.timer() },
		Describe: func(s *pendingValue[T]) string { return s.describe() },
	})
	f.check = checkPeriod("debounce", d)
	return f
}

// Keep says which value of each period a [Throttle] chip pushes. The zero
// Keep is neither: Attach refuses it, so that the caller chooses.
type Keep int

const (
	// KeepFirst pushes the first value of a period at once and drops the
	// rest of the period (leading edge).
	KeepFirst Keep = iota + 1
	// KeepLast pushes the latest value of a period when the period ends
	// (trailing edge).
	KeepLast
)

// String returns "KeepFirst" or "KeepLast".
func (k Keep) String() string {
	switch k {
	case KeepFirst:
		return "KeepFirst"
	case KeepLast:
		return "KeepLast"
	}
	return fmt.Sprintf("Keep(%d)", int(k))
}

// Throttle returns a sync chip that pushes at most one data value per period
// of d (N:1, through SKIP). A period starts with the first value that
// arrives while none is open, and lasts d. With [KeepFirst] that value is
// pushed at once and the rest of the period dropped; nothing is ever
// pending, and END passes through. With [KeepLast] the latest value of the
// period is pushed when it ends, d after it started; on END a pending value
// is pushed at once (a REDO on the END pack), then the END. Either way two
// pushes are at least d apart. It holds one value. d must be positive and
// keep one of the two (Attach reports otherwise).
func Throttle[T any](key string, prev, next *pool.Pend[T], d time.Duration, keep Keep) *Func[T, T, pendingValue[T]] {
	f := New(Config[T, T, pendingValue[T]]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *pendingValue[T]) (hints.Pack[T], error) {
			now := time.Now()
			if in.Hint != hints.None { // END, or time is up
				return s.settle(in.Hint, now), nil
			}
			if keep == KeepFirst {
				if now.Before(s.end) {
					return hints.Pack[T]{Hint: hints.Skip}, nil
				}
				s.end = now.Add(d)
				return hints.Pack[T]{Value: in.Value}, nil
			}
			// An overdue value (the chip was busy) goes now.
			out := s.settle(hints.Skip, now)
			if !s.has { // a new period
				s.due = now.Add(d)
			}
			s.v, s.has = in.Value, true
			return out, nil
		},
		Describe: func(s *pendingValue[T]) string { return s.describe() },
	})
	if keep == KeepLast {
		f.cfg.Timer = func(s *pendingValue[T]) (time.Duration, bool) { return s.timer() }
	}
	f.check = func() error {
		if err := checkPeriod("throttle", d)(); err != nil {
			return err
		}
		if keep != KeepFirst && keep != KeepLast {
			return fmt.Errorf("throttle keep %v is neither KeepFirst nor KeepLast", keep)
		}
		return nil
	}
	return f
}

// Sample returns a sync chip that pushes, every d, the latest data value
// that arrived in the last d, if any (N:1, through SKIP): ticks fall at the
// time of the first value plus multiples of d, and a tick with no new value
// pushes nothing (the chip is not woken while it holds nothing). On END a
// pending value is pushed at once (a REDO on the END pack), then the END. It
// holds one value. d must be positive (Attach reports otherwise).
func Sample[T any](key string, prev, next *pool.Pend[T], d time.Duration) *Func[T, T, pendingValue[T]] {
	f := New(Config[T, T, pendingValue[T]]{
		Key: key, Prev: prev, Next: next,
		Process: func(_ context.Context, in hints.Pack[T], s *pendingValue[T]) (hints.Pack[T], error) {
			now := time.Now()
			if in.Hint != hints.None { // END, or time is up
				return s.settle(in.Hint, now), nil
			}
			// An overdue value (the chip was busy) goes now.
			out := s.settle(hints.Skip, now)
			if s.origin.IsZero() {
				s.origin = now
			}
			if !s.has { // the next tick after now
				s.due = s.origin.Add((now.Sub(s.origin)/d + 1) * d)
			}
			s.v, s.has = in.Value, true
			return out, nil
		},
		Timer:    func(s *pendingValue[T]) (time.Duration, bool) { return s.timer() },
		Describe: func(s *pendingValue[T]) string { return s.describe() },
	})
	f.check = checkPeriod("sample", d)
	return f
}
