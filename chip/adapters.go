package chip

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"sync"

	"github.com/runlet/runlet/pool"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
)

// The adapters below turn Go values, iterators, channels, generator functions
// and readers into a flow, and hand a flow back as a slice, callbacks or a
// channel. Their doc comments say whether each is sync or async and who owns
// and closes what.
//
// Async input adapters (FromChan, Generate, Lines) hand what they have
// produced over in batches, and a batch as soon as the next value would have
// to be waited for: each value is pushed as soon as it is produced.

// FromSlice returns a sync input chip that pushes the items of items, in
// order, to next, then END.
//
// The chip reads items as it goes and never modifies or copies it: the caller
// must not change it while the runlet runs. Each Bind starts from the first
// item. With the runlet's Config.Stats on, its statistics show the progress
// (items pushed of len(items), in packs).
func FromSlice[T any](key string, next *pool.Pend[T], items []T) *Func[struct{}, T, int] {
	f := NewInput(key, next, nil, func(_ context.Context, i *int) (hints.Pack[T], error) {
		if *i >= len(items) {
			return hints.EndOf[T](1), nil
		}
		*i++
		return hints.Data(items[*i-1]), nil
	})
	f.progress = func(i *int) (int64, int64) { return int64(*i), int64(len(items)) } // for runlet's statistics
	return f
}

// seqState is the state of a FromSeq chip: the pulled iterator, started on
// the first call.
type seqState[T any] struct {
	next func() (T, bool)
	stop func()
}

// FromSeq returns a sync input chip that pushes the values of seq, in order,
// to next, then END.
//
// The chip pulls seq with [iter.Pull] on its first call (each Bind pulls it
// anew) and calls the stop function when seq is exhausted and, through
// [Config.Close], whenever the runlet stops before that: the flow ended
// downstream, an error, Abort, Detach or the end of Run's ctx. So seq's yield
// returns false and its deferred clean-up runs before Run returns. A panic in
// seq fails the runlet with a [PanicError].
//
// seq runs as a coroutine of the scheduler's goroutine, under the runlet's
// lock: it must not block, and must not call the runlet's methods. A
// sequence that blocks (on I/O, a channel, a lock) would stall every chip of
// the runlet: read it through [Generate] instead, which runs it on its own
// goroutine:
//
//	Generate(key, next, func(_ context.Context, yield func(T) bool) error {
//		for v := range seq {
//			if !yield(v) {
//				break
//			}
//		}
//		return nil
//	})
func FromSeq[T any](key string, next *pool.Pend[T], seq iter.Seq[T]) *Func[struct{}, T, seqState[T]] {
	return refuse(New(Config[struct{}, T, seqState[T]]{
		Key: key, Next: next,
		Process: func(_ context.Context, in hints.Pack[struct{}], s *seqState[T]) (hints.Pack[T], error) {
			if in.Hint == hints.End { // the runlet drains: stop pulling seq
				if s.stop != nil {
					s.stop()
				}
				return hints.EndOf[T](1), nil
			}
			if s.next == nil {
				s.next, s.stop = iter.Pull(seq)
			}
			v, ok := s.next()
			if !ok {
				s.stop()
				return hints.EndOf[T](1), nil
			}
			return hints.Data(v), nil
		},
		Close: func(s *seqState[T]) {
			if s.stop != nil {
				s.stop() // a no-op once seq is exhausted
			}
		},
	}), nilArg("seq", seq == nil))
}

// FromChan returns an async input chip (Concurrency 1) that pushes the
// values received from ch, in order, to next, and END once ch is closed.
//
// The chip only receives from ch; closing it is the sender's job, and is how
// the flow ends. While it waits for a value the chip also watches the process
// ctx: when the runlet stops (Abort, Detach, another chip's error, the end of
// Run's ctx) the receive is abandoned and Run returns without ch being
// closed. Values already received but not yet pushed are then dropped, like
// every pack in flight when a runlet stops.
//
// The chip receives what ch has ready without waiting and hands it over in
// one batch, as soon as ch is empty: so each value is pushed as soon as it is
// produced, and a source may wait for its earlier values to come out of the
// runlet before it produces more.
func FromChan[T any](key string, next *pool.Pend[T], ch <-chan T) *Func[struct{}, T, chanState[T]] {
	f := New(Config[struct{}, T, chanState[T]]{
		Key: key, Next: next, Async: true, Concurrency: 1,
		Process: func(ctx context.Context, in hints.Pack[struct{}], s *chanState[T]) (hints.Pack[T], error) {
			s.drained = Drained(ctx)
			switch {
			case s.have: // received: pushed, under a drain too
				v := s.v
				s.v, s.have = *new(T), false
				return hints.Data(v), nil
			case s.closed, in.Hint == hints.End:
				return hints.EndOf[T](1), nil
			}
			select {
			case v, ok := <-ch:
				if !ok {
					return hints.EndOf[T](1), nil
				}
				return hints.Data(v), nil
			case <-s.drained:
				return hints.EndOf[T](1), nil
			case <-ctx.Done():
				return hints.Pack[T]{}, ctx.Err()
			}
		},
	})
	f.ready = func(s *chanState[T]) int {
		if s.have || s.closed {
			return 1
		}
		select {
		case <-s.drained: // nil before the first call: never ready
			return 0 // stop reading: the next call gets the drain's END
		default:
		}
		select {
		case v, ok := <-ch:
			s.v, s.have, s.closed = v, ok, !ok
			return 1
		default:
			return 0
		}
	}
	return refuse(f, nilArg("ch", ch == nil))
}

// chanState is the state of a FromChan chip: a value (or the close) received
// without waiting, to be pushed by the next call.
type chanState[T any] struct {
	v      T
	have   bool // v is a received value not yet pushed
	closed bool // ch was seen closed: the next call ends the flow
	// drained is the runlet's drain signal (Drained), set by the first call.
	drained <-chan struct{}
}

// genAhead is how many values a Generate's gen may have yielded that the
// chip has not yet pushed: those queued plus those of the batch the chip
// has taken.
const genAhead = 256

// genState is the state of a Generate chip: the generator's goroutine and
// the queue it hands values over in.
type genState[T any] struct {
	mu      sync.Mutex
	queue   []T           // yielded, not yet taken; protected by mu
	lent    int           // values of the chip's last swap; protected by mu
	waiting bool          // the chip waits for a value; protected by mu
	full    bool          // gen waits for room; protected by mu
	arrived chan struct{} // a value was queued for a waiting chip (capacity 1)
	room    chan struct{} // closed (and replaced) when a waiting gen has room; protected by mu

	taken []T // the chip's batch of values, swapped with queue; owned by the chip
	pos   int // the next value of taken

	done   chan struct{} // closed when gen has returned; err is then set
	err    error
	cancel context.CancelFunc

	drained <-chan struct{} // the runlet's drain signal (Drained)
	stopped bool            // the chip took its last values: yield returns false; protected by mu
	last    bool            // the chip has taken its last values (takeLast); owned by the chip
}

// Generate returns an async input chip (Concurrency 1) that pushes the
// values gen yields, in order, to next.
//
// gen runs on a goroutine of its own, started on the chip's first call (each
// Bind starts it anew), and hands its values over to the chip through a
// queue: yield returns true once the value is queued, or returns false once
// the runlet has stopped, when gen should return. yield blocks while 256
// values gen yielded are queued or taken by the chip and not yet pushed:
// so at most 256 values are held outside the pool, plus one per goroutine
// blocked in yield. yield may be called from several goroutines. gen returning nil ends the
// flow (END); gen returning an error, or panicking (a [PanicError]), fails the
// runlet with it. ctx is cancelled when the runlet stops, for whatever gen
// waits on besides yield.
//
// No goroutine outlives Run: when the runlet stops, the chip's Close hook
// cancels ctx and waits for gen to return. gen must therefore return soon
// after ctx is done or yield has returned false; a gen that ignores both
// keeps Run from returning. What gen yields or returns after the runlet
// stopped, and values queued but not yet pushed then, are dropped.
//
// The chip hands over what gen has yielded in batches, as soon as the
// queue is empty: so each value is pushed as soon as it is yielded, and gen
// may wait for its earlier values to come out of the runlet before it
// yields more, while a fast gen moves in batches.
func Generate[T any](key string, next *pool.Pend[T], gen func(ctx context.Context, yield func(T) bool) error) *Func[struct{}, T, *genState[T]] {
	f := New(Config[struct{}, T, *genState[T]]{
		Key: key, Next: next, Async: true, Concurrency: 1,
		State: func() *genState[T] { return &genState[T]{} },
		Process: func(ctx context.Context, in hints.Pack[struct{}], sp **genState[T]) (hints.Pack[T], error) {
			s := *sp
			if s.done == nil {
				if in.Hint == hints.End { // drained before it started
					return hints.EndOf[T](1), nil
				}
				s.start(ctx, gen)
			}
			if s.pos == len(s.taken) && (in.Hint == hints.End || s.last) {
				if !s.takeLast() { // the drain: what gen yielded before it, then END
					return hints.EndOf[T](1), nil
				}
			} else if s.pos == len(s.taken) {
				if end, err := s.refill(ctx); end || err != nil {
					if err == nil && s.last { // the drain's END: gen may still run, s.err is not read
						return hints.EndOf[T](1), nil
					}
					if err == nil {
						err = s.err
					}
					if err != nil {
						return hints.Pack[T]{}, err
					}
					return hints.EndOf[T](1), nil
				}
			}
			v := s.taken[s.pos]
			s.taken[s.pos] = *new(T)
			s.pos++
			return hints.Data(v), nil
		},
		Close: func(sp **genState[T]) {
			if s := *sp; s.done != nil {
				s.cancel()
				<-s.done
			}
		},
	})
	f.ready = func(sp **genState[T]) int { return (*sp).ready() }
	return refuse(f, nilArg("gen", gen == nil))
}

// start runs gen on its own goroutine.
func (s *genState[T]) start(ctx context.Context, gen func(context.Context, func(T) bool) error) {
	gctx, cancel := context.WithCancel(ctx)
	s.done, s.cancel = make(chan struct{}), cancel
	s.arrived, s.room = make(chan struct{}, 1), make(chan struct{})
	s.queue, s.taken = make([]T, 0, genAhead), make([]T, 0, genAhead)
	s.drained = Drained(ctx)
	yield := func(v T) bool {
		if gctx.Err() != nil {
			return false
		}
		s.mu.Lock()
		// The chip's batch counts until it swaps again (it has then
		// pushed it all), so gen holds at most genAhead values outside
		// the pool. Once the runlet drains, yield refuses values: those
		// queued before are the chip's last (takeLast, under mu).
		for s.stopped || isClosed(s.drained) || len(s.queue)+s.lent >= genAhead {
			if s.stopped || isClosed(s.drained) {
				s.mu.Unlock()
				return false
			}
			s.full = true
			room := s.room
			s.mu.Unlock()
			select {
			case <-room:
			case <-s.drained:
			case <-gctx.Done():
				return false
			}
			s.mu.Lock()
		}
		s.queue = append(s.queue, v)
		wake := s.waiting
		s.waiting = false
		s.mu.Unlock()
		if wake {
			s.arrived <- struct{}{} // never blocks: one wait, one token
		}
		return true
	}
	go func() {
		defer close(s.done)
		defer func() {
			if v := recover(); v != nil {
				s.err = panicError(v)
			}
		}()
		s.err = gen(gctx, yield)
	}()
}

// swap takes the queued values as the chip's next batch, if any, once the
// chip has used up its previous batch, and wakes every yield that waits for
// room (gen may yield from several goroutines). The caller holds mu.
func (s *genState[T]) swap() bool {
	got := len(s.queue) > 0
	if got {
		clear(s.taken)
		s.taken, s.queue, s.pos = s.queue, s.taken[:0], 0
	}
	s.lent = len(s.taken) - s.pos
	if s.full && s.lent < genAhead {
		s.full = false
		close(s.room)
		s.room = make(chan struct{})
	}
	return got
}

// refill waits for values from gen. It reports end once gen has returned
// and every value it yielded was taken (s.err then says how gen ended).
func (s *genState[T]) refill(ctx context.Context) (end bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	for {
		s.mu.Lock()
		if s.swap() {
			s.mu.Unlock()
			return false, nil
		}
		s.waiting = true
		s.mu.Unlock()
		select {
		case <-s.drained:
			return !s.takeLast(), nil // the values yielded before the drain, or its END
		case <-s.arrived:
		case <-s.done:
			// gen returns only after its last yield returned: what it
			// yielded is queued.
			s.mu.Lock()
			s.waiting = false
			got := s.swap()
			s.mu.Unlock()
			return !got, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// takeLast takes, once the runlet drains, the values gen queued before it,
// and makes every later yield return false. It reports whether it took any.
func (s *genState[T]) takeLast() bool {
	s.mu.Lock()
	s.stopped = true
	got := s.swap()
	s.mu.Unlock()
	s.last = true
	return got
}

// isClosed reports whether ch is closed (a nil ch never is).
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// ready returns how many next calls have a value (or the end) without
// waiting for gen.
func (s *genState[T]) ready() int {
	if n := len(s.taken) - s.pos; n > 0 {
		return n
	}
	s.mu.Lock()
	n := len(s.queue)
	s.mu.Unlock()
	if n > 0 {
		return n
	}
	select {
	case <-s.done:
		if s.err != nil {
			return 0 // the error in a batch of its own, after the values
		}
		return 1
	default:
		return 0
	}
}

// lineState is the state of a Lines chip.
type lineState struct {
	br  *bufio.Reader
	nl  int   // where the next line ends in br's buffer, as ready found it; -1 when not looked for
	err error // what ended the input (io.EOF at its end), once read
}

// Lines returns an async input chip (Concurrency 1) that pushes each line
// read from r to next, without its line ending ("\n" or "\r\n"), then END at
// io.EOF. A last line without a newline is pushed too.
//
// Lines reads r through a [bufio.Reader] of [bufio.MaxScanTokenSize] bytes
// (a caller's own *bufio.Reader of at least that size is used as it is, and
// its size is then the line limit), so a line longer than that (with its
// newline) fails the runlet ([bufio.ErrTooLong]), as does any read error
// other than io.EOF (errors.Is finds it). The lines read before the error
// are pushed before it, but a consumer may not see them all: the first
// error stops the flow.
//
// The chip never closes r: the caller owns it. The ctx is checked before
// each Read but a Read in progress cannot be interrupted, and Run waits for
// it to return: if r can block indefinitely (a pipe, a network connection),
// close it or set a deadline on it to stop the runlet promptly. A rebound
// chip goes on reading r where the previous binding stopped (a partly read
// buffer is lost).
//
// The chip hands over the lines it has in its buffer in batches, as soon as
// the next line would need a Read: so each line is pushed as soon as it is
// read, and a source may wait for its earlier lines to come out of the
// runlet before it produces more.
func Lines(key string, next *pool.Pend[string], r io.Reader) *Func[struct{}, string, lineState] {
	f := New(Config[struct{}, string, lineState]{
		Key: key, Next: next, Async: true, Concurrency: 1,
		State: func() lineState { return lineState{br: bufio.NewReaderSize(r, bufio.MaxScanTokenSize), nl: -1} },
		Process: func(ctx context.Context, in hints.Pack[struct{}], s *lineState) (hints.Pack[string], error) {
			if in.Hint == hints.End && s.err == nil && s.ready() == 0 {
				return hints.EndOf[string](1), nil // the drain: no more Reads
			}
			return s.line(ctx) // under a drain, a line already in the buffer
		},
	})
	f.ready = (*lineState).ready
	return refuse(f, nilArg("r", r == nil))
}

// line returns the next line, END, or the error that ended the input.
func (s *lineState) line(ctx context.Context) (hints.Pack[string], error) {
	if s.nl >= 0 { // in the buffer: no Read
		buf, _ := s.br.Peek(s.nl + 1)
		line := string(dropCR(buf[:s.nl]))
		_, _ = s.br.Discard(s.nl + 1)
		s.nl = -1
		return hints.Data(line), nil
	}
	switch {
	case s.err == io.EOF:
		return hints.EndOf[string](1), nil
	case s.err != nil:
		return hints.Pack[string]{}, s.err
	}
	if err := ctx.Err(); err != nil {
		return hints.Pack[string]{}, err
	}
	buf, err := s.br.ReadSlice('\n')
	switch {
	case err == nil:
		return hints.Data(string(dropCR(buf[:len(buf)-1]))), nil
	case errors.Is(err, bufio.ErrBufferFull):
		s.err = bufio.ErrTooLong
	default:
		s.err = err
	}
	if len(buf) > 0 && s.err != bufio.ErrTooLong { // a last line without a newline
		return hints.Data(string(dropCR(buf))), nil
	}
	return s.line(ctx)
}

// ready returns 1 if the next line (or the end) is at hand without a Read,
// else 0.
func (s *lineState) ready() int {
	if s.err == nil && s.nl < 0 {
		buf, _ := s.br.Peek(s.br.Buffered())
		if s.nl = bytes.IndexByte(buf, '\n'); s.nl < 0 {
			return 0
		}
	}
	return 1
}

// dropCR drops a terminal \r from line, as [bufio.ScanLines] does.
func dropCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1]
	}
	return line
}

// Collect returns a sync output chip that appends every data value it
// pulls from prev to *dst, in order, and ends at END.
//
// *dst is written on the scheduler's goroutine while the runlet runs: read
// it only after Run has returned. Collect appends to what *dst holds and
// never resets it, so a rebound chip (or one shared by two runlets) appends
// again.
func Collect[T any](key string, prev *pool.Pend[T], dst *[]T) *Func[T, struct{}, struct{}] {
	return refuse(NewOutput(key, prev, nil, func(_ context.Context, in hints.Pack[T], _ *struct{}) error {
		if in.Hint != hints.End {
			*dst = append(*dst, in.Value)
		}
		return nil
	}), nilArg("dst", dst == nil))
}

// ForEach returns a sync output chip that calls f with every data value it
// pulls from prev, in order, and ends at END. An error from f fails the
// runlet: Run returns a runlet.ChipError naming key that wraps it.
//
// f runs on the scheduler's goroutine: it must not block, and must not call
// the runlet's methods other than Trigger, Pause, Resume and Abort. For work
// that blocks, build an async chip with [New].
func ForEach[T any](key string, prev *pool.Pend[T], f func(T) error) *Func[T, struct{}, struct{}] {
	c := NewOutput(key, prev, nil, func(_ context.Context, in hints.Pack[T], _ *struct{}) error {
		if in.Hint == hints.End {
			return nil
		}
		return f(in.Value)
	})
	if f != nil {
		c.run = func(_ context.Context, in []hints.Pack[T], _ []hints.Pack[struct{}], p *engine.RunPos, _ *struct{}) (hints.Pack[struct{}], bool, error) {
			in = in[p.N : p.N+min(len(in)-p.N, p.Max-p.Calls)]
			k := 0
			defer func() { p.N, p.Calls = p.N+k, p.Calls+k }() // exact on a panic too
			for ; k < len(in) && in[k].Hint == hints.None; k++ {
				if err := f(in[k].Value); err != nil {
					return hints.Pack[struct{}]{}, true, err
				}
			}
			return hints.Pack[struct{}]{}, false, nil
		}
	}
	return refuse(c, nilArg("f", f == nil))
}

// ToChan returns an async output chip (Concurrency 1) that sends every data
// value it pulls from prev on ch, in order.
//
// At END the chip closes ch, after its last send, so a consumer can range
// over ch. It does not close ch when the runlet stops any other way (an
// error, Abort, Detach, the end of Run's ctx): a consumer that ranges over ch
// must then learn it from Run's result or the runlet's Done channel. Once the
// chip has closed ch, the caller must not close or send on it. ch is closed
// at most once, whichever runlets the chip is bound to.
//
// A send waits for the consumer, watching the process ctx, so a stopped
// runlet never waits for a consumer that went away; the value being sent is
// then dropped.
func ToChan[T any](key string, prev *pool.Pend[T], ch chan<- T) *Func[T, struct{}, struct{}] {
	var once sync.Once
	return refuse(New(Config[T, struct{}, struct{}]{
		Key: key, Prev: prev, Async: true, Concurrency: 1,
		Process: func(ctx context.Context, in hints.Pack[T], _ *struct{}) (hints.Pack[struct{}], error) {
			if in.Hint == hints.End {
				once.Do(func() { close(ch) })
				return hints.EndOf[struct{}](1), nil
			}
			select {
			case ch <- in.Value:
				return hints.SkipOf[struct{}](), nil
			case <-ctx.Done():
				return hints.Pack[struct{}]{}, ctx.Err()
			}
		},
	}), nilArg("ch", ch == nil))
}
