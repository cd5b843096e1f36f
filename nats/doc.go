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
//
// # Clients and their subjects
//
// A listening [Embedded] server admits its generated user, which may do
// anything (the ventilator, workers and sink), and the users of
// [EmbeddedConfig.Users]. [ClientUsers] makes those from a list of
// [Client]s: each may publish and subscribe only under its own
// "<prefix>.<name>.>" (say req.alice.> for its requests and cancels,
// ans.alice.> for its answers) and its own reply inbox, which it gets by
// connecting with [ClientOption]; the server refuses it another client's
// subjects, every other inbox and the JetStream API. So a client cannot
// read, answer or cancel another client's requests. With a real server the
// same permissions go into its configuration, or into user JWTs issued by
// an account ([DialConfig.CredsFile] reads a .creds file).
//
// # Watching many processes
//
// [PublishSnapshots] publishes a runlet's snapshot a few times a second on
// "<prefix>.<name>" (core NATS, nothing stored); [WatchSnapshots] keeps
// the latest one per name under the prefix, and [Watcher.WriteTo] writes
// them as one view: per process its state and stats, per chip its state,
// what it runs and its note (a Consume chip's note counts its unacked and
// pending messages).
//
// # On a cluster
//
// The same code runs on a NATS cluster: [Dial] with the URLs of the
// servers (a client reconnects to another when its server goes away) and
// the streams made with Replicas 3 (set it on [WorkQueue]'s result). Each
// stream and each consumer is then a Raft group whose leader, one of the
// servers, orders its writes: a publish is acknowledged once two of the
// three servers stored it, and every fetch and ack of a consumer goes
// through the consumer's leader. While a leader is elected after a server
// goes away (seconds), fetches get "no responders" and publishes time out:
// the chips fail the runlet with [ErrFetch] or [ErrPublish], and a worker
// restarted by its supervisor carries on; its unacked chunks come back
// after AckWait and their results, published under the chunks' ids, are
// stored once (the package's cluster test shuts a stream leader down
// mid-run and checks every result). Run workers under a supervisor.
//
// Say 50 worker processes share one consumer (one durable name) of a jobs
// stream on 3 servers. What limits throughput, and how to size it:
//
//   - The consumer's leader: one server hands out every chunk and takes
//     every ack of the 50 workers, and each is a replicated write. When
//     that server's CPU is the limit, partition: subjects jobs.<p>.> for
//     P partitions, a consumer (or a stream) per partition, so the leaders
//     spread over the servers; the ventilator picks a partition per chunk
//     and each worker consumes one (or merges several, see
//     logicalpool.Merge). A WorkQueue stream admits one consumer per
//     subject, so partitions must not overlap.
//   - MaxAckPending caps the chunks out and unacked over all workers
//     (server default 1000). Each worker holds up to its in-pend's room,
//     plus Fetchers, plus its ParallelMap's n, plus PublishAcked's
//     Concurrency; below workers x that, some workers idle. By Little's
//     law it must also cover rate x (work time + result PubAck + ack
//     round trips): 20,000 chunks/s held 15 ms each is 300. Set it to the
//     larger of the two, with some slack; a lower cap is a deliberate
//     throttle.
//   - Pull requests: each of a worker's Fetchers is one pull request
//     waiting at the consumer's leader; the server admits MaxWaiting of
//     them per consumer (default 512, not changed by the chip), so keep
//     workers x Fetchers under it (50 x 4 = 200). One fetch is one round
//     trip per chunk: a worker's rate is at most Fetchers / RTT, so raise
//     Fetchers for short chunks on a network with a long RTT.
//   - Stream limits: MaxMsgs (with DiscardNew) is how far the ventilator
//     may run ahead of the workers before [Publish] waits; at least
//     MaxAckPending plus what keeps every worker fed during a burst, and
//     MaxBytes no more than each server's disk allows (Replicas 3 stores
//     every message three times). The duplicate window (2 minutes) must
//     outlast the longest time from a result's first publish to a
//     redelivered chunk's second one (AckWait x MaxDeliver plus the work),
//     or the sink sees the second copy (it still counts each chunk id
//     once).
//   - AckWait: longer than the usual chunk (heartbeats cover the long
//     ones), short enough that a dead worker's chunks come back soon.
//
// Before sizing for a cluster, measure the flow's own cost: the module's
// benchmarks (BenchmarkChunks, BenchmarkRequest16) run a ventilator,
// workers and a sink on one machine against a plain nats.go loop doing
// the same work.
package nats
