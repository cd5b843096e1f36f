package bench

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	kitsune "github.com/zenbaku/go-kitsune"
)

// linesFileSize is the size of the benchmark's log file (64 MiB, about
// 750,000 lines).
const linesFileSize = 64 << 20

// logFile is a generated log file and what reading it must count.
type logFile struct {
	path         string
	lines, bytes int64 // bytes: of the lines, without their newlines
	size         int64 // of the file
}

// checksum is what one read of the file returns.
func (f logFile) checksum() uint64 { return lineCount{f.lines, f.bytes}.sum() }

// writeLogFile writes at least size bytes of made-up access-log lines
// (about 90 bytes each, deterministic) to a file in dir.
func writeLogFile(dir string, size int64) (logFile, error) {
	f := logFile{path: filepath.Join(dir, "access.log")}
	out, err := os.Create(f.path)
	if err != nil {
		return f, err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	methods := []string{"GET", "GET", "GET", "POST", "PUT", "DELETE"}
	statuses := []string{"200", "200", "200", "200", "304", "404", "500"}
	rng := rand.New(rand.NewPCG(13, 13))
	var line []byte
	for i := 0; f.size < size; i++ {
		line = append(line[:0], "10."...)
		line = strconv.AppendInt(line, int64(i%256), 10)
		line = append(line, '.')
		line = strconv.AppendInt(line, int64(i/256%256), 10)
		line = append(line, ".0.1 - - [29/Nov/2026:10:"...)
		line = strconv.AppendInt(line, int64(10+i/60%50), 10)
		line = append(line, ':')
		line = strconv.AppendInt(line, int64(10+i%50), 10)
		line = append(line, ` +0000] "`...)
		line = append(line, methods[rng.IntN(len(methods))]...)
		line = append(line, " /api/items/"...)
		line = strconv.AppendInt(line, int64(rng.IntN(100_000)), 10)
		line = append(line, ` HTTP/1.1" `...)
		line = append(line, statuses[rng.IntN(len(statuses))]...)
		line = append(line, ' ')
		line = strconv.AppendInt(line, int64(rng.IntN(50_000)), 10)
		f.lines++
		f.bytes += int64(len(line))
		f.size += int64(len(line)) + 1
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return f, err
	}
	return f, out.Close()
}

// lineCount is what every system of the Lines workload counts: lines, and
// the bytes of their text.
type lineCount struct{ lines, bytes int64 }

func (c *lineCount) add(line string) {
	c.lines++
	c.bytes += int64(len(line))
}

func (c lineCount) sum() uint64 { return uint64(c.lines)<<40 + uint64(c.bytes) }

// scanLines is the generator every Generate-shaped system reads the file
// with: a bufio.Scanner yielding each line's text.
func scanLines(r io.Reader) func(context.Context, func(string) bool) error {
	return func(_ context.Context, yield func(string) bool) error {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if !yield(sc.Text()) {
				return nil
			}
		}
		return sc.Err()
	}
}

// linesRead is one system of the Lines workload: it reads r to its end and
// counts what it read.
type linesRead func(r io.Reader) (lineCount, error)

// readTimes opens f.path n times, reads it with read each time, and sums the
// checksums.
func readTimes(f logFile, n int, read linesRead) (uint64, error) {
	var s uint64
	for range n {
		in, err := os.Open(f.path)
		if err != nil {
			return 0, err
		}
		c, err := read(in)
		in.Close()
		if err != nil {
			return 0, err
		}
		s += c.sum()
	}
	return s, nil
}

// linesWorkload reads a log file from end to end (an item is one read of
// the whole file, f.size bytes, f.lines lines) and counts its lines and
// their bytes: issue 13's "read and counted", a source's own cost. The file
// is in the page cache (it was just written), so reading is memcpy, not
// disk. Each system reports ns/line besides ns/item (per file) and MB/s.
//
// Bufio is a bare bufio.Scanner loop (the limit); every system takes each
// line as a string (Scanner.Text, one allocation a line), since that is what
// chip.Lines hands on. Channels is a reader goroutine sending lines on a
// channel buffered 1024; Runlet is chip.Lines into a counting
// chip.ForEach (what the README recommends for files); RunletGenerate
// chip.Generate over a Scanner; RunletFromSeq a sync chip.FromSeq over an
// iter.Seq of the Scanner's lines (a file in the page cache does not block
// for long, so the sync source is fair here); Kitsune kitsune.Generate over
// a Scanner (kitsune has no line source). There is no FusedCalls system:
// the one call a line a per-item API adds (the counting function) costs
// about a nanosecond beside the scan, so Bufio is that limit too. Errgroup
// would be Channels with a context; Conc and Ro have no stream sources and
// are left out.
func linesWorkload(f logFile) workload {
	read := func(read linesRead) func(n int) (uint64, error) {
		return func(n int) (uint64, error) { return readTimes(f, n, read) }
	}
	return workload{
		name:  "Lines",
		bytes: f.size,
		want:  func(n int) uint64 { return uint64(n) * f.checksum() },
		report: func(b *testing.B, nsPerItem float64) {
			b.ReportMetric(nsPerItem/float64(f.lines), "ns/line")
		},
		systems: []system{
			{"Bufio", read(func(r io.Reader) (lineCount, error) {
				var c lineCount
				sc := bufio.NewScanner(r)
				for sc.Scan() {
					c.add(sc.Text())
				}
				return c, sc.Err()
			})},
			{"Channels", read(func(r io.Reader) (lineCount, error) {
				ch, errc := make(chan string, 1024), make(chan error, 1)
				go func() {
					sc := bufio.NewScanner(r)
					for sc.Scan() {
						ch <- sc.Text()
					}
					errc <- sc.Err()
					close(ch)
				}()
				var c lineCount
				for l := range ch {
					c.add(l)
				}
				return c, <-errc
			})},
			{"Runlet", read(func(r io.Reader) (lineCount, error) {
				var c lineCount
				lines := at[string](newPool(), "lines")
				err := runRunlet(chip.Lines("read", lines, r), countLines(lines, &c))
				return c, err
			})},
			{"RunletGenerate", read(func(r io.Reader) (lineCount, error) {
				var c lineCount
				lines := at[string](newPool(), "lines")
				err := runRunlet(chip.Generate("read", lines, scanLines(r)), countLines(lines, &c))
				return c, err
			})},
			{"RunletFromSeq", read(func(r io.Reader) (lineCount, error) {
				var c lineCount
				var scanErr error
				seq := func(yield func(string) bool) { scanErr = scanLines(r)(context.Background(), yield) }
				lines := at[string](newPool(), "lines")
				err := runRunlet(chip.FromSeq("read", lines, seq), countLines(lines, &c))
				return c, errors.Join(err, scanErr)
			})},
			{"Kitsune", read(func(r io.Reader) (lineCount, error) {
				var c lineCount
				_, err := kitsune.Generate(scanLines(r)).ForEach(func(_ context.Context, l string) error {
					c.add(l)
					return nil
				}).Run(context.Background())
				return c, err
			})},
		},
	}
}

// countLines is the runlet output chip of the Lines workload, over lines.
func countLines(lines *pool.Pend[string], c *lineCount) chip.Chip {
	return chip.ForEach("count", lines, func(l string) error { c.add(l); return nil })
}

// TestLogFile checks the generated log file against a count of its own: a
// file that is not what the Lines workload's checksum says would make
// every system's check meaningless.
func TestLogFile(t *testing.T) {
	f, err := writeLogFile(t.TempDir(), 100_000)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	var newlines int64
	for _, b := range data {
		if b == '\n' {
			newlines++
		}
	}
	if int64(len(data)) != f.size || f.size < 100_000 || newlines != f.lines || f.bytes != f.size-f.lines {
		t.Fatalf("file of %d bytes, %d newlines; writeLogFile says %+v", len(data), newlines, f)
	}
}

// BenchmarkLines reads a 64 MiB log file written once per call into
// b.TempDir(); ns/line and MB/s are the figures (ns/item is per file).
func BenchmarkLines(b *testing.B) {
	f, err := writeLogFile(b.TempDir(), linesFileSize)
	if err != nil {
		b.Fatal(err)
	}
	benchWorkload(b, linesWorkload(f))
}
