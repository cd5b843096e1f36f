package command

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// registerFiles adds gunzip, write and gzip (see [RegisterBuiltins]).
func registerFiles(r *Registry) error {
	err := Register(r, Spec{Name: "gunzip", Summary: "one record {line} a line of the gzip-compressed FILE (- or none: standard input)",
		Args: []Arg{{Name: "FILE", Optional: true}}},
		func(s Stage[struct{}, Record]) ([]chip.Chip, error) {
			src, err := s.Open(s.Args.String("FILE"))
			if err != nil {
				return nil, err
			}
			text := pool.NewPend[string](s.Pool, s.Key+".text")
			return []chip.Chip{
				chip.Lines(s.Key, text, &lazyGunzip{src: src}),
				chip.Map(s.Key+".record", text, s.Next, func(l string) (Record, error) { return Record{"line": l}, nil }),
			}, nil
		})
	if err != nil {
		return err
	}
	for _, compress := range []bool{false, true} {
		if err := registerWrite(r, compress); err != nil {
			return err
		}
	}
	return nil
}

// lazyGunzip reads the gzip stream of src, reading its header on the first
// Read (on the source's goroutine, as a run's error, not at Start).
type lazyGunzip struct {
	src io.Reader
	zr  *gzip.Reader
}

func (g *lazyGunzip) Read(p []byte) (int, error) {
	if g.zr == nil {
		zr, err := gzip.NewReader(g.src)
		if err != nil {
			return 0, fmt.Errorf("gunzip: %w", err)
		}
		g.zr = zr
	}
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("gunzip: %w", err)
	}
	return n, err
}

// fileWriter writes lines to a file it created, through a buffer and, for
// gzip, a compressor. Close flushes and closes once; the run's end closes it
// too (a run aborted before END), so it is safe to call twice.
type fileWriter struct {
	f    *os.File
	zw   *gzip.Writer
	bw   *bufio.Writer
	once sync.Once
	err  error
}

func createWriter(name string, compress bool) (*fileWriter, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, fileError{err}
	}
	w := &fileWriter{f: f}
	var dst io.Writer = f
	if compress {
		w.zw = gzip.NewWriter(f)
		dst = w.zw
	}
	w.bw = bufio.NewWriterSize(dst, 64<<10)
	return w, nil
}

func (w *fileWriter) Close() error {
	w.once.Do(func() {
		err := w.bw.Flush()
		if w.zw != nil {
			err = errors.Join(err, w.zw.Close())
		}
		w.err = errors.Join(err, w.f.Close())
	})
	return w.err
}

// writeState is a write chip's count and whether it has sent its summary.
type writeState struct {
	n    int64
	sent bool
}

// write FILE [FIELD] and gzip FILE [FIELD]: N:1, one summary record at
// END. The line is written into a 64 KiB buffer on the scheduler's
// goroutine (a full buffer's write to the file blocks it for that write);
// nothing is allocated per record but the JSON of a record written whole.
func registerWrite(r *Registry, compress bool) error {
	name, what := "write", "FILE"
	if compress {
		name, what = "gzip", "FILE, gzip-compressed"
	}
	return Register(r, Spec{Name: name,
		Summary: "write each record's FIELD (default: the record as JSON) as a line of " + what + "; at END one record {file, records}",
		Args:    []Arg{{Name: "FILE"}, {Name: "FIELD", Optional: true}}},
		func(s Stage[Record, Record]) ([]chip.Chip, error) {
			file, field := s.Args.String("FILE"), s.Args.String("FIELD")
			w, err := createWriter(file, compress)
			if err != nil {
				return nil, err
			}
			s.env.keep(w)
			return []chip.Chip{chip.New(chip.Config[Record, Record, writeState]{Key: s.Key, Prev: s.Prev, Next: s.Next,
				Process: func(_ context.Context, pk hints.Pack[Record], st *writeState) (hints.Pack[Record], error) {
					if pk.Hint != hints.End {
						st.n++
						return hints.SkipOf[Record](), writeLine(w.bw, pk.Value, field)
					}
					if !st.sent {
						st.sent = true
						if err := w.Close(); err != nil {
							return hints.Pack[Record]{}, err
						}
						return hints.Again(Record{"file": file, "records": st.n}), nil
					}
					return hints.EndOf[Record](1), nil
				}})}, nil
		})
}

func writeLine(w *bufio.Writer, v Record, field string) error {
	if field != "" {
		w.WriteString(v.Text(field))
	} else {
		w.WriteString(v.String())
	}
	return w.WriteByte('\n')
}

// keep has c closed when the run ends.
func (e *env) keep(c io.Closer) {
	e.mu.Lock()
	e.files = append(e.files, c)
	e.mu.Unlock()
}
