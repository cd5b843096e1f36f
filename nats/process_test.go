package nats

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// worker binary, built once per test binary run by buildWorker.
var (
	workerOnce sync.Once
	workerBin  string
	workerErr  error
)

// buildWorker builds testdata/worker into a temporary directory, once.
func buildWorker(t *testing.T) string {
	t.Helper()
	workerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "runlet-nats-worker-")
		if err != nil {
			workerErr = err
			return
		}
		workerBin = filepath.Join(dir, "worker")
		out, err := exec.Command("go", "build", "-o", workerBin, "./testdata/worker").CombinedOutput()
		if err != nil {
			workerErr = fmt.Errorf("%w: %s", err, out)
		}
	})
	require.NoError(t, workerErr)
	return workerBin
}

// TestMain removes the worker binary's directory.
func TestMain(m *testing.M) {
	code := m.Run()
	if workerBin != "" {
		_ = os.RemoveAll(filepath.Dir(workerBin))
	}
	os.Exit(code)
}

// TestWorkerRefused: a worker process with a wrong password, or none, is
// refused by the listening embedded server and exits with an error
// saying so.
func TestWorkerRefused(t *testing.T) {
	bin := buildWorker(t)
	e, _, _ := embedded(t, EmbeddedConfig{Listen: true})
	for _, pass := range []string{"wrong", ""} {
		cmd := exec.Command(bin, "-url", e.URL())
		cmd.Env = append(os.Environ(), "RUNLET_NATS_USER="+e.User(), "RUNLET_NATS_PASSWORD="+pass)
		if pass == "" {
			cmd.Env = os.Environ()
		}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "password %q: %s", pass, out)
		require.Equal(t, 1, exit.ExitCode())
		require.Contains(t, string(out), "Authorization Violation")
		require.Contains(t, string(out), e.URL())
	}
}

// startWorker starts a worker process on e, its stdout piped.
func startWorker(t *testing.T, bin string, e *Embedded, args ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-url", e.URL()}, args...)...)
	cmd.Env = append(os.Environ(), "RUNLET_NATS_USER="+e.User(), "RUNLET_NATS_PASSWORD="+e.Password())
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewScanner(stdout)
}

// TestWorkerKilled: a worker process killed with SIGKILL in the middle of
// a chunk loses nothing: its chunk is redelivered after AckWait to another
// worker process, and every chunk's result is in the results stream
// exactly once, with its exact value.
func TestWorkerKilled(t *testing.T) {
	bin := buildWorker(t)
	e, _, js := embedded(t, EmbeddedConfig{Listen: true})
	jobs := stream(t, js, WorkQueue("JOBS", 1000, "jobs.>"))
	res := stream(t, js, WorkQueue("RES", 1000, "res.>"))
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	const n, hang = 40, 7
	require.NoError(t, produce(ctx, js, "jobs.in", ints(n), PublishConfig[int]{ID: func(v int) string { return "job-" + strconv.Itoa(v) }}))

	first, lines := startWorker(t, bin, e, "-hang", strconv.Itoa(hang), "-ackwait", "500ms")
	require.True(t, lines.Scan(), "the worker reports the chunk it hangs on")
	require.Equal(t, "working "+strconv.Itoa(hang), strings.TrimSpace(lines.Text()))
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	require.Error(t, first.Wait(), "killed")

	second, _ := startWorker(t, bin, e, "-ackwait", "500ms")
	eventually(t, "every chunk acked", func() bool { return msgs(t, jobs) == 0 })
	require.NoError(t, second.Process.Signal(syscall.SIGTERM))
	require.NoError(t, second.Wait(), "a worker stops cleanly on SIGTERM")

	// The sink: every result, once each.
	require.EqualValues(t, n, msgs(t, res))
	p := pool.New("s", 16)
	in := pool.NewPend[Msg[int]](p, "in")
	got := map[string]int{}
	sctx, stop := context.WithCancel(ctx)
	err := runlet.Run(sctx,
		Consume("sink", in, ConsumeConfig[int]{JS: js, Stream: "RES", FetchWait: 50 * time.Millisecond}),
		chip.ForEach("count", in, func(m Msg[int]) error {
			got[m.ID] = m.Value
			if len(got) == n {
				stop()
			}
			return m.Ack()
		}))
	require.ErrorIs(t, err, context.Canceled)
	for i := range n {
		require.Equal(t, i*i, got["job-"+strconv.Itoa(i)], "chunk %d", i)
	}
	require.Zero(t, msgs(t, res), "every result acked once")
}
