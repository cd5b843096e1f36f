package nats

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with [errors.Is] through an [*Error].
var (
	// ErrDecode: a fetched message's payload did not decode with the input
	// chip's codec. The message is not acked (it is nakked, so it comes back,
	// and past MaxDeliver it goes to the dead-letter subject).
	ErrDecode = errors.New("decode")
	// ErrEncode: a value did not encode with the output chip's codec. Nothing
	// was published, and the input message it came from is not acked.
	ErrEncode = errors.New("encode")
	// ErrConfig: a chip's configuration is missing something (a connection,
	// a subject, a stream). Reported by the chip's first call.
	ErrConfig = errors.New("bad config")
	// ErrPublish: the stream did not store a published message (the server
	// is unreachable, the subject matches no stream, ...). A full stream is
	// not this error: the output chip waits for room instead.
	ErrPublish = errors.New("publish")
	// ErrFetch: the input chip could not fetch from its consumer.
	ErrFetch = errors.New("fetch")
	// ErrAck: an ack, nak or term was not accepted by the server.
	ErrAck = errors.New("ack")
)

// Error is the error every chip of this package returns: it names the chip
// and the subject (or stream/consumer) it works on, and wraps a sentinel
// above and the cause. Use [errors.Is] for the sentinel, [errors.As] for
// the names.
type Error struct {
	Chip    string // the chip's key
	Subject string // the subject published to, or the consumer's filter subject
	Op      error  // one of the sentinel errors above
	Err     error  // the cause, may be nil
}

// Error implements error: `nats: chip "k" subject "s": op: cause`.
func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("nats: chip %q subject %q: %v", e.Chip, e.Subject, e.Op)
	}
	return fmt.Sprintf("nats: chip %q subject %q: %v: %v", e.Chip, e.Subject, e.Op, e.Err)
}

// Unwrap returns the sentinel and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Op}
	}
	return []error{e.Op, e.Err}
}

func chipErr(chip, subject string, op, err error) error {
	return &Error{Chip: chip, Subject: subject, Op: op, Err: err}
}
