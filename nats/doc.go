// Package nats carries runlet flows across processes and machines on NATS
// JetStream: an output chip that publishes a flow's values to a stream, an
// input chip that consumes them in another process, and acks that say what
// is durable, so that at-least-once holds end to end and, with message ids,
// each value is counted once.
//
// It is a module of its own (github.com/runlet/runlet/nats), so the core
// module stays free of the NATS dependencies.
//
// # Servers
//
// [StartEmbedded] runs a NATS server with JetStream inside the process: by
// default it does not listen at all (DontListen) and [Embedded.Connect]
// reaches it in-process; with [EmbeddedConfig.Listen] it listens on
// 127.0.0.1 on a random port and requires a user and password it generates
// ([Embedded.User], [Embedded.Password]), which the process hands to the
// worker processes it starts; a client without them is refused. For a real
// server or cluster, [Dial] takes a URL (several, comma-separated), a
// credentials file or a user and password, and TLS options.
//
// # Streams, subjects and consumers
//
// The package creates no stream: the application does, once, with
// jetstream.JetStream.CreateOrUpdateStream; [WorkQueue] returns the usual
// configuration of a queue of work: WorkQueue retention (a message stays
// until acked or terminated), DiscardNew with MaxMsgs (a full stream
// refuses a publish instead of dropping old messages), a duplicate window
// of 2 minutes for Nats-Msg-Id, file storage. A flow across processes uses
// one stream per hop: say JOBS over "jobs.>" from the ventilator to the
// workers and RES over "res.>" from the workers to the sink, and, if
// wanted, a stream over the dead-letter subject.
//
// Each [Consume] chip creates (or updates) one durable pull consumer on
// its stream, named by [ConsumeConfig.Durable] (by default the chip's key),
// filtered by [ConsumeConfig.Subject], with explicit acks, AckWait,
// MaxAckPending and MaxDeliver+1 deliveries (the chip dead-letters the last
// one itself, see below). Workers that share a queue use the same durable
// name: they share one consumer, and the server hands each message to one
// of them. A WorkQueue stream refuses consumers with overlapping filters, so
// two flows reading one stream need disjoint subjects.
//
// # When each chip acks
//
//   - [Publish] acks nothing. Each call returns once the stream has stored
//     the value (PubAck): when the chip has consumed a value, it is
//     durable. Its Nats-Msg-Id ([PublishConfig.ID]) lets the stream drop a
//     second copy within its duplicate window.
//   - [Consume] acks nothing it pushes: it pushes a [Msg] that carries the
//     message's ack handle. The only messages it settles itself are: an end
//     marker ([EndHeader]; acked, and the flow ends), a message that does
//     not decode (nakked with RetryDelay; the runlet fails), a message
//     delivered more than MaxDeliver times (published to the dead-letter
//     subject, then terminated; never pushed), and, when the runlet stops,
//     every message it pushed that is still unsettled (nakked with
//     RetryDelay, so another worker gets it soon).
//   - [PublishAcked] publishes a [Msg]'s value and, after the PubAck, acks
//     the message it was [Carry]'d from. A worker flow
//     Consume → work → PublishAcked therefore acks a chunk only once its
//     result is durable in the next stream. A worker that dies anywhere
//     before that leaves the chunk unacked: it is redelivered after AckWait
//     (or at once, nakked, if the runlet stopped cleanly), worked again, and
//     its result, published under the same id (the chunk's), is stored
//     once.
//   - A flow that ends locally (a sink that writes a file, answers a
//     request) calls [Msg.Ack] itself, once what it made of the message is
//     durable, or [Msg.Retry] to have it delivered again later.
//
// So no chip needs to track packs through the local graph: the ack handle
// travels with the value, and whoever makes the value's effect durable acks
// it. A 1:N step (a value that makes several results) should ack only after
// the last of them; a N:1 step (an aggregate) after its aggregate is
// durable: carry the handles in the aggregate and ack them all.
//
// # Backpressure
//
// Within a process, pends bound the flow as usual. Across processes the
// stream is the bound: a [Publish] into a full stream waits (it retries with
// backoff, counted by [PublishStats.HeldBack]) rather than fails, so its
// prev pend fills and the producing flow slows to the consumers' pace. A
// [Consume] chip fetches one message per call, and the engine calls it only
// while its next pend has room (in a batch, as many times as there is room,
// as its Ready reports messages pending): it never holds messages the flow
// has no room for, and a message it has not fetched is free for another
// worker. MaxAckPending caps the messages out and unacked across all the
// workers of a consumer.
//
// # Long work and stuck workers
//
// While a pushed message is unsettled, Consume sends InProgress every
// AckWait/2, at most [ConsumeConfig.Heartbeats] times: a chunk longer than
// AckWait is not redelivered while it runs, and a worker stuck in a loop
// loses its chunk once its heartbeats are spent. A message that fails
// repeatedly (Retry, decode errors, workers dying on it) reaches
// MaxDeliver and goes to [ConsumeConfig.DeadLetter] with headers naming its
// subject, stream, sequence and delivery count.
//
// # Errors
//
// Every chip error is an [*Error] naming the chip and the subject, wrapping
// a sentinel ([ErrDecode], [ErrEncode], [ErrPublish], [ErrFetch], [ErrAck],
// [ErrConfig]) and the cause. A chip's configuration is checked on its
// first call. Values travel through a [Codec]: [JSON] by default, [Raw] for
// []byte.
//
// # Cost
//
// Each value costs a JetStream round trip (the PubAck) per publishing call,
// one fetch request per consumed message, an encode and a decode (JSON
// allocates), an ack handle and a heartbeat timer per consumed message.
// This is meant for chunks of work worth a round trip; [PublishConfig.Concurrency]
// overlaps round trips where order does not matter.
package nats
