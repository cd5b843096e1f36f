package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/runlet/runlet/cmd/runlet/internal/accesslog"
)

// BenchmarkCountByHost runs `lines | fields ws host | count-by host` on a
// generated 8 MB access log in-process (profile it with -cpuprofile);
// cmd/runlet/testdata/bench.sh times the binary against awk and plain Go.
func BenchmarkCountByHost(b *testing.B) {
	log := filepath.Join(b.TempDir(), "access.log")
	f, err := os.Create(log)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := accesslog.Write(f, 8<<20, 1); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(8 << 20)
	for b.Loop() {
		var errb bytes.Buffer
		code := runMain(context.Background(), []string{"-template", "{{.host}} {{.count}}", "run", "lines | fields ws host | count-by host", log}, nil, io.Discard, &errb)
		if code != 0 {
			b.Fatal(errb.String())
		}
	}
}
