package nats

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
)

// Client is one client of a flow (say, a user of the example's requests)
// as [ClientUsers] makes it a user of the server: its name, one subject
// token, and its password.
type Client struct {
	Name     string
	Password string
}

// ClientUsers returns the server users for clients (for
// [EmbeddedConfig.Users], or a server's Options.Users), each allowed only
// its own subjects, so that no client can publish on, read, or cancel
// another client's requests:
//
//   - publish: "<prefix>.<name>.>" for each prefix (say "req" for its
//     requests and "cancel" for its cancels);
//   - subscribe: the same subjects (say its answers under "ans"), and its
//     own reply inbox "_INBOX.<name>.>", which it must use: connect it with
//     [ClientOption](name). JetStream's PubAcks come back there, so a
//     client can publish into a stream that captures its subjects.
//
// Anything else is refused: another client's subjects, "_INBOX.>", and
// the JetStream API ($JS.API.>: a client reads its answers by subscribing,
// not through a consumer of its own). The processes of the flow itself
// (ventilator, workers, sink) connect as the server's own user, which may
// do anything.
//
// A name must be a single subject token (no '.', '*', '>' or white space),
// the names distinct; each client needs a password. ClientUsers returns
// an error naming the first client that breaks this.
func ClientUsers(prefixes []string, clients ...Client) ([]*server.User, error) {
	if len(prefixes) == 0 {
		return nil, errors.New("nats: ClientUsers: no subject prefixes")
	}
	for _, p := range prefixes {
		if p == "" || strings.ContainsAny(p, "*> \t\r\n") || strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") {
			return nil, fmt.Errorf("nats: ClientUsers: bad subject prefix %q", p)
		}
	}
	seen := map[string]bool{}
	users := make([]*server.User, 0, len(clients))
	for _, c := range clients {
		if err := checkClient(c, seen); err != nil {
			return nil, err
		}
		own := make([]string, 0, len(prefixes))
		for _, p := range prefixes {
			own = append(own, p+"."+c.Name+".>")
		}
		users = append(users, &server.User{
			Username: c.Name, Password: c.Password,
			Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: own},
				Subscribe: &server.SubjectPermission{Allow: append(own[:len(own):len(own)], ClientInbox(c.Name)+".>")},
			},
		})
	}
	return users, nil
}

// checkClient checks c's name and password, and that no earlier client
// (in seen) has its name.
func checkClient(c Client, seen map[string]bool) error {
	switch {
	case c.Name == "" || strings.ContainsAny(c.Name, ".*> \t\r\n"):
		return fmt.Errorf("nats: ClientUsers: client name %q is not one subject token", c.Name)
	case c.Password == "":
		return fmt.Errorf("nats: ClientUsers: client %q has no password", c.Name)
	case seen[c.Name]:
		return fmt.Errorf("nats: ClientUsers: client %q given twice", c.Name)
	}
	seen[c.Name] = true
	return nil
}

// ClientInbox is the reply-inbox prefix of the client named name,
// "_INBOX.<name>": the only inbox [ClientUsers] lets it subscribe to.
func ClientInbox(name string) string { return "_INBOX." + name }

// ClientOption makes a connection use the reply inbox of the client named
// name ([ClientInbox]); pass it to [Dial] or [Embedded.Connect] with the
// client's user and password.
func ClientOption(name string) natsgo.Option { return natsgo.CustomInboxPrefix(ClientInbox(name)) }
