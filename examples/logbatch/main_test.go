package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/synctest"
)

// Under synctest the clock is fake, so the flushes are exact: two full
// batches and the timed flush of the rest 200ms later, a small burst
// flushed by the timer alone, then a full batch and the rest at the end.
func TestGeneratedBurstsFlushBySizeTimeAndEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"-bursts", "250,30,120"}, nil, &out); err != nil {
			t.Fatal(err)
		}
		want := `flush  100 records  full     at     0s  INFO=80 WARN=15 ERROR=5
flush  100 records  full     at     0s  INFO=80 WARN=15 ERROR=5
flush   50 records  max wait at  200ms  INFO=40 WARN=8 ERROR=2
flush   30 records  max wait at  700ms  INFO=24 WARN=4 ERROR=2
flush  100 records  full     at     1s  INFO=80 WARN=15 ERROR=5
flush   20 records  end      at     1s  INFO=16 WARN=3 ERROR=1
400 records in 6 batches
`
		if out.String() != want {
			t.Errorf("got\n%s\nwant\n%s", out.String(), want)
		}
	})
}

// The size and wait are the flags': bursts closer together than the wait
// fill batches without a timed flush.
func TestFlagsSetSizeAndWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		args := []string{"-bursts", "5,5,5", "-pause", "40ms", "-size", "8", "-wait", "50ms"}
		if err := run(context.Background(), args, nil, &out); err != nil {
			t.Fatal(err)
		}
		// 5 at 0s; 5 more at 40ms (before the 50ms wait): full at 8, 2
		// left; 5 more at 80ms, when those 2 have waited 40ms: 7, and the
		// input ends.
		want := `flush    8 records  full     at   40ms  INFO=7 WARN=1
flush    7 records  end      at   80ms  INFO=5 WARN=2
15 records in 2 batches
`
		if out.String() != want {
			t.Errorf("got\n%s\nwant\n%s", out.String(), want)
		}
	})
}

// Standard input that ends at once: full batches, then the rest at the end;
// lines that are not "<time> <LEVEL> <message>" are kept, as level "?".
func TestStdinBatchesAndKeepsOddLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in := strings.Repeat("2026-01-02T15:04:05Z INFO hello\n", 5) + "not a log line\n"
		var out bytes.Buffer
		if err := run(context.Background(), []string{"-in", "-", "-size", "4"}, strings.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		want := `flush    4 records  full     at     0s  INFO=4
flush    2 records  end      at     0s  INFO=1 ?=1
6 records in 2 batches
read 6 lines
`
		if out.String() != want {
			t.Errorf("got\n%s\nwant\n%s", out.String(), want)
		}
	})
}

func TestParse(t *testing.T) {
	r, _ := parse("2026-01-02T15:04:05.5Z ERROR disk full on /var")
	if r.Level != "ERROR" || r.Msg != "disk full on /var" {
		t.Errorf("parse = %q %q, want ERROR and the message", r.Level, r.Msg)
	}
	r, _ = parse("yesterday ERROR x")
	if r.Level != "?" || r.Msg != "yesterday ERROR x" {
		t.Errorf("parse of a bad time = %q %q, want ? and the whole line", r.Level, r.Msg)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-size", "0"}, {"-wait", "0s"}, {"-bursts", "1,x"}, {"-in", "testdata/missing.log"}} {
		if err := run(context.Background(), args, nil, new(bytes.Buffer)); err == nil {
			t.Errorf("run %v: no error", args)
		}
	}
}
