package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// upload starts a POST of a gzip stream whose first part is sent at once and
// whose rest waits for the returned writer; it returns the writer, the
// response's channel and the upload.
func startUpload(t *testing.T, url string, data []byte) (*io.PipeWriter, chan *http.Response, chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	resp, errc := make(chan *http.Response, 1), make(chan error, 1)
	go func() {
		r, err := http.Post(url, "application/gzip", pr)
		if err != nil {
			errc <- err
			return
		}
		resp <- r
	}()
	_, err := pw.Write(data[:len(data)/2])
	require.NoError(t, err)
	return pw, resp, errc
}

// serveTest runs s.serve on a local port with a signal channel of the test's.
func serveTest(t *testing.T, s *server) (url string, sigs chan os.Signal, served chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	sigs, served = make(chan os.Signal, 2), make(chan error, 1)
	go func() { served <- s.serve(&http.Server{Handler: s}, ln, sigs) }()
	return "http://" + ln.Addr().String(), sigs, served
}

// The first signal lets the request in flight run to its end, byte-identical,
// and serve returns nil; the server no longer accepts connections.
func TestFirstSignalFinishesRequestsInFlight(t *testing.T) {
	s, _ := testServer(t)
	url, sigs, served := serveTest(t, s)
	want := randomBytes(1<<20, 7)
	gz := gzipped(t, want)
	pw, resp, errc := startUpload(t, url, gz)
	waitActive(s)
	sigs <- syscall.SIGINT
	_, err := pw.Write(gz[len(gz)/2:])
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	select {
	case r := <-resp:
		got, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, r.StatusCode)
		assert.True(t, bytes.Equal(want, got), "the body is the whole file")
	case err := <-errc:
		t.Fatal(err)
	}
	require.NoError(t, <-served)
	_, err = http.Post(url, "application/gzip", strings.NewReader("x"))
	assert.Error(t, err, "the server is shut down")
}

// A second signal aborts the request still uploading: its runlet stops,
// the client sees an error or a 400 naming the abort, and serve says so.
func TestSecondSignalAbortsRequests(t *testing.T) {
	s, _ := testServer(t)
	url, sigs, served := serveTest(t, s)
	gz := gzipped(t, randomBytes(1<<20, 8))
	pw, resp, errc := startUpload(t, url, gz)
	waitActive(s)
	sigs <- syscall.SIGINT
	sigs <- syscall.SIGTERM
	err := <-served
	require.Error(t, err)
	assert.Contains(t, err.Error(), "aborted 1 requests in flight on a second signal (terminated)")
	_ = pw.CloseWithError(io.ErrClosedPipe)
	select {
	case r := <-resp:
		body, err := io.ReadAll(r.Body)
		if r.StatusCode == http.StatusOK && err == nil {
			t.Fatalf("an aborted request answered a whole-looking 200 of %d bytes", len(body))
		}
	case <-errc: // the connection was cut
	}
}

// waitActive waits until a request's runlet runs.
func waitActive(s *server) {
	for {
		s.mu.Lock()
		n := len(s.active)
		s.mu.Unlock()
		if n > 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
