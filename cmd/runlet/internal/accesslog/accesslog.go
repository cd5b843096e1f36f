// Package accesslog writes a deterministic access log in the combined
// format, for the tests and the benchmark script of the runlet command.
package accesslog

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
)

// Write writes lines of the combined log format to w until at least size
// bytes are written, the same lines for the same seed: 250 hosts (a few
// much busier than the rest), 40 paths, 6 statuses. It returns the number
// of lines.
func Write(w io.Writer, size int64, seed uint64) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	rng := rand.New(rand.NewPCG(seed, 17))
	statuses := []int{200, 200, 200, 200, 304, 404, 500, 503}
	methods := []string{"GET", "GET", "GET", "POST", "HEAD"}
	var written int64
	n := 0
	for written < size {
		host := rng.IntN(250)
		if rng.IntN(4) == 0 {
			host = rng.IntN(5) // the busy ones
		}
		k, err := fmt.Fprintf(bw, "10.%d.%d.%d - - [29/Nov/2026:13:%02d:%02d +0000] \"%s /p/%d HTTP/1.1\" %d %d \"-\" \"agent/%d\"\n",
			host/100, host%100, host%7, n/60%60, n%60, methods[rng.IntN(len(methods))], rng.IntN(40),
			statuses[rng.IntN(len(statuses))], rng.IntN(50000), rng.IntN(9))
		if err != nil {
			return n, err
		}
		written += int64(k)
		n++
	}
	return n, bw.Flush()
}
