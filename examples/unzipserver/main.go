// Unzipserver is the "web-based unzip service" of the Runlet design notes:
// an HTTP server that takes a gzip upload and streams the decompressed bytes
// back while the upload is still coming in, through one runlet per request:
//
//	request body -> upload (FromReader) -> gunzip (TransformReader) -> download (ToWriter) -> response
//
// The chunks are lent by one pool.Buffers for the whole server and move from
// chip to chip without a copy; the pends between the chips are in a byte
// pool of -limit bytes per request. A client that reads slowly makes the
// response writes wait, the pends fill up to the limit, the decoder waits,
// and the server stops reading the upload, so TCP flow control slows the
// uploader down: memory per request stays near -limit plus a few chunks,
// whatever the size of the file.
//
// # Status and errors
//
// The status goes out with the first byte of the body, so the server decides
// it before writing anything: gzip.NewReader reads the gzip header first, and
// the decoder's output is pushed in whole chunks, of which the server holds
// back the last, short one until the stream has ended cleanly (its checksum
// verified). So an upload that is not gzip, or that is corrupt or truncated
// within its first -chunk bytes of output, gets "400 Bad Request" with the
// gzip error in the body. An error
// after the first byte was sent (a corrupt or truncated stream further on)
// cannot change the status any more: the server then aborts the connection
// (http.ErrAbortHandler) without the end of the chunked body, so the client
// sees an error (io.ErrUnexpectedEOF), never a short body that looks whole.
// That is why the example sends no trailer: a client that ignores trailers
// would take a truncated body for a complete one.
//
// A 400 goes out after reading only the start of the upload; net/http then
// closes the connection if much of the body is left unread, and a client
// still sending a large body may see the connection reset instead of the 400.
//
// A request body and its response are read and written at the same time,
// which HTTP/1.1 servers do not do by default: the handler turns it on with
// http.ResponseController.EnableFullDuplex. (Go's HTTP client reads the
// response while it still sends the body; some other clients do not, and
// then a large upload deadlocks against its own response.)
//
// # Ctrl+C
//
// The first SIGINT or SIGTERM shuts the server down gracefully: it stops
// accepting connections and lets every request in flight run to its end
// (http.Server.Shutdown). A request's runlet is not drained: its unit of
// work is the whole upload, and a stream cut short at the drain would reach
// the client as a body that looks whole. The second signal aborts every
// request's runlet (Runlet.Abort), which cuts their connections, and the
// server exits 1. This is runlet.DrainOnSignal's first-drains,
// second-aborts shape over a server with one runlet per request.
//
// Run the server, then upload a file with the same program:
//
//	go run ./examples/unzipserver -listen localhost:8080
//	go run ./examples/unzipserver -upload file.gz -to http://localhost:8080 > file
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

func main() {
	listen := flag.String("listen", "localhost:8080", "the address the server listens on")
	chunk := flag.Int("chunk", 32<<10, "the chunk size in bytes")
	limit := flag.Int("limit", 256<<10, "the bytes a request's pends may hold")
	file := flag.String("upload", "", "client mode: the gzip file to upload")
	to := flag.String("to", "http://localhost:8080", "client mode: the server's URL")
	out := flag.String("o", "-", "client mode: where to write the decompressed bytes (- for stdout)")
	flag.Parse()

	var err error
	if *file != "" {
		err = upload(*to, *file, *out)
	} else if *chunk < 1 || *limit < 0 {
		err = fmt.Errorf("-chunk must be at least 1 and -limit at least 0 (got %d and %d)", *chunk, *limit)
	} else {
		s := newServer(*chunk, *limit)
		slog.Info("unzip server listening", "addr", *listen, "chunk", *chunk, "limit", *limit)
		sigs := make(chan os.Signal, 2)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		var ln net.Listener
		if ln, err = net.Listen("tcp", *listen); err == nil {
			err = s.serve(&http.Server{Handler: s}, ln, sigs)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "unzipserver:", err)
		os.Exit(1)
	}
}

// server is the unzip service's http.Handler.
type server struct {
	bufs  *pool.Buffers // chunks shared by every request
	limit int           // the byte pool limit of each request's runlet
	log   *slog.Logger  // where aborted responses are reported
	// done, if set, is called after each request with its runlet's final
	// state (for tests and logging).
	done func(runlet.Snapshot)

	mu     sync.Mutex
	active map[*runlet.Runlet]struct{} // the requests' runlets while they run; protected by mu
}

// serve runs srv on ln until the first signal on sigs, then shuts it down
// gracefully (the requests in flight run to their end); a second signal
// aborts the requests still running. It returns nil after a graceful
// shutdown, an error after an abort, or ListenAndServe's error.
func (s *server) serve(srv *http.Server, ln net.Listener, sigs <-chan os.Signal) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case sig := <-sigs:
		slog.Info("unzip server: shutting down; a second signal aborts the requests in flight", "signal", sig)
	}
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	select {
	case err := <-shut:
		<-served // http.ErrServerClosed
		return err
	case sig := <-sigs:
		n := s.abortAll(fmt.Errorf("a second signal (%v)", sig))
		_ = srv.Close()
		<-served
		return fmt.Errorf("aborted %d requests in flight on a second signal (%v)", n, sig)
	}
}

// track records r as running (add) or done, for abortAll.
func (s *server) track(r *runlet.Runlet, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == nil {
		s.active = map[*runlet.Runlet]struct{}{}
	}
	if add {
		s.active[r] = struct{}{}
	} else {
		delete(s.active, r)
	}
}

// abortAll aborts the runlet of every request in flight with cause and
// returns how many there were.
func (s *server) abortAll(cause error) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for r := range s.active {
		r.Abort(cause)
	}
	return len(s.active)
}

func newServer(chunk, limit int) *server {
	return &server{bufs: pool.NewBuffers(chunk), limit: limit, log: slog.Default()}
}

// ServeHTTP decompresses the request body into the response.
func (s *server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost && req.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "upload a gzip stream with POST or PUT", http.StatusMethodNotAllowed)
		return
	}
	// Read the upload while the response goes out (HTTP/1.1). Writers that
	// do not support it (HTTP/2, test recorders) are full duplex already.
	_ = http.NewResponseController(w).EnableFullDuplex()
	w.Header().Set("Content-Type", "application/octet-stream")

	body := &response{w: w, chunk: s.bufs.Size()}
	// A byte pool of its own per request; its two pends need no names (the
	// runlet calls them "upload.out" and "gunzip.out").
	p := pool.NewBytes("unzip", s.limit)
	gz, raw := pool.NewPend[[]byte](p, ""), pool.NewPend[[]byte](p, "")
	r := runlet.New([]chip.Chip{
		chip.FromReader("upload", gz, req.Body, s.bufs),
		chip.TransformReader("gunzip", gz, raw, s.bufs, func(r io.Reader) (io.Reader, error) {
			return gzip.NewReader(r)
		}),
		chip.ToWriter("download", raw, body, s.bufs),
	}, runlet.Config{})
	s.track(r, true)
	err := r.Run(req.Context())
	s.track(r, false)
	if err == nil {
		err = body.finish()
	}
	if s.done != nil {
		s.done(r.Snapshot())
	}
	switch {
	case err == nil:
	case req.Context().Err() != nil:
		// The client went away: nobody to answer.
	case body.sent == 0:
		http.Error(w, "unzip: "+err.Error(), http.StatusBadRequest)
	default:
		// The status and part of the body are out: cut the connection so
		// the client cannot mistake the part for the whole.
		s.log.Warn("unzip: aborting the response", "sent", body.sent, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// response writes the decompressed chunks to w and counts the bytes sent.
// A chunk shorter than the chunk size is the stream's last: it is held back
// until the runlet has ended cleanly (the gzip checksum verified), so a
// stream whose whole output fits in one chunk is answered 400, not cut off,
// when it turns out to be broken.
type response struct {
	w     io.Writer
	chunk int
	sent  int64  // written by the download chip's worker; read after Run returns
	tail  []byte // the held-back last chunk
}

func (r *response) Write(p []byte) (int, error) {
	if len(p) < r.chunk {
		r.tail = append(r.tail[:0], p...) // p goes back to the Buffers after Write
		return len(p), nil
	}
	n, err := r.w.Write(p)
	r.sent += int64(n)
	return n, err
}

// finish writes the held-back last chunk.
func (r *response) finish() error {
	n, err := r.w.Write(r.tail)
	r.sent += int64(n)
	return err
}

// uploadFile posts the file at path to url and writes the response body to
// w. A status other than 200 is an error holding the response body; so is
// a body cut short.
func uploadFile(ctx context.Context, url, path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, f)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("the response was cut short: %w", err)
	}
	return nil
}

// upload runs the client mode: uploadFile into out ("-" for stdout).
func upload(url, path, out string) error {
	if out == "-" {
		return uploadFile(context.Background(), url, path, os.Stdout)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := uploadFile(context.Background(), url, path, f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
