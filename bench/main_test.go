package bench

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

var listSystems = flag.Bool("list-systems", false, "print the benchmark name of every workload/system pair, one a line, and exit (used by cmd/compare)")

// workloads is every workload, in the order cmd/compare reports them. The
// gzip and lines workloads are listed without their data (names only).
func workloads() []workload {
	return []workload{chain4, flatMap5, batch100, duplicate2, loadBalance4, ioMap, cpuMap, gzipWorkload(nil),
		generate, linesWorkload(logFile{}), slidingWindow, distinctBy, lookup}
}

func TestMain(m *testing.M) {
	flag.Parse()
	if *listSystems {
		for _, w := range workloads() {
			for _, s := range w.systems {
				fmt.Printf("Benchmark%s/%s\n", w.name, s.name)
			}
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
