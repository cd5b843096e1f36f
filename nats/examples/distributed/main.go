// Command distributed is the binglide pattern across processes on NATS
// JetStream: a ventilator splits each client request into chunks, worker
// processes compute them (each a runlet: Consume → ParallelMap →
// PublishAcked), and a sink aggregates each request's chunks and answers.
//
//	distributed -role ventilator [-nats URL] [-store DIR]   # default: an embedded server on loopback
//	distributed -role ventilator -clients alice:pw,bob      # and a user per client (bob's password generated)
//	distributed -role worker [-parallel 2]
//	distributed -role sink
//	distributed -role client -chunks 16 [-cancel-after 1s] [-id NAME]
//	distributed -role watch                                 # every worker's runlet, live
//
// With no -nats, the ventilator starts an embedded server listening on
// 127.0.0.1 with a generated user and password, and writes them with the
// URL to -env (default distributed.env, mode 0600) as shell exports of
// NATS_URL, RUNLET_NATS_USER and RUNLET_NATS_PASSWORD, which the other
// roles read from their environment. With -nats, every role dials that URL
// (-creds for a credentials file).
//
// Clients and their subjects: a client sends its requests on
// dist.req.<client>.<req>, its cancels on dist.cancel.<client>.<req> and
// its heartbeats on dist.hb.<client>.beat, and reads its answers on
// ans.<client>.<req>, with its own reply inbox _INBOX.<client>. The
// ventilator serves these with wildcards and takes the client from the
// subject, not from the message: a request whose body names another
// client or request is refused, and a client cancels only its own
// requests (bob's cancel of alice's request id is "no open request of
// client bob"); a request id is used once (refused while its record
// lives), so no client takes over another's record. With -clients name[:password],... the embedded server also
// admits each client as its own user, allowed only those subjects
// (nats.ClientUsers), so the server itself refuses bob publishing on
// alice's subjects or reading her answers, her inbox or the JetStream API;
// a client without a password on the command line gets a generated one.
// Each client's URL, user, password and name (RUNLET_CLIENT, the client
// role's default -id) go to a file next to -env, distributed.<name>.env,
// mode 0600; the ventilator, workers, sink and watch keep the generated
// user of distributed.env. A client refused a subject stops with the
// server's permissions violation. Without -clients every client uses the
// generated user, which may do anything: fine for a demonstration on one
// machine, not for clients that must not see each other.
//
// Streams and buckets (the ventilator creates them): JOBS (work queue,
// jobs.<req>.<index>), RES (work queue, res.<req>.<index>), ANS (answers,
// ans.<client>.<req>), the KV buckets DIST_REQS (request records, read by
// the sink) and DIST_CACHE (chunk cache: a computed chunk's sum, or an
// in-progress mark naming the request computing it; entries expire after
// -cache-ttl).
//
// What happens when:
//   - a client cancels (dist.cancel.<client>.<req>): the ventilator stops issuing, tells
//     the workers (dist.stop.<req>: chunks in flight see their ctx
//     cancelled, fetched ones are skipped), purges the request's pending
//     chunks, and marks its record cancelled, so the sink drops its late
//     chunks;
//   - some chunks are cached: the ventilator answers at once with what the
//     cache holds (a quick answer), and the sink sends the final answer
//     when the computed chunks arrive; a chunk another request is computing
//     is not issued again, the sink takes its value when it comes;
//   - a worker dies mid-chunk: the chunk is redelivered after AckWait; the
//     sink counts each chunk once (by index), so the answer is exact;
//   - the sink dies: the results it had not acked (it acks a request's
//     results only after the request's answer is stored) are redelivered
//     to the next sink, which rebuilds its requests from DIST_REQS;
//   - a client stops its heartbeat (dist.hb.<client>.beat) for -client-timeout:
//     its open requests are cancelled.
//
// Sizing: JOBS bounds the chunks waiting for workers (a full JOBS holds the
// ventilator back); RES bounds the results waiting for the sink and those
// it holds unacked until their request is answered, so -results must be at
// least the chunks of one request plus what the workers hold at once
// (per worker: its two pends and its chunks in flight, 5×-parallel): below
// that, a RES full of parts of unfinished requests stalls.
//
// Limits of the example: the ventilator's open requests live in its memory
// (a restarted ventilator does not cancel the requests of silent clients
// it did not take, and treats their in-progress marks as stale); a chunk
// found in progress for a request then cancelled is handed to the waiting
// request only by the ventilator that took both.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	rnats "github.com/runlet/runlet/nats"
)

// flags are the command line.
type flags struct {
	role, url, creds, env, store string
	clients                      string // ventilator: -clients
	// ventilator
	clientTimeout, cacheTTL time.Duration
	jobs, results           int64
	// worker and sink
	parallel            int
	work, ackWait, slow time.Duration
	hang                string
	// client
	id          string
	from, size  int64
	chunks      int
	cancelAfter time.Duration
}

func main() {
	var f flags
	flag.StringVar(&f.role, "role", "", "ventilator, worker, sink or client")
	flag.StringVar(&f.url, "nats", "", "NATS URL (default: $NATS_URL; for the ventilator, none: an embedded server)")
	flag.StringVar(&f.creds, "creds", "", "credentials file for -nats")
	flag.StringVar(&f.env, "env", "distributed.env", "ventilator: where to write the embedded server's URL and credentials")
	flag.StringVar(&f.clients, "clients", "", "ventilator: per-client users of the embedded server, name[:password],... (no password: generated)")
	flag.StringVar(&f.store, "store", "", "ventilator: the embedded server's store directory (default: temporary)")
	flag.DurationVar(&f.clientTimeout, "client-timeout", 10*time.Second, "ventilator: cancel the requests of a client silent this long")
	flag.DurationVar(&f.cacheTTL, "cache-ttl", 10*time.Minute, "ventilator: how long a cached chunk lives")
	flag.Int64Var(&f.jobs, "jobs", 1000, "ventilator: the most chunks waiting in JOBS")
	flag.Int64Var(&f.results, "results", 1000, "ventilator: the most results waiting in RES")
	flag.IntVar(&f.parallel, "parallel", 2, "worker: chunks computed at once")
	flag.DurationVar(&f.work, "work", 0, "worker: extra time per chunk")
	flag.DurationVar(&f.ackWait, "ackwait", 30*time.Second, "worker, sink: AckWait of the consumer")
	flag.DurationVar(&f.slow, "slow", 0, "sink: extra time per result")
	flag.StringVar(&f.hang, "hang", "", "worker: hang on the first delivery of chunk <req>/<index> (tests)")
	flag.StringVar(&f.id, "id", "", "client: its id (default: $RUNLET_CLIENT, else random)")
	flag.Int64Var(&f.from, "from", 0, "client: the first number")
	flag.Int64Var(&f.size, "size", 1000, "client: numbers per chunk")
	flag.IntVar(&f.chunks, "chunks", 16, "client: chunks in the request")
	flag.DurationVar(&f.cancelAfter, "cancel-after", 0, "client: cancel the request after this long")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, f, os.Stdout); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "distributed:", err)
		os.Exit(1)
	}
}

// run runs one role until ctx ends (the client: until its answer).
func run(ctx context.Context, f flags, out io.Writer) error {
	switch f.role {
	case "ventilator", "worker", "sink", "client", "watch":
	default:
		return fmt.Errorf("-role %q: want ventilator, worker, sink, client or watch", f.role)
	}
	if f.role == "ventilator" && f.url == "" {
		return embeddedVentilator(ctx, f, out)
	}
	if f.clients != "" {
		return errors.New("-clients needs the embedded server (no -nats): another server's users are its own configuration")
	}
	var opts []natsgo.Option
	if f.role == "client" {
		f.id = cmp.Or(f.id, os.Getenv("RUNLET_CLIENT"), "client"+nuid.Next())
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		opts = clientOptions(f.id, cancel)
	}
	nc, js, err := dial(f, opts...)
	if err != nil {
		return err
	}
	defer nc.Close()
	switch f.role {
	case "ventilator":
		return ventilate(ctx, f, nc, js, out)
	case "worker":
		return runWorker(ctx, WorkerConfig{NC: nc, JS: js, Parallel: f.parallel, Work: f.work, AckWait: f.ackWait, Hang: f.hang, Out: out,
			Name: "worker-" + strconv.Itoa(os.Getpid())})
	case "sink":
		st, err := runSink(ctx, SinkConfig{JS: js, AckWait: f.ackWait, Slow: f.slow, Out: out})
		fmt.Fprintf(out, "sink: %d counted, %d duplicates, %d late\n", st.Counted, st.Duplicates, st.Late)
		return err
	case "client":
		err := client(ctx, f, nc, out)
		if cause := context.Cause(ctx); err != nil && cause != nil {
			err = cause // the server refused the client something
		}
		return err
	case "watch":
		return watch(ctx, nc, 500*time.Millisecond, out)
	}
	return nil
}

// watch prints the latest snapshot of every worker together, every
// interval, until ctx ends (then once more).
func watch(ctx context.Context, nc *natsgo.Conn, every time.Duration, out io.Writer) error {
	w, err := rnats.WatchSnapshots(ctx, nc, subjSnap)
	if err != nil {
		return err
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		fmt.Fprint(out, "\033[H\033[2J") // clear the terminal
		if _, err := w.WriteTo(out); err != nil || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

// clientOptions are the connection options of client id: its own reply
// inbox (the only one a per-client user may read), and an error handler
// that ends the client (through stop) when the server refuses it a
// subject, rather than leaving its request to wait for a reply that will
// not come.
func clientOptions(id string, stop context.CancelCauseFunc) []natsgo.Option {
	return []natsgo.Option{rnats.ClientOption(id),
		natsgo.ErrorHandler(func(_ *natsgo.Conn, _ *natsgo.Subscription, err error) {
			if errors.Is(err, natsgo.ErrPermissionViolation) {
				stop(fmt.Errorf("client %s: %w", id, err))
			}
		})}
}

// dial connects to -nats (or $NATS_URL) with -creds or the user and
// password of $RUNLET_NATS_USER and $RUNLET_NATS_PASSWORD.
func dial(f flags, opts ...natsgo.Option) (*natsgo.Conn, jetstream.JetStream, error) {
	url := f.url
	if url == "" {
		url = os.Getenv("NATS_URL")
	}
	if url == "" {
		return nil, nil, errors.New("no server: give -nats URL or set NATS_URL (the ventilator writes it to distributed.env)")
	}
	dc := rnats.DialConfig{CredsFile: f.creds}
	if f.creds == "" {
		dc.User, dc.Password = os.Getenv("RUNLET_NATS_USER"), os.Getenv("RUNLET_NATS_PASSWORD")
	}
	nc, err := rnats.Dial(url, dc, opts...)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// embeddedVentilator starts an embedded server on loopback, writes its URL
// and credentials to -env, and runs the ventilator on it. With -clients,
// the server also admits each client as its own user, allowed only its
// own subjects (rnats.ClientUsers), and each client's credentials go to
// its own file next to -env.
func embeddedVentilator(ctx context.Context, f flags, out io.Writer) error {
	clients, err := parseClients(f.clients)
	if err != nil {
		return err
	}
	var users []*server.User
	if len(clients) > 0 {
		if users, err = rnats.ClientUsers(clientPrefixes, clients...); err != nil {
			return fmt.Errorf("-clients: %w", err)
		}
	}
	srv, err := rnats.StartEmbedded(rnats.EmbeddedConfig{Listen: true, StoreDir: f.store, Users: users})
	if err != nil {
		return err
	}
	defer srv.Shutdown()
	if err := writeEnv(f.env, srv.URL(), srv.User(), srv.Password(), ""); err != nil {
		return fmt.Errorf("-env: %w", err)
	}
	fmt.Fprintf(out, "embedded NATS server at %s; credentials in %s (. ./%s before starting workers, sink and clients)\n", srv.URL(), f.env, f.env)
	for _, c := range clients {
		path := clientEnv(f.env, c.Name)
		if err := writeEnv(path, srv.URL(), c.Name, c.Password, c.Name); err != nil {
			return fmt.Errorf("-clients: %w", err)
		}
		fmt.Fprintf(out, "client %s: credentials in %s\n", c.Name, path)
	}
	nc, err := srv.Connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	return ventilate(ctx, f, nc, js, out)
}

// parseClients reads -clients, "name[:password],...": a client without a
// password gets a generated one (128 random bits). Names are checked by
// rnats.ClientUsers.
func parseClients(s string) ([]rnats.Client, error) {
	if s == "" {
		return nil, nil
	}
	var clients []rnats.Client
	for _, item := range strings.Split(s, ",") {
		name, password, _ := strings.Cut(item, ":")
		if password == "" {
			b := make([]byte, 16)
			_, _ = rand.Read(b) // crypto/rand.Read never fails
			password = hex.EncodeToString(b)
		}
		clients = append(clients, rnats.Client{Name: name, Password: password})
	}
	return clients, nil
}

// clientEnv is the credentials file of client name next to the env file
// env: distributed.env → distributed.<name>.env.
func clientEnv(env, name string) string {
	return strings.TrimSuffix(env, ".env") + "." + name + ".env"
}

// writeEnv writes path (mode 0600) as shell exports of the URL, user and
// password, and of RUNLET_CLIENT when client is set (the client role's
// default -id).
func writeEnv(path, url, user, password, client string) error {
	env := fmt.Sprintf("export NATS_URL=%s RUNLET_NATS_USER=%s RUNLET_NATS_PASSWORD=%s", url, user, shellQuote(password))
	if client != "" {
		env += " RUNLET_CLIENT=" + client
	}
	// WriteFile keeps the mode of a file that exists: set it.
	if err := os.WriteFile(path, []byte(env+"\n"), 0o600); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// ventilate creates the streams and buckets and runs the ventilator.
func ventilate(ctx context.Context, f flags, nc *natsgo.Conn, js jetstream.JetStream, out io.Writer) error {
	if err := setup(ctx, js, Limits{Jobs: f.jobs, Results: f.results, CacheTTL: f.cacheTTL}); err != nil {
		return err
	}
	return runVentilator(ctx, VentilatorConfig{NC: nc, JS: js, ClientTimeout: f.clientTimeout, Out: out,
		Ready: func() { fmt.Fprintln(out, "ventilator ready") }})
}

// client sends one request and prints its answers until the final one (or
// until it cancelled it).
func client(ctx context.Context, f flags, nc *natsgo.Conn, out io.Writer) error {
	if f.id == "" {
		f.id = "client" + nuid.Next()
	}
	c, err := NewClient(nc, f.id, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	req := Request{ID: "r" + nuid.Next(), From: f.from, Chunks: f.chunks, Size: f.size}
	if err := c.Submit(ctx, req); err != nil {
		return err
	}
	fmt.Fprintf(out, "request %s: %d chunks of %d from %d\n", req.ID, req.Chunks, req.Size, req.From)
	var cancel <-chan time.Time
	if f.cancelAfter > 0 {
		cancel = time.After(f.cancelAfter)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-cancel:
			if err := c.Cancel(ctx, req.ID); err != nil {
				return err
			}
			fmt.Fprintf(out, "cancelled %s\n", req.ID)
			return nil
		case a := <-c.Answers():
			kind := "quick"
			if a.Final {
				kind = "final"
			}
			fmt.Fprintf(out, "%s answer %s: %d (%d of %d chunks)\n", kind, a.Req, a.Sum, a.Done, a.Of)
			if a.Final {
				return nil
			}
		}
	}
}
