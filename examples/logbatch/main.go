// Logbatch groups log lines into batches for a bulk write, the way a log
// shipper does: a batch goes out when it holds -size records, or when its
// oldest record has waited -wait, whichever comes first, and the last partial
// batch at the end of the input.
//
//	lines -> parse (Map) -> batch (Batch(size, wait)) -> label (Map) -> write (async output)
//
// chip.Batch flushes a partial batch through the chip's Timer: when it runs
// out of input it tells the scheduler how long it may wait, and is woken
// with "time is up" if no line came meanwhile. So a quiet input still gets
// its records written within -wait, without a goroutine or ticker per batch.
// The writer is an async chip: a bulk write that blocks (a database, a
// network) runs on a worker while the scheduler keeps parsing and batching.
//
// Each flush is printed with its size, when it went out (since the start)
// and why: "full", "max wait" (the timer, or a record that came in after the
// wait had passed), or "end" (the input ended). The label is derived from
// the batch: its length and the age of its oldest record.
//
// By default the input is a generated log that comes in bursts (-bursts
// lines each, -pause apart); -in reads a file, or standard input with "-".
//
// Ctrl+C (SIGINT) or SIGTERM drains the flow (runlet.DrainOnSignal): the
// input stops, the lines already read are batched and written (the partial
// batch at once, not after -wait), and the program exits 0 after printing
// how many lines it read. A second Ctrl+C aborts: the error names the chips
// that had not finished, and the program exits 1. -list prints every
// record written, -write-delay makes each bulk write take that long.
//
//	go run ./examples/logbatch
//	go run ./examples/logbatch -bursts 250,30,120 -pause 500ms -size 100 -wait 200ms
//	some-program | go run ./examples/logbatch -in -
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

func main() {
	signals := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, signals...); err != nil {
		fmt.Fprintln(os.Stderr, "logbatch:", err)
		os.Exit(1)
	}
}

// record is a parsed log line: "<time> <LEVEL> <message>".
type record struct {
	Level, Msg string
	parsed     time.Time // when the line was parsed: the age of a batch
}

// flush is a batch on its way to the writer, with why it went out.
type flush struct {
	records []record
	reason  string
	at      time.Duration // since the start
}

// run parses args and runs the pipeline over the chosen input, printing the
// flushes to w. The first of signals drains the flow, the second aborts it.
func run(ctx context.Context, args []string, stdin io.Reader, w io.Writer, signals ...os.Signal) error {
	fl := flag.NewFlagSet("logbatch", flag.ContinueOnError)
	size := fl.Int("size", 100, "the most records in a batch")
	wait := fl.Duration("wait", 200*time.Millisecond, "the longest a record waits for its batch to go out")
	in := fl.String("in", "", `the log to read ("-" for standard input); empty: a generated log`)
	bursts := fl.String("bursts", "250,30,120", "the generated log: lines per burst")
	pause := fl.Duration("pause", 500*time.Millisecond, "the generated log: the pause between bursts")
	list := fl.Bool("list", false, "print every record written, one a line")
	delay := fl.Duration("write-delay", 0, "how long each bulk write takes")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *size < 1 || *wait <= 0 {
		return fmt.Errorf("-size must be at least 1 and -wait positive (got %d and %v)", *size, *wait)
	}

	// One pool holds every pend between the chips, so its limit bounds what
	// the whole flow buffers. The pends need no names: the runlet calls each
	// after the chip that pushes into it ("lines.out", "parse.out", ...).
	p := pool.New("log", 4**size)
	lines, parsed := pool.NewPend[string](p, ""), pool.NewPend[record](p, "")
	batched, labeled := pool.NewPend[[]record](p, ""), pool.NewPend[flush](p, "")

	var source chip.Chip
	switch *in {
	case "":
		counts, err := parseBursts(*bursts)
		if err != nil {
			return err
		}
		source = chip.Generate("lines", lines, generate(counts, *pause))
	case "-":
		source = chip.Lines("lines", lines, stdin)
	default:
		f, err := os.Open(*in)
		if err != nil {
			return err
		}
		defer f.Close()
		source = chip.Lines("lines", lines, f)
	}

	start := time.Now()
	label := func(b []record) (flush, error) {
		f := flush{records: b, at: time.Since(start)}
		switch {
		case len(b) == *size:
			f.reason = "full"
		case time.Since(b[0].parsed) >= *wait:
			f.reason = "max wait"
		default:
			f.reason = "end"
		}
		return f, nil
	}
	write := writer(w, labeled, *delay, *list)
	var read atomic.Int64 // lines parsed: every line the source read
	r := runlet.New([]chip.Chip{
		source,
		chip.Map("parse", lines, parsed, func(line string) (record, error) { read.Add(1); return parse(line) }),
		chip.Batch("batch", parsed, batched, *size, *wait),
		chip.Map("label", batched, labeled, label),
		write,
	}, runlet.Config{})
	if len(signals) > 0 {
		stop := runlet.DrainOnSignal(ctx, r, signals...)
		defer stop()
	}
	if err := r.Run(ctx); err != nil {
		return err
	}
	if *in != "" {
		_, err := fmt.Fprintf(w, "read %d lines\n", read.Load())
		return err
	}
	return nil
}

// writer returns the output chip that writes the flushes to w (an async
// chip: a bulk write may block), each taking delay, and every record's
// message too if list; at END it prints the totals.
func writer(w io.Writer, labeled *pool.Pend[flush], delay time.Duration, list bool) chip.Chip {
	records, batches := 0, 0 // the writer's
	// An output chip (no Next), async: the write may block.
	write := chip.New(chip.Config[flush, struct{}, struct{}]{
		Key: "write", Prev: labeled, Async: true,
		Process: func(ctx context.Context, in hints.Pack[flush], _ *struct{}) (hints.Pack[struct{}], error) {
			if in.Hint == hints.End {
				_, err := fmt.Fprintf(w, "%d records in %d batches\n", records, batches)
				return hints.Pack[struct{}]{Hint: hints.End}, err
			}
			if delay > 0 { // a slow bulk write, which gives up when the runlet stops
				select {
				case <-time.After(delay):
				case <-ctx.Done():
					return hints.Pack[struct{}]{}, ctx.Err()
				}
			}
			records, batches = records+len(in.Value.records), batches+1
			_, err := fmt.Fprintf(w, "flush %4d records  %-8s at %6v  %s\n",
				len(in.Value.records), in.Value.reason, in.Value.at.Round(time.Millisecond), levels(in.Value.records))
			for _, r := range in.Value.records {
				if err == nil && list {
					_, err = fmt.Fprintf(w, "  %s\n", r.Msg)
				}
			}
			return hints.SkipOf[struct{}](), err
		},
	})
	return write
}

// parse splits "<time> <LEVEL> <message>"; a line of another shape is kept
// whole as the message of a record of level "?".
func parse(line string) (record, error) {
	r := record{Level: "?", Msg: line, parsed: time.Now()}
	if ts, rest, ok := strings.Cut(line, " "); ok {
		if _, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			r.Level, r.Msg, _ = strings.Cut(rest, " ")
		}
	}
	return r, nil
}

// levels counts the records of each level, in a fixed order.
func levels(rs []record) string {
	var order []string
	count := map[string]int{}
	for _, r := range rs {
		if count[r.Level] == 0 {
			order = append(order, r.Level)
		}
		count[r.Level]++
	}
	var b strings.Builder
	for i, l := range order {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", l, count[l])
	}
	return b.String()
}

// generate returns a generator of log lines in bursts of counts lines,
// pause apart.
func generate(counts []int, pause time.Duration) func(context.Context, func(string) bool) error {
	return func(ctx context.Context, yield func(string) bool) error {
		id := 0
		for i, n := range counts {
			if i > 0 {
				select {
				case <-time.After(pause):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			for range n {
				id++
				level := "INFO"
				switch {
				case id%20 == 0:
					level = "ERROR"
				case id%5 == 0:
					level = "WARN"
				}
				line := fmt.Sprintf("%s %s request %d served", time.Now().UTC().Format(time.RFC3339Nano), level, id)
				if !yield(line) {
					return nil
				}
			}
		}
		return nil
	}
}

// parseBursts parses "250,30,120".
func parseBursts(s string) ([]int, error) {
	var counts []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("-bursts: %q is not a count of lines", f)
		}
		counts = append(counts, n)
	}
	return counts, nil
}
