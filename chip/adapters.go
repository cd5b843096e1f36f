package chip

import (
	"bufio"
	"context"
	"io"
	"iter"
	"sync"

	"github.com/runlet/runlet/hints"
)

// The adapters below turn Go values, iterators, channels, generator functions
// and readers into a flow, and hand a flow back as a slice, callbacks or a
// channel. Their doc comments say whether each is sync or async and who owns
// and closes what.
//
// Async input adapters (FromChan, Generate, Lines) push each value as soon
// as it is produced.

// FromSlice returns a sync input chip that pushes the items of items, in
// order, to next, then END.
//
// The chip reads items as it goes and never modifies or copies it: the caller
// must not change it while the runlet runs. Each Bind starts from the first
// item.
func FromSlice[T any](key string, next PendRef, items []T) *Func[struct{}, T, int] {
	return NewInput(key, next, nil, func(_ context.Context, i *int) (hints.Pack[T], error) {
		if *i >= len(items) {
			return hints.EndOf[T](1), nil
		}
		*i++
		return hints.Data(items[*i-1]), nil
	})
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
func FromSeq[T any](key string, next PendRef, seq iter.Seq[T]) *Func[struct{}, T, seqState[T]] {
	return refuse(New(Config[struct{}, T, seqState[T]]{
		Key: key, Prev: Input, Next: next,
		Process: func(_ context.Context, _ hints.Pack[struct{}], s *seqState[T]) (hints.Pack[T], error) {
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
// Like every async input chip, it makes one call per batch, so each value is
// pushed as soon as it is produced: a source may wait for its earlier values
// to come out of the runlet before it produces more.
func FromChan[T any](key string, next PendRef, ch <-chan T) *Func[struct{}, T, struct{}] {
	return refuse(New(Config[struct{}, T, struct{}]{
		Key: key, Prev: Input, Next: next, Async: true, Concurrency: 1,
		Process: func(ctx context.Context, _ hints.Pack[struct{}], _ *struct{}) (hints.Pack[T], error) {
			select {
			case v, ok := <-ch:
				if !ok {
					return hints.EndOf[T](1), nil
				}
				return hints.Data(v), nil
			case <-ctx.Done():
				return hints.Pack[T]{}, ctx.Err()
			}
		},
	}), nilArg("ch", ch == nil))
}

// genState is the state of a Generate chip: the generator's goroutine and
// the channel it hands values over on.
type genState[T any] struct {
	values chan T
	done   chan struct{} // closed when gen has returned; err is then set
	err    error
	cancel context.CancelFunc
}

// Generate returns an async input chip (Concurrency 1) that pushes the
// values gen yields, in order, to next.
//
// gen runs on a goroutine of its own, started on the chip's first call (each
// Bind starts it anew), and hands each value over to the chip: yield blocks
// until the chip has taken the value and returns true, or returns false once
// the runlet has stopped, when gen should return. gen returning nil ends the
// flow (END); gen returning an error, or panicking (a [PanicError]), fails the
// runlet with it. ctx is cancelled when the runlet stops, for whatever gen
// waits on besides yield.
//
// No goroutine outlives Run: when the runlet stops, the chip's Close hook
// cancels ctx and waits for gen to return. gen must therefore return soon
// after ctx is done or yield has returned false; a gen that ignores both
// keeps Run from returning. What gen returns after the runlet stopped is
// dropped.
//
// Like every async input chip, it makes one call per batch, so each value is
// pushed as soon as it is produced: a source may wait for its earlier values
// to come out of the runlet before it produces more.
func Generate[T any](key string, next PendRef, gen func(ctx context.Context, yield func(T) bool) error) *Func[struct{}, T, genState[T]] {
	return refuse(New(Config[struct{}, T, genState[T]]{
		Key: key, Prev: Input, Next: next, Async: true, Concurrency: 1,
		Process: func(ctx context.Context, _ hints.Pack[struct{}], s *genState[T]) (hints.Pack[T], error) {
			if s.done == nil {
				s.start(ctx, gen)
			}
			select {
			case v := <-s.values:
				return hints.Data(v), nil
			case <-s.done:
				// values is unbuffered and gen returns only after its
				// last yield returned, so no value is left behind.
				if s.err != nil {
					return hints.Pack[T]{}, s.err
				}
				return hints.EndOf[T](1), nil
			case <-ctx.Done():
				return hints.Pack[T]{}, ctx.Err()
			}
		},
		Close: func(s *genState[T]) {
			if s.done != nil {
				s.cancel()
				<-s.done
			}
		},
	}), nilArg("gen", gen == nil))
}

// start runs gen on its own goroutine.
func (s *genState[T]) start(ctx context.Context, gen func(context.Context, func(T) bool) error) {
	gctx, cancel := context.WithCancel(ctx)
	s.values, s.done, s.cancel = make(chan T), make(chan struct{}), cancel
	yield := func(v T) bool {
		select {
		case s.values <- v:
			return true
		case <-gctx.Done():
			return false
		}
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

// Lines returns an async input chip (Concurrency 1) that pushes each line
// read from r to next, without its line ending ("\n" or "\r\n"), then END at
// io.EOF. A last line without a newline is pushed too.
//
// Lines reads r with a [bufio.Scanner] with its default buffer, so a line
// longer than [bufio.MaxScanTokenSize] fails the runlet ([bufio.ErrTooLong]),
// as does any read error other than io.EOF (errors.Is finds it).
//
// The chip never closes r: the caller owns it. The ctx is checked between
// lines but a Read in progress cannot be interrupted, and Run waits for it to
// return: if r can block indefinitely (a pipe, a network connection), close
// it or set a deadline on it to stop the runlet promptly. A rebound chip goes
// on reading r where the previous binding stopped (a partly scanned buffer is
// lost).
//
// Like every async input chip, it makes one call per batch, so each value is
// pushed as soon as it is produced: a source may wait for its earlier values
// to come out of the runlet before it produces more.
func Lines(key string, next PendRef, r io.Reader) *Func[struct{}, string, *bufio.Scanner] {
	return refuse(New(Config[struct{}, string, *bufio.Scanner]{
		Key: key, Prev: Input, Next: next, Async: true, Concurrency: 1,
		State: func() *bufio.Scanner { return bufio.NewScanner(r) },
		Process: func(ctx context.Context, _ hints.Pack[struct{}], sc **bufio.Scanner) (hints.Pack[string], error) {
			if err := ctx.Err(); err != nil {
				return hints.Pack[string]{}, err
			}
			if (*sc).Scan() {
				return hints.Data((*sc).Text()), nil
			}
			if err := (*sc).Err(); err != nil {
				return hints.Pack[string]{}, err
			}
			return hints.EndOf[string](1), nil
		},
	}), nilArg("r", r == nil))
}

// Collect returns a sync output chip that appends every data value it
// pulls from prev to *dst, in order, and ends at END.
//
// *dst is written on the scheduler's goroutine while the runlet runs: read
// it only after Run has returned. Collect appends to what *dst holds and
// never resets it, so a rebound chip (or one shared by two runlets) appends
// again.
func Collect[T any](key string, prev PendRef, dst *[]T) *Func[T, struct{}, struct{}] {
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
func ForEach[T any](key string, prev PendRef, f func(T) error) *Func[T, struct{}, struct{}] {
	return refuse(NewOutput(key, prev, nil, func(_ context.Context, in hints.Pack[T], _ *struct{}) error {
		if in.Hint == hints.End {
			return nil
		}
		return f(in.Value)
	}), nilArg("f", f == nil))
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
func ToChan[T any](key string, prev PendRef, ch chan<- T) *Func[T, struct{}, struct{}] {
	var once sync.Once
	return refuse(New(Config[T, struct{}, struct{}]{
		Key: key, Prev: prev, Next: Output, Async: true, Concurrency: 1,
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
