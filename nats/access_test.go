package nats

import (
	"context"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// clientConn connects the client name with password to e, with its inbox;
// the server's asynchronous errors to it (permission violations) arrive on
// the returned channel.
func clientConn(t *testing.T, e *Embedded, name, password string) (*natsgo.Conn, chan error) {
	t.Helper()
	errs := make(chan error, 16)
	nc, err := Dial(e.URL(), DialConfig{User: name, Password: password}, ClientOption(name),
		natsgo.ErrorHandler(func(_ *natsgo.Conn, _ *natsgo.Subscription, err error) { errs <- err }))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc, errs
}

// refused waits for the permission violation that names subject.
func refused(t *testing.T, errs chan error, subject string) {
	t.Helper()
	select {
	case err := <-errs:
		require.ErrorIs(t, err, natsgo.ErrPermissionViolation)
		require.Contains(t, err.Error(), `"`+subject+`"`)
	case <-time.After(testBound):
		t.Fatalf("no permission violation for %s", subject)
	}
}

// TestClientPermissions: with users from ClientUsers, a client publishes
// its requests (into a stream: the PubAck reaches its own inbox) and reads
// its answers, but the server refuses it publishing on another client's
// subjects, subscribing to them, to every inbox or to everything, and the
// JetStream API; what it was refused never reaches anyone.
func TestClientPermissions(t *testing.T) {
	users, err := ClientUsers([]string{"req", "ans"}, Client{"alice", "pa"}, Client{"bob", "pb"})
	require.NoError(t, err)
	e, nc, js := embedded(t, EmbeddedConfig{Listen: true, Users: users})
	stream(t, js, jetstream.StreamConfig{Name: "REQ", Subjects: []string{"req.>"}})
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	observer, err := nc.SubscribeSync("req.>") // the flow's own user sees every request
	require.NoError(t, err)
	require.NoError(t, nc.Flush())

	alice, aliceErrs := clientConn(t, e, "alice", "pa")
	bob, _ := clientConn(t, e, "bob", "pb")
	ajs, err := jetstream.New(alice)
	require.NoError(t, err)
	ack, err := ajs.Publish(ctx, "req.alice.1", []byte("mine"))
	require.NoError(t, err, "a client publishes its own requests into the stream")
	require.Equal(t, "REQ", ack.Stream)

	// Publishing on bob's subjects is refused; alice's next request, sent
	// after it on the same connection, is the next the observer sees.
	require.NoError(t, alice.Publish("req.bob.1", []byte("cancel bob's")))
	refused(t, aliceErrs, "req.bob.1")
	require.NoError(t, alice.Publish("req.alice.2", []byte("mine too")))
	for _, want := range []string{"req.alice.1", "req.alice.2"} {
		m, err := observer.NextMsg(testBound)
		require.NoError(t, err)
		require.Equal(t, want, m.Subject)
	}

	// Subscribing to bob's answers, to every inbox, to bob's inbox or to
	// everything is refused, and those subscriptions get nothing.
	mine, err := alice.SubscribeSync("ans.alice.>")
	require.NoError(t, err)
	var theirs []*natsgo.Subscription
	for _, subject := range []string{"ans.bob.>", "_INBOX.>", "_INBOX.bob.>", ">"} {
		sub, err := alice.SubscribeSync(subject)
		require.NoError(t, err)
		refused(t, aliceErrs, subject)
		theirs = append(theirs, sub)
	}
	bobs, err := bob.SubscribeSync("ans.bob.>")
	require.NoError(t, err)
	require.NoError(t, bob.Flush())
	require.NoError(t, nc.Publish("ans.bob.1", []byte("bob's answer")))
	require.NoError(t, nc.Publish("ans.alice.1", []byte("alice's answer")))
	m, err := bobs.NextMsg(testBound)
	require.NoError(t, err)
	require.Equal(t, "bob's answer", string(m.Data))
	m, err = mine.NextMsg(testBound)
	require.NoError(t, err)
	require.Equal(t, "alice's answer", string(m.Data))
	for i, sub := range theirs { // bob's answer was sent first: it would be here by now
		n, _, _ := sub.Pending()
		require.Zero(t, n, "refused subscription %d", i)
	}

	// The JetStream API (reading the stream through a consumer) is refused.
	short, done := context.WithTimeout(ctx, 500*time.Millisecond)
	defer done()
	_, err = ajs.CreateOrUpdateConsumer(short, "REQ", jetstream.ConsumerConfig{Durable: "peek"})
	require.Error(t, err)
	refused(t, aliceErrs, "$JS.API.CONSUMER.CREATE.REQ.peek")

	// A client's wrong password is refused.
	_, err = Dial(e.URL(), DialConfig{User: "alice", Password: "pb"})
	require.ErrorIs(t, err, natsgo.ErrAuthorization)
}

// TestClientUsersBadInput: names that are not one subject token, a
// missing password, a name given twice and bad prefixes are errors naming
// them.
func TestClientUsersBadInput(t *testing.T) {
	for _, tc := range []struct {
		prefixes []string
		clients  []Client
		want     string
	}{
		{nil, []Client{{"a", "p"}}, "no subject prefixes"},
		{[]string{"req.*"}, nil, `bad subject prefix "req.*"`},
		{[]string{"req"}, []Client{{"a.b", "p"}}, `client name "a.b" is not one subject token`},
		{[]string{"req"}, []Client{{"", "p"}}, `client name "" is not one subject token`},
		{[]string{"req"}, []Client{{"a", ""}}, `client "a" has no password`},
		{[]string{"req"}, []Client{{"a", "p"}, {"a", "q"}}, `client "a" given twice`},
	} {
		_, err := ClientUsers(tc.prefixes, tc.clients...)
		require.ErrorContains(t, err, tc.want)
	}
	users, err := ClientUsers([]string{"req", "cancel"}, Client{"c1", "p"})
	require.NoError(t, err)
	require.Equal(t, []string{"req.c1.>", "cancel.c1.>"}, users[0].Permissions.Publish.Allow)
	require.Equal(t, []string{"req.c1.>", "cancel.c1.>", "_INBOX.c1.>"}, users[0].Permissions.Subscribe.Allow)
}
