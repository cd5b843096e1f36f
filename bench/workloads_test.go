package bench

import "testing"

// TestWorkloads runs every system of every workload on small counts and
// checks its checksum, so a broken pipeline (a peer's or runlet's) is
// caught by go test, not only by a benchmark run. The counts cover the
// empty stream, a single item, and counts that leave partial batches.
func TestWorkloads(t *testing.T) {
	for _, w := range workloads() {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			switch w.name {
			case ioMap.name:
				checkWorkload(t, w, 0, 1, 130) // 130 ms of sleeps at most, 64 at a time
			case gzipWorkload(nil).name:
				// 300001 bytes: four full 64 KiB chunks and a partial one.
				checkWorkload(t, gzipWorkload(gzipData(300_001)), 0, 1, 2)
			case linesWorkload(logFile{}).name:
				// About 3,400 lines: many bursts of the runlets' pends.
				f, err := writeLogFile(t.TempDir(), 300_000)
				if err != nil {
					t.Fatal(err)
				}
				checkWorkload(t, linesWorkload(f), 0, 1, 2)
			default:
				checkWorkload(t, w, 0, 1, 7, 1001, 5000)
			}
		})
	}
}
