package command

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runlet/runlet/runlet"
)

var (
	// ErrDepth is matched by the error of a run that expanded frames deeper
	// than [Config.MaxDepth]: a [*FrameError] whose Stack shows the frames.
	ErrDepth = errors.New("command: frame depth limit exceeded")
	// ErrTimeout is matched by the error of a frame that ran past its
	// -timeout or [Config.Timeout]: a [*FrameError] whose Stack ends at the
	// frame that had the deadline. It wraps [context.DeadlineExceeded].
	ErrTimeout = fmt.Errorf("command: timeout: %w", context.DeadlineExceeded)
)

// FrameError is an error of a running pipeline with the frames it happened
// in: Stack is the names of the frames from the outermost ("main") to the
// one where Err happened. Errors.Is and errors.As reach Err and what it
// wraps (a [*runlet.ChipError] naming the chip, [ErrTimeout], [ErrDepth]).
type FrameError struct {
	Stack []string
	Err   error
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("command: frame %s: %v", strings.Join(e.Stack, " → "), e.Err)
}

func (e *FrameError) Unwrap() error { return e.Err }

// frameChipPrefix starts the key of a chip that runs a nested frame.
const frameChipPrefix = "@"

// frame is one frame of a run: the top pipeline ("main"), an alias or flow,
// or an invocation with -timeout. Its counters are written by the frame's
// boundary chips and read by observers, so they are atomic.
type frame struct {
	name    string
	stack   []string
	timeout time.Duration
	start   atomic.Int64 // unix nanoseconds; 0 before the frame started
	end     atomic.Int64 // unix nanoseconds; 0 while it runs
	in, out atomic.Int64 // packs (data) that came in and went out
	failed  atomic.Bool
	r       atomic.Pointer[runlet.Runlet] // the frame's runlet, once made

	mu       sync.Mutex // protects children
	children []*frame
}

func newFrame(parent *frame, name string, timeout time.Duration) *frame {
	f := &frame{name: name, timeout: timeout}
	if parent != nil {
		f.stack = append(append(f.stack, parent.stack...), name)
		parent.mu.Lock()
		parent.children = append(parent.children, f)
		parent.mu.Unlock()
	} else {
		f.stack = []string{name}
	}
	f.start.Store(time.Now().UnixNano())
	return f
}

func (f *frame) depth() int { return len(f.stack) - 1 }

// finish records the end of f and of the frames in it that did not end,
// as of now.
func (f *frame) finish(now int64, failed bool) {
	if f.end.CompareAndSwap(0, now) && failed {
		f.failed.Store(true)
	}
	f.mu.Lock()
	kids := f.children
	f.mu.Unlock()
	for _, k := range kids {
		k.finish(now, failed)
	}
}

// FrameStats is one frame's timings and counts, with the frames it ran
// nested in Frames (in the order they started): the top pipeline is
// "main", each alias, flow or -timeout invocation a frame inside its
// caller's. Frames start at their first input, so an alias that got no
// input has none. In and Out count data packs across the frame's boundary
// (main's In is 0: its source reads a file); Wall is the time from the
// frame's start to its END (or to now while it runs). Busy is the time
// the frame's chips were busy, from the runlet's statistics, when
// Config.Stats is on.
//
// A plain value, safe to copy and to use from any goroutine.
type FrameStats struct {
	Name    string        `json:"name"`
	Depth   int           `json:"depth"`
	Running bool          `json:"running"`
	Failed  bool          `json:"failed,omitempty"`
	Wall    time.Duration `json:"wall_ns"`
	Timeout time.Duration `json:"timeout_ns,omitempty"`
	In      int64         `json:"in"`
	Out     int64         `json:"out"`
	// Busy is how long the frame's chips were busy (with Config.Stats; 0
	// otherwise): the sum of their busy times, so an async chip's workers
	// add up, and a chip that runs a nested frame counts the time it spent
	// handing packs to and from it, not the nested frame's own work.
	Busy   time.Duration `json:"busy_ns,omitempty"`
	Frames []FrameStats  `json:"frames,omitempty"`
}

func (f *frame) stats(now int64) FrameStats {
	end := f.end.Load()
	s := FrameStats{Name: f.name, Depth: f.depth(), Running: end == 0, Failed: f.failed.Load(),
		Timeout: f.timeout, In: f.in.Load(), Out: f.out.Load()}
	if end == 0 {
		end = now
	}
	s.Wall = time.Duration(end - f.start.Load())
	if r := f.r.Load(); r != nil {
		for _, c := range r.Snapshot().Chips {
			if c.Stats != nil {
				s.Busy += c.Stats.Busy
			}
		}
	}
	f.mu.Lock()
	kids := f.children
	f.mu.Unlock()
	for _, k := range kids {
		s.Frames = append(s.Frames, k.stats(now))
	}
	return s
}

// String renders the stats as text, one frame a line, indented by depth:
//
//	main wall=1.2ms in=0 out=3
//	  errors wall=1.1ms in=120 out=3
func (s FrameStats) String() string {
	var b strings.Builder
	s.write(&b)
	return b.String()
}

func (s FrameStats) write(b *strings.Builder) {
	fmt.Fprintf(b, "%s%s wall=%v in=%d out=%d", strings.Repeat("  ", s.Depth), s.Name, s.Wall, s.In, s.Out)
	if s.Busy > 0 {
		fmt.Fprintf(b, " busy=%v", s.Busy)
	}
	if s.Timeout > 0 {
		fmt.Fprintf(b, " timeout=%v", s.Timeout)
	}
	switch {
	case s.Running:
		b.WriteString(" running")
	case s.Failed:
		b.WriteString(" failed")
	}
	b.WriteByte('\n')
	for _, k := range s.Frames {
		k.write(b)
	}
}

// frameError turns the error of the top runlet into a *FrameError naming
// the frames it went through: the stack of a FrameError inside it (a
// timeout, the depth limit), else the frames of the chain of ChipErrors
// whose chips ran nested frames. Err is that inner FrameError's cause, or
// the innermost ChipError (the chip that failed).
func frameError(err error) error {
	if err == nil {
		return nil
	}
	var inner *FrameError
	if errors.As(err, &inner) {
		return inner
	}
	stack := []string{"main"}
	cause := err
	for e := err; ; {
		var ce *runlet.ChipError
		if !errors.As(e, &ce) {
			break
		}
		cause = ce
		name, ok := strings.CutPrefix(ce.Chip, frameChipPrefix)
		if !ok {
			break
		}
		name, _, _ = strings.Cut(name, "#")
		stack = append(stack, name)
		e = ce.Err
	}
	return &FrameError{Stack: stack, Err: cause}
}

func nowNano() int64 { return time.Now().UnixNano() }
