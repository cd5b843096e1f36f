package nats

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/stretchr/testify/require"
)

// operatorServer starts a server in operator mode (decentralized JWT
// auth: an operator, one account with JetStream, trusted through a memory
// resolver) listening on loopback, and returns it with the account's
// signing key pair.
func operatorServer(t *testing.T) (*server.Server, nkeys.KeyPair, string) {
	t.Helper()
	okp := must(nkeys.CreateOperator())
	opub := must(okp.PublicKey())
	oc := jwt.NewOperatorClaims(opub)
	oc.Name = "runlet-op"
	sysKP := must(nkeys.CreateAccount())
	sysPub := must(sysKP.PublicKey())
	oc.SystemAccount = sysPub
	must(oc.Encode(okp)) // signs the claims: sets their issuer and id

	akp := must(nkeys.CreateAccount())
	apub := must(akp.PublicKey())
	ac := jwt.NewAccountClaims(apub)
	ac.Name = "flows"
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	ajwt := must(ac.Encode(okp))
	sc := jwt.NewAccountClaims(sysPub)
	sc.Name = "SYS"
	sjwt := must(sc.Encode(okp))

	res := &server.MemAccResolver{}
	require.NoError(t, res.Store(apub, ajwt))
	require.NoError(t, res.Store(sysPub, sjwt))
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(),
		NoSigs: true, NoLog: true, TrustedOperators: []*jwt.OperatorClaims{oc},
		AccountResolver: res, SystemAccount: sysPub,
	})
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second))
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s, akp, apub
}

// credsFile writes a .creds file (a user JWT signed by the account, and
// the user's seed) into dir and returns its path.
func credsFile(t *testing.T, akp nkeys.KeyPair, apub, dir, name string) string {
	t.Helper()
	ukp := must(nkeys.CreateUser())
	uc := jwt.NewUserClaims(must(ukp.PublicKey()))
	uc.Name = name
	uc.IssuerAccount = apub
	ujwt := must(uc.Encode(akp))
	creds := must(jwt.FormatUserConfig(ujwt, must(ukp.Seed())))
	path := filepath.Join(dir, name+".creds")
	require.NoError(t, os.WriteFile(path, creds, 0o600))
	return path
}

// TestCredsFile: Dial with a .creds file reaches an operator-mode server
// and uses JetStream in its account; a user signed by another account, and
// no credentials at all, are refused.
func TestCredsFile(t *testing.T) {
	s, akp, apub := operatorServer(t)
	dir := t.TempDir()
	nc, err := Dial(s.ClientURL(), DialConfig{CredsFile: credsFile(t, akp, apub, dir, "worker")})
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	_, err = js.CreateOrUpdateStream(ctx, WorkQueue("CREDS", 10, "creds.>"))
	require.NoError(t, err)
	ack, err := js.Publish(ctx, "creds.1", []byte("x"))
	require.NoError(t, err)
	require.Equal(t, "CREDS", ack.Stream)

	other := must(nkeys.CreateAccount()) // an account the operator never signed
	_, err = Dial(s.ClientURL(), DialConfig{CredsFile: credsFile(t, other, must(other.PublicKey()), dir, "stranger")})
	require.ErrorIs(t, err, natsgo.ErrAuthorization)
	_, err = Dial(s.ClientURL(), DialConfig{})
	require.ErrorIs(t, err, natsgo.ErrAuthorization)
	_, err = Dial(s.ClientURL(), DialConfig{CredsFile: filepath.Join(dir, "missing.creds")})
	require.ErrorContains(t, err, "missing.creds")
}
