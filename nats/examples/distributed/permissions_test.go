package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	rnats "github.com/runlet/runlet/nats"
)

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

// TestClientSubjects: with per-client users (ClientUsers over the
// example's client subjects), bob cannot cancel alice's request (the
// server refuses his cancel on her subject, and the ventilator his cancel
// of her request id on his own), nor pass for her in a request's body,
// nor read her answers or her inbox; alice still gets her exact answer,
// bob his own, and a wrong password is refused.
func TestClientSubjects(t *testing.T) {
	users, err := rnats.ClientUsers(clientPrefixes, rnats.Client{Name: "alice", Password: "pa"}, rnats.Client{Name: "bob", Password: "pb"})
	require.NoError(t, err)
	c := start(t, rnats.EmbeddedConfig{Listen: true, Users: users}, Limits{})
	c.ventilator(VentilatorConfig{})
	c.sink(SinkConfig{})
	flow, _ := c.conn()
	cancels, err := flow.SubscribeSync(subjCancel + ">") // every cancel that gets through the server
	require.NoError(t, err)
	require.NoError(t, flow.Flush())
	alice, _, aliceErrs := c.clientAs("alice", "pa")
	bob, bobNC, bobErrs := c.clientAs("bob", "pb")

	req := Request{ID: "a1", Chunks: 6, Size: 20}
	require.NoError(t, alice.Submit(c.ctx, req)) // no worker yet: it stays open

	// Bob's cancel on alice's subject is refused by the server; his cancel
	// of her request id on his own subject, sent after it, is the first
	// cancel anyone sees, and the ventilator refuses it.
	require.NoError(t, bobNC.Publish(clientSubject(subjCancel, "alice", req.ID), nil))
	refused(t, bobErrs, "dist.cancel.alice.a1")
	require.ErrorContains(t, bob.Cancel(c.ctx, req.ID), `cancel a1: no open request of client "bob"`)
	m, err := cancels.NextMsg(testBound)
	require.NoError(t, err)
	require.Equal(t, "dist.cancel.bob.a1", m.Subject, "the refused cancel reached no one")

	// A request on bob's subject that names alice in its body is refused.
	body, err := json.Marshal(Request{ID: "b0", Client: "alice", Chunks: 1, Size: 1})
	require.NoError(t, err)
	reply, err := bobNC.RequestWithContext(c.ctx, clientSubject(subjRequest, "bob", "b0"), body)
	require.NoError(t, err)
	require.Equal(t, `error: request b0: client "alice" sent on dist.req.bob.b0`, string(reply.Data))

	// Subscribing to alice's answers, to every client's, or to her inbox
	// is refused.
	var theirs []*natsgo.Subscription
	for _, subject := range []string{"ans.alice.>", "ans.*.*", "_INBOX.alice.>"} {
		sub, err := bobNC.SubscribeSync(subject)
		require.NoError(t, err)
		refused(t, bobErrs, subject)
		theirs = append(theirs, sub)
	}

	c.workers(2, WorkerConfig{})
	got := finals(t, alice, req) // exact: not cancelled
	for _, a := range got {
		require.Equal(t, req.ID, a.Req)
	}
	_, js := c.conn()
	// The sink marks the record after it publishes the answer.
	eventually(t, "alice's record marked answered", func() bool { return c.record(js, req.ID).State == stateAnswer })

	// Bob reusing alice's request id (answered, its record kept) is
	// refused: her record stays hers.
	require.ErrorContains(t, bob.Submit(c.ctx, Request{ID: req.ID, Chunks: 1, Size: 1}), "request a1: id already used")
	require.Equal(t, "alice", c.record(js, req.ID).Client)
	require.Equal(t, stateAnswer, c.record(js, req.ID).State)

	mine := Request{ID: "b1", From: 50, Chunks: 4, Size: 20}
	require.NoError(t, bob.Submit(c.ctx, mine))
	for _, a := range finals(t, bob, mine) { // answered after alice's: hers would be here by now
		require.Equal(t, mine.ID, a.Req, "bob gets only his answers")
	}
	for i, sub := range theirs {
		n, _, err := sub.Pending()
		require.NoError(t, err)
		require.Zero(t, n, "refused subscription %d", i)
	}
	require.Empty(t, aliceErrs, "alice was refused nothing")

	_, err = rnats.Dial(c.e.URL(), rnats.DialConfig{User: "alice", Password: "pb"})
	require.ErrorIs(t, err, natsgo.ErrAuthorization)
}

// readEnv returns the variables a file written by writeEnv exports.
func readEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	vars := map[string]string{}
	for _, kv := range strings.Fields(strings.TrimPrefix(strings.TrimSpace(string(data)), "export ")) {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = strings.Trim(v, "'")
	}
	return vars
}

// role runs the binary with args and the variables of env (and extra),
// until ctx ends.
func role(ctx context.Context, t *testing.T, env map[string]string, extra []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, extra...)
	return cmd
}

// TestClientsFlag runs the binary: a ventilator with -clients writes each
// client's credentials (mode 0600) next to distributed.env; alice's client
// process gets its exact answer with them; bob's credentials do not let a
// client pass for alice (the server refuses, the client reports it), and
// a wrong password is refused.
func TestClientsFlag(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	dir := t.TempDir()
	envFile := filepath.Join(dir, "distributed.env")
	vent := role(ctx, t, nil, nil, "-role", "ventilator", "-env", envFile, "-store", filepath.Join(dir, "store"), "-clients", "alice:pa,bob")
	vent.Stderr = os.Stderr
	stdout, err := vent.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, vent.Start())
	t.Cleanup(func() { _ = vent.Process.Kill(); _ = vent.Wait() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "ventilator ready" {
	}
	go func() { // keep draining its output
		for lines.Scan() {
		}
	}()

	flow := readEnv(t, envFile)
	aliceEnv := readEnv(t, filepath.Join(dir, "distributed.alice.env"))
	bobEnv := readEnv(t, filepath.Join(dir, "distributed.bob.env"))
	require.Equal(t, map[string]string{"NATS_URL": flow["NATS_URL"], "RUNLET_NATS_USER": "alice", "RUNLET_NATS_PASSWORD": "pa", "RUNLET_CLIENT": "alice"}, aliceEnv)
	require.Equal(t, "bob", bobEnv["RUNLET_CLIENT"])
	require.Len(t, bobEnv["RUNLET_NATS_PASSWORD"], 32, "a generated password")

	for _, r := range []string{"worker", "sink"} {
		cmd := role(ctx, t, flow, nil, "-role", r)
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	out, err := role(ctx, t, aliceEnv, nil, "-role", "client", "-chunks", "4", "-size", "10").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "final answer r")
	require.Contains(t, string(out), ": "+strconv.FormatInt(want(Request{Chunks: 4, Size: 10}), 10)+" (4 of 4 chunks)")

	out, err = role(ctx, t, bobEnv, nil, "-role", "client", "-id", "alice").CombinedOutput()
	require.Error(t, err, "%s", out)
	require.Contains(t, string(out), "client alice: nats: permissions violation")

	out, err = role(ctx, t, aliceEnv, []string{"RUNLET_NATS_PASSWORD=pb"}, "-role", "client").CombinedOutput()
	require.Error(t, err, "%s", out)
	require.Contains(t, strings.ToLower(string(out)), "authorization violation")
}
