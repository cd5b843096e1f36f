package chip

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// readState is the state of FromReader and FromFile.
type readState struct {
	r    io.Reader
	file *os.File // opened by FromFile, closed at END or by the Close hook
	eof  bool
	err  error // a local reader's error, returned by the next batch's call
	// local says that reading r never waits on the world (memory, a regular
	// file), so the chip hands its chunks over in batches.
	local bool
	// prog counts the bytes read, of the total when it is known (a file's
	// size, a memory reader's length), for the runlet's statistics. Made
	// with the state, before any worker runs; its fields are atomic, as the
	// scheduler reads them while the worker reads the stream.
	prog *readProgress
}

// readProgress is the progress of a FromReader or FromFile chip.
type readProgress struct{ done, total atomic.Int64 }

// progress is the chip's Func.progress hook.
func (s *readState) progress() (done, total int64) {
	if s.prog == nil {
		return 0, 0
	}
	return s.prog.done.Load(), s.prog.total.Load()
}

// sizeOf returns how many bytes r has left when it is a memory reader, else 0.
func sizeOf(r io.Reader) int64 {
	switch r := r.(type) {
	case *bytes.Reader:
		return int64(r.Len())
	case *strings.Reader:
		return int64(r.Len())
	case *bytes.Buffer:
		return int64(r.Len())
	}
	return 0
}

// neverWaits reports whether reading r never waits on the world: a reader
// over memory, or a regular file. Any other reader (a pipe, a socket, a
// reader of the caller's own) may, so each of its chunks is pushed at once.
func neverWaits(r io.Reader) bool {
	switch r := r.(type) {
	case *bytes.Reader, *strings.Reader, *bytes.Buffer:
		return true
	case *os.File:
		fi, err := r.Stat()
		return err == nil && fi.Mode().IsRegular()
	}
	return false
}

// FromReader returns an async input chip that reads r into chunks of
// bufs.Size() bytes and pushes them to next, then END at io.EOF. Each chunk
// is filled completely, as io.ReadFull does, so every chunk but the last is
// full (the last is shorter, and an empty stream is just END); another error
// of r fails the runlet with that error.
//
// r is read where the chip left it: a second runlet built with the same chip
// does not read the stream again (use [FromFile] for that). A Read that
// blocks is waited for when the runlet stops; if r may block for long, close
// it when the runlet's ctx is done.
//
// Chunks of a reader over memory (*bytes.Reader, *strings.Reader,
// *bytes.Buffer) or of a regular *os.File are handed over in batches, as far
// as the next pend has room (a byte pool's room is one chunk); those of any
// other reader, which may wait, are pushed one at a time as they are read.
//
// With the runlet's Config.Stats on, its statistics show the bytes read, of
// the length of a memory reader (none for another reader).
func FromReader(key string, next *pool.Pend[[]byte], r io.Reader, bufs *pool.Buffers) *Func[struct{}, []byte, readState] {
	state := func() readState {
		s := readState{r: r, local: neverWaits(r), prog: &readProgress{}}
		s.prog.total.Store(sizeOf(r))
		return s
	}
	return refuse(fromReader(key, next, bufs, state, nil), nilArg("r", r == nil))
}

// FromFile is [FromReader] over the file at path, opened on the chip's first
// call in each run and closed at END or when the runlet stops. A file that
// cannot be opened fails the runlet with the *os.PathError of os.Open
// (errors.Is(err, fs.ErrNotExist) for a missing file). With the runlet's
// Config.Stats on, its statistics show the bytes read of the file's size.
func FromFile(key string, next *pool.Pend[[]byte], path string, bufs *pool.Buffers) *Func[struct{}, []byte, readState] {
	open := func(s *readState) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		s.r, s.file, s.local = f, f, neverWaits(f)
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			s.prog.total.Store(fi.Size())
		}
		return nil
	}
	state := func() readState { return readState{prog: &readProgress{}} }
	return fromReader(key, next, bufs, state, open)
}

func fromReader(key string, next *pool.Pend[[]byte], bufs *pool.Buffers, state func() readState, open func(*readState) error) *Func[struct{}, []byte, readState] {
	f := New(Config[struct{}, []byte, readState]{
		Key: key, Next: next, State: state, Async: true,
		Process: func(ctx context.Context, in hints.Pack[struct{}], s *readState) (hints.Pack[[]byte], error) {
			if s.eof {
				return hints.Pack[[]byte]{Hint: hints.End}, nil
			}
			if err := s.err; err != nil {
				s.err = nil
				return hints.Pack[[]byte]{}, err
			}
			if in.Hint == hints.End { // the runlet drains: no more Reads
				return hints.Pack[[]byte]{Hint: hints.End}, nil
			}
			if err := ctx.Err(); err != nil {
				return hints.Pack[[]byte]{}, err
			}
			if s.r == nil && open != nil {
				if err := open(s); err != nil {
					return hints.Pack[[]byte]{}, err
				}
			}
			buf := bufs.Get()
			n, err := readFull(s.r, buf)
			s.prog.done.Add(int64(n))
			if err == io.EOF && s.file != nil {
				err = s.file.Close()
				s.file = nil
				s.eof = err == nil
			}
			if err != nil && err != io.EOF {
				bufs.Put(buf)
				return s.fail(err)
			}
			if err == io.EOF {
				s.eof = true
			}
			if n == 0 {
				bufs.Put(buf)
				return hints.Pack[[]byte]{Hint: hints.End}, nil
			}
			return hints.Data(buf[:n]), nil
		},
		Close: func(s *readState) {
			if s.file != nil {
				s.file.Close()
				s.file = nil
			}
		},
	})
	f.check = needBuffers(bufs)
	f.progress, f.progressUnit = (*readState).progress, "bytes"
	f.ready = func(s *readState) int {
		switch {
		case s.err != nil:
			return 0 // the error in a batch of its own, after the chunks
		case s.local:
			return MaxBatch // every read of this batch
		case s.eof:
			return 1 // END
		}
		return 0
	}
	return f
}

// fail returns err, or for a local reader keeps it for the next call (the
// chip's Ready then ends the batch), so that the chunks read before it in
// the batch are pushed before the runlet fails.
func (s *readState) fail(err error) (hints.Pack[[]byte], error) {
	if !s.local {
		return hints.Pack[[]byte]{}, err
	}
	s.err = err
	return hints.Pack[[]byte]{Hint: hints.Skip}, nil
}

// maxEmptyReads is how many reads in a row may return nothing and no error
// before readFull gives up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// readFull reads into buf until it is full or r fails. Unlike io.ReadFull it
// returns r's own error unchanged (io.EOF at the end, however much was read),
// so a reader's io.ErrUnexpectedEOF is never mistaken for a short last chunk.
func readFull(r io.Reader, buf []byte) (n int, err error) {
	empty := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m > 0 {
			empty = 0
		} else if empty++; empty >= maxEmptyReads {
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}

// writeState is the state of ToFile.
type writeState struct {
	file *os.File
	done bool
}

// ToWriter returns an async output chip that writes every chunk it pulls
// from prev to w, in order, then Puts it back into bufs (bufs may be nil:
// chunks are then left to the garbage collector). A failed or short write
// fails the runlet with the writer's error (io.ErrShortWrite for a short one).
// ToWriter neither flushes nor closes w.
func ToWriter(key string, prev *pool.Pend[[]byte], w io.Writer, bufs *pool.Buffers) *Func[[]byte, struct{}, struct{}] {
	return refuse(New(Config[[]byte, struct{}, struct{}]{
		Key: key, Prev: prev, Async: true,
		Process: func(_ context.Context, in hints.Pack[[]byte], _ *struct{}) (hints.Pack[struct{}], error) {
			if in.Hint == hints.End {
				return hints.Pack[struct{}]{Hint: hints.End}, nil
			}
			err := write(w, in.Value)
			if bufs != nil {
				bufs.Put(in.Value)
			}
			if err != nil {
				return hints.Pack[struct{}]{}, err
			}
			return hints.Pack[struct{}]{Hint: hints.Skip}, nil
		},
	}), nilArg("w", w == nil))
}

// ToFile is [ToWriter] into the file at path, created (or truncated) on the
// chip's first call in each run and closed at END; an error of os.Create,
// Write or Close fails the runlet. When the runlet fails the file is closed
// and left as it is.
func ToFile(key string, prev *pool.Pend[[]byte], path string, bufs *pool.Buffers) *Func[[]byte, struct{}, writeState] {
	return New(Config[[]byte, struct{}, writeState]{
		Key: key, Prev: prev, Async: true,
		Process: func(_ context.Context, in hints.Pack[[]byte], s *writeState) (hints.Pack[struct{}], error) {
			if s.file == nil && !s.done {
				f, err := os.Create(path)
				if err != nil {
					if in.Hint != hints.End && bufs != nil {
						bufs.Put(in.Value)
					}
					return hints.Pack[struct{}]{}, err
				}
				s.file = f
			}
			if in.Hint == hints.End {
				s.done = true
				err := s.file.Close()
				s.file = nil
				if err != nil {
					return hints.Pack[struct{}]{}, err
				}
				return hints.Pack[struct{}]{Hint: hints.End}, nil
			}
			err := write(s.file, in.Value)
			if bufs != nil {
				bufs.Put(in.Value)
			}
			if err != nil {
				return hints.Pack[struct{}]{}, err
			}
			return hints.Pack[struct{}]{Hint: hints.Skip}, nil
		},
		Close: func(s *writeState) {
			if s.file != nil {
				s.file.Close()
				s.file = nil
			}
		},
	})
}

func write(w io.Writer, p []byte) error {
	n, err := w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return err
}

// chunker is an io.Writer that copies what is written into buffers from
// bufs and queues each buffer once it is full. It is owned by one goroutine.
type chunker struct {
	bufs *pool.Buffers
	cur  []byte   // the buffer being filled, nil for none
	n    int      // bytes in cur
	full [][]byte // filled chunks, from head on
	head int
}

func (c *chunker) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if c.cur == nil {
			c.cur, c.n = c.bufs.Get(), 0
		}
		k := copy(c.cur[c.n:], p)
		c.n += k
		p = p[k:]
		if c.n == len(c.cur) {
			c.full = append(c.full, c.cur)
			c.cur = nil
		}
	}
	return total, nil
}

// flush queues the partly filled buffer, if any.
func (c *chunker) flush() {
	if c.cur == nil {
		return
	}
	if c.n > 0 {
		c.full = append(c.full, c.cur[:c.n])
	} else {
		c.bufs.Put(c.cur)
	}
	c.cur = nil
}

// pop takes the oldest queued chunk; more says whether another one waits.
func (c *chunker) pop() (chunk []byte, ok, more bool) {
	if c.head == len(c.full) {
		return nil, false, false
	}
	chunk = c.full[c.head]
	c.full[c.head] = nil
	c.head++
	if c.head == len(c.full) {
		c.full, c.head = c.full[:0], 0
		return chunk, true, false
	}
	return chunk, true, true
}

// release Puts back every buffer the chunker holds.
func (c *chunker) release() {
	for {
		chunk, ok, _ := c.pop()
		if !ok {
			break
		}
		c.bufs.Put(chunk)
	}
	if c.cur != nil {
		c.bufs.Put(c.cur)
		c.cur = nil
	}
}

// transformState is the state of Transform.
type transformState struct {
	out    chunker
	wc     io.WriteCloser // made on the first call
	fed    bool           // the current input went into wc; its outputs are being emitted
	closed bool
}

// Transform returns an async chip over a writer transform, such as a
// compressor: newWriter(w) returns a WriteCloser that writes its output to w
// (for gzip: func(w io.Writer) (io.WriteCloser, error) { return
// gzip.NewWriter(w), nil }). It is called on the chip's first call in each
// run.
//
// Each chunk pulled from prev is written into the WriteCloser and then Put
// back into bufs. Output is collected into buffers from bufs and pushed to
// next as full chunks of bufs.Size() bytes, as soon as each is full: none for
// an input (SKIP) or several (REDO). At END the WriteCloser is closed, the
// rest of its output pushed (the last chunk may be short), then END. An error
// of newWriter, Write or Close fails the runlet with that error.
//
// The pushed chunks do not depend on how the input was cut into chunks, so
// the output stream is the one io.Copy into the same WriteCloser writes.
func Transform(key string, prev *pool.Pend[[]byte], next *pool.Pend[[]byte], bufs *pool.Buffers, newWriter func(w io.Writer) (io.WriteCloser, error)) *Func[[]byte, []byte, transformState] {
	f := New(Config[[]byte, []byte, transformState]{
		Key: key, Prev: prev, Next: next, Async: true,
		State: func() transformState { return transformState{out: chunker{bufs: bufs}} },
		Process: func(_ context.Context, in hints.Pack[[]byte], s *transformState) (hints.Pack[[]byte], error) {
			if !s.fed {
				if s.wc == nil {
					wc, err := newWriter(&s.out)
					if err == nil && wc == nil {
						err = errors.New("chip: Transform: newWriter returned a nil writer")
					}
					if err != nil {
						if in.Hint == hints.None {
							bufs.Put(in.Value)
						}
						return hints.Pack[[]byte]{}, err
					}
					s.wc = wc
				}
				switch in.Hint {
				case hints.None:
					_, err := s.wc.Write(in.Value)
					bufs.Put(in.Value)
					if err != nil {
						return hints.Pack[[]byte]{}, err
					}
				case hints.End:
					s.closed = true
					if err := s.wc.Close(); err != nil {
						return hints.Pack[[]byte]{}, err
					}
					s.out.flush()
				}
				s.fed = true
			}
			chunk, ok, more := s.out.pop()
			switch {
			case ok && (more || in.Hint == hints.End):
				return hints.Again(chunk), nil
			case ok:
				s.fed = false
				return hints.Data(chunk), nil
			}
			s.fed = false
			if in.Hint == hints.End {
				return hints.Pack[[]byte]{Hint: hints.End}, nil
			}
			return hints.Pack[[]byte]{Hint: hints.Skip}, nil
		},
		// Output not pushed when the runlet stops goes back. An unclosed
		// writer is not closed: that would only make more output.
		Close: func(s *transformState) { s.out.release() },
	})
	f.check = needBuffers(bufs)
	return refuse(f, nilArg("newWriter", newWriter == nil))
}

// errStopped is what the decoder goroutine of TransformReader reads once the
// runlet has stopped.
var errStopped = errors.New("chip: runlet stopped")

// feedReader is the io.Reader (and io.ByteReader, so that decoders such as
// compress/flate read it directly, without a bufio.Reader and its copy) that
// a TransformReader's decoder goroutine reads: the chunks the worker hands
// over on feed, each Put back once read.
type feedReader struct {
	feed <-chan []byte
	stop <-chan struct{}
	ctx  context.Context
	bufs *pool.Buffers
	cur  []byte // the chunk being read, nil for none
	off  int
}

// next makes sure cur has unread bytes: it Puts back a used-up chunk and
// waits for the next one.
func (f *feedReader) next() error {
	for f.off == len(f.cur) {
		if f.cur != nil {
			f.bufs.Put(f.cur)
			f.cur = nil
		}
		select {
		case chunk, ok := <-f.feed:
			if !ok {
				return io.EOF
			}
			f.cur, f.off = chunk, 0
		case <-f.stop:
			return errStopped
		case <-f.ctx.Done():
			return errStopped
		}
	}
	return nil
}

func (f *feedReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if f.off == len(f.cur) {
		if err := f.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, f.cur[f.off:])
	f.off += n
	return n, nil
}

func (f *feedReader) ReadByte() (byte, error) {
	if f.off == len(f.cur) {
		if err := f.next(); err != nil {
			return 0, err
		}
	}
	c := f.cur[f.off]
	f.off++
	return c, nil
}

func (f *feedReader) release() {
	if f.cur != nil {
		f.bufs.Put(f.cur)
		f.cur = nil
	}
}

// readerState is the state of TransformReader. The worker and the decoder
// goroutine share only the channels, and err, which the goroutine sets before
// it closes out.
type readerState struct {
	started    bool
	feed       chan []byte   // input chunks, worker -> goroutine; unbuffered
	out        chan []byte   // output chunks, goroutine -> worker; unbuffered, closed when the goroutine ends
	stop       chan struct{} // closed by the Close hook
	err        error         // why the goroutine ended (nil: the decoder's io.EOF)
	feedClosed bool
}

// TransformReader returns an async chip over a reader transform, such as a
// decompressor: newReader(r) returns a Reader of the transformed stream read
// from r (for gzip: func(r io.Reader) (io.Reader, error) { return
// gzip.NewReader(r) }).
//
// On the chip's first call in each run a goroutine starts that calls
// newReader over the chunks the chip pulls from prev (each Put back into bufs
// once read), reads the result into buffers from bufs and hands them to the
// chip, which pushes them to next as chunks of bufs.Size() bytes (the last may
// be short), at most one chunk ahead of the chip. newReader's Reader may be an
// io.ByteReader: the chunks are read in place. At the decoder's io.EOF the
// chip closes it if it is an io.Closer (a Close error fails the runlet) and
// ends after its input ends; input after that is Put back unread. An error of
// newReader or of the decoder fails the runlet with that error: for gzip,
// non-gzip input fails with gzip.ErrHeader, a truncated stream with
// io.ErrUnexpectedEOF and an empty one with io.EOF (from gzip.NewReader).
//
// The goroutine ends when the stream ends, and otherwise when the runlet
// stops: the Close hook waits for it, so it has ended when Run returns.
func TransformReader(key string, prev *pool.Pend[[]byte], next *pool.Pend[[]byte], bufs *pool.Buffers, newReader func(r io.Reader) (io.Reader, error)) *Func[[]byte, []byte, readerState] {
	f := New(Config[[]byte, []byte, readerState]{
		Key: key, Prev: prev, Next: next, Async: true,
		Process: func(ctx context.Context, in hints.Pack[[]byte], s *readerState) (hints.Pack[[]byte], error) {
			if !s.started {
				s.start(ctx, bufs, newReader)
			}
			if in.Hint == hints.End {
				if !s.feedClosed {
					s.feedClosed = true
					close(s.feed)
				}
				select {
				case chunk, ok := <-s.out:
					if ok {
						return hints.Again(chunk), nil
					}
					if s.err != nil {
						return hints.Pack[[]byte]{}, s.err
					}
					return hints.Pack[[]byte]{Hint: hints.End}, nil
				case <-ctx.Done():
					return hints.Pack[[]byte]{}, ctx.Err()
				}
			}
			select {
			case s.feed <- in.Value: // the chunk is the goroutine's now
				return hints.Pack[[]byte]{Hint: hints.Skip}, nil
			case chunk, ok := <-s.out:
				if ok {
					return hints.Again(chunk), nil // feed the input on the next call
				}
				bufs.Put(in.Value)
				if s.err != nil {
					return hints.Pack[[]byte]{}, s.err
				}
				return hints.Pack[[]byte]{Hint: hints.Skip}, nil // the decoder is done: drop the rest
			case <-ctx.Done():
				bufs.Put(in.Value)
				return hints.Pack[[]byte]{}, ctx.Err()
			}
		},
		Close: func(s *readerState) {
			if !s.started {
				return
			}
			close(s.stop)
			for range s.out { // wait for the goroutine; it sends nothing after stop
			}
		},
	})
	f.check = func() error {
		if newReader == nil {
			return errors.New("nil newReader")
		}
		return needBuffers(bufs)()
	}
	return f
}

// start starts the decoder goroutine.
func (s *readerState) start(ctx context.Context, bufs *pool.Buffers, newReader func(io.Reader) (io.Reader, error)) {
	s.started = true
	s.feed = make(chan []byte)
	s.out = make(chan []byte)
	s.stop = make(chan struct{})
	feed, out, stop := s.feed, s.out, s.stop
	go func() {
		fr := &feedReader{feed: feed, stop: stop, ctx: ctx, bufs: bufs}
		var err error
		defer func() {
			if v := recover(); v != nil { // a panic in newReader or the decoder fails the runlet
				err = panicError(v)
			}
			fr.release()
			s.err = err
			close(out)
		}()
		dec, err := newReader(fr)
		if err != nil {
			return
		}
		if dec == nil {
			err = errors.New("chip: TransformReader: newReader returned a nil reader")
			return
		}
		for {
			buf := bufs.Get()
			n, rerr := readFull(dec, buf)
			if n > 0 {
				select {
				case out <- buf[:n]:
				case <-stop:
					bufs.Put(buf)
					err = errStopped
					return
				case <-ctx.Done():
					bufs.Put(buf)
					err = errStopped
					return
				}
			} else {
				bufs.Put(buf)
			}
			if rerr == io.EOF {
				if c, ok := dec.(io.Closer); ok {
					err = c.Close()
				}
				return
			}
			if rerr != nil {
				err = rerr
				return
			}
		}
	}()
}

func needBuffers(bufs *pool.Buffers) func() error {
	return func() error {
		if bufs == nil {
			return errors.New("nil *pool.Buffers")
		}
		return nil
	}
}
