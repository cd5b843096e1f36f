package nats

import (
	"context"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// testBound bounds every test that waits on the server.
const testBound = 30 * time.Second

// embedded starts an in-process server for t and returns a JetStream
// client of it; both are stopped when t ends.
func embedded(t *testing.T, c EmbeddedConfig) (*Embedded, *natsgo.Conn, jetstream.JetStream) {
	t.Helper()
	e, err := StartEmbedded(c)
	require.NoError(t, err)
	t.Cleanup(e.Shutdown)
	nc, err := e.Connect()
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return e, nc, js
}

// stream creates the stream sc and returns it.
func stream(t *testing.T, js jetstream.JetStream, sc jetstream.StreamConfig) jetstream.Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	s, err := js.CreateOrUpdateStream(ctx, sc)
	require.NoError(t, err)
	return s
}

// msgs returns how many messages stream s holds.
func msgs(t *testing.T, s jetstream.Stream) uint64 {
	t.Helper()
	info, err := s.Info(context.Background())
	require.NoError(t, err)
	return info.State.Msgs
}

// eventually polls cond every 10 ms until it holds, failing t after
// testBound.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
