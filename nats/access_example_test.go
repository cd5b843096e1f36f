package nats_test

import (
	"fmt"

	"github.com/runlet/runlet/nats"
)

// Each client may use only its own subjects under each prefix, and its
// own reply inbox.
func ExampleClientUsers() {
	users, err := nats.ClientUsers([]string{"req", "ans"},
		nats.Client{Name: "alice", Password: "a-secret"},
		nats.Client{Name: "bob", Password: "b-secret"})
	if err != nil {
		panic(err)
	}
	for _, u := range users {
		fmt.Println(u.Username, "publish:", u.Permissions.Publish.Allow, "subscribe:", u.Permissions.Subscribe.Allow)
	}
	// Output:
	// alice publish: [req.alice.> ans.alice.>] subscribe: [req.alice.> ans.alice.> _INBOX.alice.>]
	// bob publish: [req.bob.> ans.bob.>] subscribe: [req.bob.> ans.bob.> _INBOX.bob.>]
}
