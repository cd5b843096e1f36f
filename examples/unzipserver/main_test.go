package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/runlet/runlet/runlet"
)

const (
	chunk = 32 << 10
	limit = 256 << 10
)

// testServer is a server whose runlets' final states are kept, and which
// logs nothing.
func testServer(t *testing.T) (*server, func() []runlet.Snapshot) {
	t.Helper()
	s := newServer(chunk, limit)
	s.log = slog.New(slog.DiscardHandler)
	var mu sync.Mutex
	var snaps []runlet.Snapshot
	s.done = func(sn runlet.Snapshot) { mu.Lock(); snaps = append(snaps, sn); mu.Unlock() }
	return s, func() []runlet.Snapshot { mu.Lock(); defer mu.Unlock(); return snaps }
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed)})
	r.Read(b)
	return b
}

// gzipped compresses p at BestSpeed, which keeps the tests fast under -race.
func gzipped(t *testing.T, p []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if _, err := zw.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// poolHigh returns the high-water mark of the request runlet's byte pool.
func poolHigh(t *testing.T, sn runlet.Snapshot) int {
	t.Helper()
	for _, p := range sn.Pools {
		if p.Key == "unzip" {
			return p.High
		}
	}
	t.Fatalf("no pool unzip in\n%s", sn)
	return 0
}

// A multi-MiB random file uploaded with the client mode comes back
// byte-identical, every chunk is returned, and the request's pool stayed
// within its limit plus one chunk per producer.
func TestRoundTripIsByteIdentical(t *testing.T) {
	s, snaps := testServer(t)
	ts := httptest.NewServer(s)
	defer ts.Close()

	payload := randomBytes(2<<20+123, 1)
	path := filepath.Join(t.TempDir(), "payload.gz")
	if err := os.WriteFile(path, gzipped(t, payload), 0o600); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := uploadFile(context.Background(), ts.URL, path, &got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), payload) {
		t.Fatalf("got %d bytes back, want the %d uploaded (identical: %v)", got.Len(), len(payload), bytes.Equal(got.Bytes(), payload))
	}
	sn := snaps()
	if len(sn) != 1 || sn[0].State != "ended" {
		t.Fatalf("request runlets: %v", sn)
	}
	if h := poolHigh(t, sn[0]); h > limit+2*chunk {
		t.Errorf("pool high-water %d bytes, want at most limit+2 chunks = %d", h, limit+2*chunk)
	}
	if out := s.bufs.Out(); out != 0 {
		t.Errorf("%d chunks still lent after the request", out)
	}
}

// An upload that is not gzip, or ends before any output, gets a 400 whose
// body names the gzip error.
func TestBadUploadIs400WithTheGzipError(t *testing.T) {
	s, _ := testServer(t)
	ts := httptest.NewServer(s)
	defer ts.Close()

	small := gzipped(t, []byte(strings.Repeat("hello, world\n", 100)))
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"not gzip", randomBytes(64<<10, 2), gzip.ErrHeader.Error()},
		{"truncated", small[:len(small)/2], io.ErrUnexpectedEOF.Error()},
		{"empty", nil, io.EOF.Error()},
		{"bad checksum", append(small[:len(small)-8:len(small)-8], 1, 2, 3, 4, 5, 6, 7, 8), gzip.ErrChecksum.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(ts.URL, "application/gzip", bytes.NewReader(tc.body))
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			defer resp.Body.Close()
			msg, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), tc.want) || !strings.Contains(string(msg), `"gunzip"`) {
				t.Errorf("%s: status %d, body %q; want 400 naming chip \"gunzip\" and %q", tc.name, resp.StatusCode, msg, tc.want)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "plain.txt")
	os.WriteFile(path, []byte("not gzip at all"), 0o600)
	if err := uploadFile(context.Background(), ts.URL, path, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "400 Bad Request") || !strings.Contains(err.Error(), gzip.ErrHeader.Error()) {
		t.Errorf("the client on a 400: %v, want an error with the status and the gzip error", err)
	}
	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", resp.StatusCode)
	}
}

// A stream that breaks after the first bytes went out cannot turn into a
// 400: the status is 200, and the connection is aborted, so the client's
// read fails instead of ending as if the body were whole.
func TestCorruptionAfterTheFirstByteAbortsTheResponse(t *testing.T) {
	s, _ := testServer(t)
	ts := httptest.NewServer(s)
	defer ts.Close()

	gz := gzipped(t, randomBytes(2<<20, 3))
	resp, err := http.Post(ts.URL, "application/gzip", bytes.NewReader(gz[:len(gz)/2]))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK || !errors.Is(err, io.ErrUnexpectedEOF) || n == 0 {
		t.Errorf("status %d, read %d bytes then %v; want 200, some bytes, then io.ErrUnexpectedEOF", resp.StatusCode, n, err)
	}

	var msg bytes.Buffer
	path := filepath.Join(t.TempDir(), "half.gz")
	os.WriteFile(path, gz[:len(gz)/2], 0o600)
	if err := uploadFile(context.Background(), ts.URL, path, &msg); err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("the client on a cut response: %v, want an error saying it was cut short", err)
	}
}

// gatedWriter is a ResponseWriter whose writes wait until open is closed:
// a client that has stopped reading.
type gatedWriter struct {
	open   chan struct{}
	header http.Header
	body   bytes.Buffer
	status int
}

func (g *gatedWriter) Header() http.Header  { return g.header }
func (g *gatedWriter) WriteHeader(code int) { g.status = code }
func (g *gatedWriter) Write(p []byte) (int, error) {
	<-g.open
	return g.body.Write(p)
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// A client that stops reading stops the server reading the upload: with the
// response blocked, the server has read no more than its pool's limit plus a
// few chunks of a 2 MiB upload, and lent no more chunks than that; when the
// client reads again, everything arrives intact. Under synctest, Wait returns
// when every goroutine of the request is blocked, so the bound is exact, not
// a matter of timing.
func TestSlowClientHoldsBackTheUpload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, snaps := testServer(t)
		payload := randomBytes(2<<20, 4)
		upload := &countingReader{r: bytes.NewReader(gzipped(t, payload))}
		w := &gatedWriter{open: make(chan struct{}), header: http.Header{}}
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", upload))
		}()

		synctest.Wait() // every goroutine blocked: the download on the client
		const held = limit + 12*chunk
		if n := upload.n.Load(); n > held || n < limit {
			t.Errorf("read %d bytes of the upload with the client stalled, want between %d and %d", n, limit, held)
		}
		if m := s.bufs.Made(); m*chunk > held {
			t.Errorf("%d chunks made (%d bytes), want at most %d bytes", m, m*chunk, held)
		}

		close(w.open) // the client reads again
		<-done
		if w.status != 0 && w.status != http.StatusOK || !bytes.Equal(w.body.Bytes(), payload) {
			t.Fatalf("status %d, %d bytes; want 200 and the %d bytes uploaded", w.status, w.body.Len(), len(payload))
		}
		if m := s.bufs.Made(); m*chunk > held {
			t.Errorf("%d chunks made in all, want at most %d bytes", m, held)
		}
		if h := poolHigh(t, snaps()[0]); h > limit+2*chunk {
			t.Errorf("pool high-water %d bytes, want at most %d", h, limit+2*chunk)
		}
	})
}

// Over a real connection, a client that reads a little, stalls, then reads
// the rest gets 4 MiB of output (from a 100:1 upload) while the server never
// lends more than its bound: the stall fills the socket buffers and then the
// pool, and the server waits instead of buffering.
func TestSlowClientOverHTTPKeepsMemoryBounded(t *testing.T) {
	s, snaps := testServer(t)
	ts := httptest.NewServer(s)
	defer ts.Close()

	var text bytes.Buffer
	for i := 0; text.Len() < 4<<20; i++ {
		text.WriteString("line ")
		text.WriteString(strings.Repeat("x", i%97))
		text.WriteString("\n")
	}
	resp, err := http.Post(ts.URL, "application/gzip", bytes.NewReader(gzipped(t, text.Bytes())))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got bytes.Buffer
	if _, err := io.CopyN(&got, resp.Body, 64<<10); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the client stalls
	if _, err := io.Copy(&got, resp.Body); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), text.Bytes()) {
		t.Fatalf("got %d bytes, want the %d uploaded", got.Len(), text.Len())
	}
	const held = limit + 12*chunk
	if m := s.bufs.Made(); m*chunk > held {
		t.Errorf("%d chunks made (%d bytes) for 4 MiB, want at most %d bytes", m, m*chunk, held)
	}
	if h := poolHigh(t, snaps()[0]); h > limit+2*chunk {
		t.Errorf("pool high-water %d bytes, want at most %d", h, limit+2*chunk)
	}
}
