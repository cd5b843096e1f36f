package nats

import (
	"encoding/json"
	"fmt"
)

// Codec turns values into message payloads and back. Implementations must
// be safe for concurrent use (an output chip with Concurrency > 1 encodes on
// several goroutines). Errors are wrapped by the chips into an [*Error]
// with [ErrEncode] or [ErrDecode].
type Codec[T any] interface {
	Encode(v T) ([]byte, error)
	Decode(data []byte) (T, error)
}

// JSON is the default codec: encoding/json. Its zero value is ready.
// Decode refuses trailing data and unknown fields are ignored, as
// json.Unmarshal does.
type JSON[T any] struct{}

// Encode implements [Codec] with json.Marshal.
func (JSON[T]) Encode(v T) ([]byte, error) { return json.Marshal(v) }

// Decode implements [Codec] with json.Unmarshal.
func (JSON[T]) Decode(data []byte) (T, error) {
	var v T
	err := json.Unmarshal(data, &v)
	return v, err
}

// Raw is the codec for []byte: the payload is the value itself, with no
// copy on Encode. Decode copies the payload, since the client may reuse
// its buffer. Its zero value is ready.
type Raw struct{}

// Encode implements [Codec]: the payload is v.
func (Raw) Encode(v []byte) ([]byte, error) { return v, nil }

// Decode implements [Codec]: a copy of data.
func (Raw) Decode(data []byte) ([]byte, error) { return append([]byte(nil), data...), nil }

// codecFor returns c, or the default codec for T: [Raw] for []byte, [JSON]
// otherwise.
func codecFor[T any](c Codec[T]) Codec[T] {
	if c != nil {
		return c
	}
	if raw, ok := any(Raw{}).(Codec[T]); ok {
		return raw
	}
	return JSON[T]{}
}

// decodeSafe calls c.Decode, turning a panic into an error.
func decodeSafe[T any](c Codec[T], data []byte) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("codec panicked: %v", r)
		}
	}()
	return c.Decode(data)
}

// encodeSafe calls c.Encode, turning a panic into an error.
func encodeSafe[T any](c Codec[T], v T) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("codec panicked: %v", r)
		}
	}()
	return c.Encode(v)
}
