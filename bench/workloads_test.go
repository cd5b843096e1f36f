package bench

import "testing"

// TestWorkloads runs every system of every workload on small counts and
// checks its checksum, so a broken pipeline (a peer's or runlet's) is
// caught by go test, not only by a benchmark run. The counts cover the
// empty stream, a single item, and counts that leave partial batches.
func TestWorkloads(t *testing.T) {
	for _, w := range []workload{chain4, flatMap5, batch100, duplicate2, loadBalance4, cpuMap} {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			checkWorkload(t, w, 0, 1, 7, 1001, 5000)
		})
	}
	t.Run("IOMap", func(t *testing.T) {
		t.Parallel()
		checkWorkload(t, ioMap, 0, 1, 130) // 130 ms of sleeps at most, 64 at a time
	})
	t.Run("Gzip", func(t *testing.T) {
		t.Parallel()
		// 300001 bytes: four full 64 KiB chunks and a partial one.
		checkWorkload(t, gzipWorkload(gzipData(300_001)), 0, 1, 2)
	})
}
