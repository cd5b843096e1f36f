// Logbatch-hud is examples/logbatch with a -hud flag: the same flow
// (lines -> parse -> batch -> label -> write), watched live in the terminal
// view of package hud. Under the HUD each flush goes to the log pane (an
// slog record) instead of standard output.
//
// It lives in the hud module, not next to examples/logbatch, because the
// library's module must stay free of Bubble Tea (see hud/examples/wordcount).
// -rounds repeats the bursts (0: until drained), to watch a long run.
//
//	cd hud && go run ./examples/logbatch -hud -rounds 0 -write-delay 20ms
//
// Keys: ↑/↓ select a chip, enter opens its details, p pauses and resumes,
// d drains (the input stops, the lines read are batched and written, exit
// 0), q quits (the flow is aborted, exit 1).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/hud"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "logbatch:", err)
		os.Exit(1)
	}
}

// record is a parsed log line: "<time> <LEVEL> <message>".
type record struct {
	Level, Msg string
	parsed     time.Time
}

// flush is a batch on its way to the writer, with why it went out.
type flush struct {
	records []record
	reason  string
	at      time.Duration
}

// run parses args and runs the flow over a generated log, under the HUD
// with -hud.
func run(ctx context.Context, args []string, w io.Writer) error {
	fl := flag.NewFlagSet("logbatch", flag.ContinueOnError)
	size := fl.Int("size", 100, "the most records in a batch")
	wait := fl.Duration("wait", 200*time.Millisecond, "the longest a record waits for its batch to go out")
	bursts := fl.String("bursts", "250,30,120", "the generated log: lines per burst")
	pause := fl.Duration("pause", 500*time.Millisecond, "the generated log: the pause between bursts")
	rounds := fl.Int("rounds", 1, "how many times the bursts are repeated (0: until drained)")
	delay := fl.Duration("write-delay", 0, "how long each bulk write takes")
	withHUD := fl.Bool("hud", false, "watch the flow in the terminal view")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *size < 1 || *wait <= 0 || *rounds < 0 {
		return fmt.Errorf("-size must be at least 1, -wait positive and -rounds at least 0 (got %d, %v and %d)", *size, *wait, *rounds)
	}
	counts, err := parseBursts(*bursts)
	if err != nil {
		return err
	}
	logs := hud.NewLogHandler(0, nil)
	log := slog.New(logs)
	if !*withHUD {
		log = slog.New(slog.NewTextHandler(w, nil))
	}

	p := pool.New("log", 4**size)
	lines, parsed := pool.NewPend[string](p, ""), pool.NewPend[record](p, "")
	batched, labeled := pool.NewPend[[]record](p, ""), pool.NewPend[flush](p, "")
	start := time.Now()
	label := func(b []record) (flush, error) {
		f := flush{records: b, at: time.Since(start), reason: "end"}
		switch {
		case len(b) == *size:
			f.reason = "full"
		case time.Since(b[0].parsed) >= *wait:
			f.reason = "max wait"
		}
		return f, nil
	}
	var read atomic.Int64
	r := runlet.New([]chip.Chip{
		chip.Generate("lines", lines, generate(counts, *pause, *rounds)),
		chip.Map("parse", lines, parsed, func(line string) (record, error) { read.Add(1); return parse(line) }),
		chip.Batch("batch", parsed, batched, *size, *wait),
		chip.Map("label", batched, labeled, label),
		writer(log, labeled, *delay),
	}, runlet.Config{Name: "logbatch", Stats: true, Logger: log})
	if *withHUD {
		err = hud.Watch(ctx, r, hud.Config{Title: "logbatch", Logs: logs})
	} else {
		err = r.Run(ctx)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "read %d lines\n", read.Load())
	return err
}

// writer returns the async output chip that "writes" the flushes, each
// taking delay, logging each one to log.
func writer(log *slog.Logger, labeled *pool.Pend[flush], delay time.Duration) chip.Chip {
	return chip.New(chip.Config[flush, struct{}, struct{}]{
		Key: "write", Prev: labeled, Async: true,
		Process: func(ctx context.Context, in hints.Pack[flush], _ *struct{}) (hints.Pack[struct{}], error) {
			if in.Hint == hints.End {
				return hints.Pack[struct{}]{Hint: hints.End}, nil
			}
			if delay > 0 {
				select {
				case <-time.After(delay):
				case <-ctx.Done():
					return hints.Pack[struct{}]{}, ctx.Err()
				}
			}
			log.Info("flush", "records", len(in.Value.records), "reason", in.Value.reason,
				"at", in.Value.at.Round(time.Millisecond))
			return hints.SkipOf[struct{}](), nil
		},
	})
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

// generate returns a generator of log lines in bursts of counts lines,
// pause apart, the whole repeated rounds times (0: until the flow drains).
func generate(counts []int, pause time.Duration, rounds int) func(context.Context, func(string) bool) error {
	return func(ctx context.Context, yield func(string) bool) error {
		id := 0
		for round := 0; rounds == 0 || round < rounds; round++ {
			for i, n := range counts {
				if i > 0 || round > 0 {
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
					if !yield(fmt.Sprintf("%s %s request %d served", time.Now().UTC().Format(time.RFC3339Nano), level, id)) {
						return nil
					}
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
