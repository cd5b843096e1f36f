package nats

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// EmbeddedConfig configures [StartEmbedded]. The zero value is an
// in-process server (no network at all) with JetStream in a temporary
// directory.
type EmbeddedConfig struct {
	// Listen makes the server listen on 127.0.0.1 on a random port, for
	// child processes, with a user and password generated for this server
	// (see [Embedded.User], [Embedded.Password]): a client without them is
	// refused. Without Listen the server does not listen at all
	// (DontListen) and only [Embedded.Connect] reaches it.
	Listen bool
	// Users are more users a listening server admits (say, from
	// [ClientUsers]), each with its own permissions, besides the
	// generated user, which keeps every permission. Ignored without Listen.
	Users []*server.User
	// StoreDir is where JetStream keeps file-backed streams. Empty: a
	// temporary directory, removed by Shutdown. Set it to keep streams
	// across a restart.
	StoreDir string
	// ReadyTimeout bounds the wait for the server to accept clients
	// (default 5 s).
	ReadyTimeout time.Duration
}

// Embedded is a NATS server with JetStream running inside this process.
// Its methods are safe for concurrent use; Shutdown it when done.
type Embedded struct {
	srv      *server.Server
	user     string
	password string
	tmpDir   string // removed by Shutdown; "" when StoreDir was given
}

// StartEmbedded starts a NATS server with JetStream in this process and
// waits until it accepts clients.
func StartEmbedded(c EmbeddedConfig) (*Embedded, error) {
	e := &Embedded{}
	dir := c.StoreDir
	if dir == "" {
		d, err := os.MkdirTemp("", "runlet-nats-")
		if err != nil {
			return nil, fmt.Errorf("nats: embedded server: %w", err)
		}
		dir, e.tmpDir = d, d
	}
	opts := &server.Options{JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true, DontListen: !c.Listen}
	if c.Listen {
		opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
		e.user, e.password = "runlet", secret()
		if len(c.Users) == 0 {
			opts.Username, opts.Password = e.user, e.password
		} else { // the server takes a users list or one user, not both
			opts.Users = append([]*server.User{{Username: e.user, Password: e.password}}, c.Users...)
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		e.removeDir()
		return nil, fmt.Errorf("nats: embedded server: %w", err)
	}
	go srv.Start()
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = 5 * time.Second
	}
	if !srv.ReadyForConnections(c.ReadyTimeout) {
		srv.Shutdown()
		e.removeDir()
		return nil, fmt.Errorf("nats: embedded server not ready within %v", c.ReadyTimeout)
	}
	e.srv = srv
	return e, nil
}

// secret returns 128 random bits in hex.
func secret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func (e *Embedded) removeDir() {
	if e.tmpDir != "" {
		_ = os.RemoveAll(e.tmpDir)
	}
}

// Server returns the nats-server, for what this type does not cover.
func (e *Embedded) Server() *server.Server { return e.srv }

// URL returns the URL child processes dial (nats://127.0.0.1:port), or ""
// when the server does not listen.
func (e *Embedded) URL() string {
	if e.user == "" {
		return ""
	}
	return e.srv.ClientURL()
}

// User is the user name a listening server requires; hand it, with
// [Embedded.Password], to the worker processes (say, in their
// environment). "" when the server does not listen.
func (e *Embedded) User() string { return e.user }

// Password is the password a listening server requires, generated (128
// random bits) when the server started. "" when the server does not listen.
func (e *Embedded) Password() string { return e.password }

// Connect returns a client of the server: in-process when it does not
// listen, over loopback with its credentials when it does.
func (e *Embedded) Connect(opts ...natsgo.Option) (*natsgo.Conn, error) {
	if e.user == "" {
		return natsgo.Connect("", append([]natsgo.Option{natsgo.InProcessServer(e.srv)}, opts...)...)
	}
	return Dial(e.URL(), DialConfig{User: e.user, Password: e.password}, opts...)
}

// Shutdown stops the server, waits for it to stop and removes its
// temporary store directory.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	e.removeDir()
}

// DialConfig is how [Dial] authenticates to a server: at most one of
// CredsFile (a .creds file with a JWT and NKey seed) or User/Password, and
// TLS options. The zero value dials without credentials or TLS.
type DialConfig struct {
	CredsFile string
	User      string
	Password  string
	// TLS, if set, is the TLS client configuration (root CAs, client
	// certificate). RootCAFile and CertFile/KeyFile are the same from PEM
	// files.
	TLS        *tls.Config
	RootCAFile string
	CertFile   string
	KeyFile    string
	// Timeout bounds the connection attempt (default 5 s).
	Timeout time.Duration
}

// Dial connects to the NATS server or cluster at url (comma-separated URLs
// for several) with c's credentials and TLS options, then opts. It fails at
// once, naming url, when no server of url can be reached or the server
// refuses the credentials; the returned connection reconnects on its own
// later (the nats.go defaults).
func Dial(url string, c DialConfig, opts ...natsgo.Option) (*natsgo.Conn, error) {
	if c.CredsFile != "" && c.User != "" {
		return nil, fmt.Errorf("nats: dial %s: both CredsFile and User given", url)
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	o := []natsgo.Option{natsgo.Timeout(c.Timeout)}
	if c.CredsFile != "" {
		o = append(o, natsgo.UserCredentials(c.CredsFile))
	}
	if c.User != "" {
		o = append(o, natsgo.UserInfo(c.User, c.Password))
	}
	if c.TLS != nil {
		o = append(o, natsgo.Secure(c.TLS))
	}
	if c.RootCAFile != "" {
		o = append(o, natsgo.RootCAs(c.RootCAFile))
	}
	if c.CertFile != "" || c.KeyFile != "" {
		o = append(o, natsgo.ClientCert(c.CertFile, c.KeyFile))
	}
	nc, err := natsgo.Connect(url, append(o, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("nats: dial %s: %w", url, err)
	}
	return nc, nil
}

// WorkQueue returns the configuration of a bounded work-queue stream named
// name over subjects: each message is kept until a consumer acks (or
// terminates) it; at most maxMsgs are held, and a publish past that is
// refused (DiscardNew), which [Publish] turns into waiting: backpressure
// across processes. Messages are deduplicated by Nats-Msg-Id within 2
// minutes; storage is on file. Adjust the fields (Replicas on a cluster,
// Duplicates) before creating the stream with
// jetstream.JetStream.CreateOrUpdateStream.
func WorkQueue(name string, maxMsgs int64, subjects ...string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name: name, Subjects: subjects,
		Retention: jetstream.WorkQueuePolicy, Discard: jetstream.DiscardNew,
		MaxMsgs: maxMsgs, Duplicates: 2 * time.Minute, Storage: jetstream.FileStorage,
	}
}
