// Package retry holds delivery tasks that must wait — minutes to hours —
// before their next attempt, and puts each back on the DELIVERIES queue
// when it is due.
//
// # Why a Redis sorted set
//
// A waiting retry must not sit in a JetStream consumer's ack-pending set:
// NakWithDelay keeps the message there, where it counts against
// MaxAckPending (a backlog of failing subscribers would stall everyone) and
// the server rescans it. Three designs hold a retry outside it:
//
//   - NATS message schedules (server ≥ 2.12): one-second resolution, a
//     stream-per-schedule subject layout, and a server feature the Debian
//     package (2.9) lacks.
//   - Tiered delay streams (5m, 15m, 45m …): only the delays someone
//     configured in advance; per-subscription schedules and Retry-After
//     need arbitrary waits.
//   - A Redis sorted set (chosen): score = due time in unix milliseconds,
//     member = the task in its compact binary form (99 bytes with a
//     registry subscription id, a UUID event id and a traceparent). Any
//     delay, millisecond resolution, O(log n) insert and removal, and one
//     million waiting retries cost about 210 MB of Redis memory
//     (BenchmarkBacklogMemory: 208 bytes per retry, 224 before the
//     subscription id was packed to its ULID's 16 bytes; the sorted set's
//     own structures are about 100 of them) and nothing in the
//     dispatcher's heap. Redis is already required for dedup
//     and rate limits.
//
// # How it stays correct
//
// A worker adds the retry (ZADD) before it acks the attempt's message, so a
// crash in between re-runs the attempt; ZADD of the same member is a no-op.
// A poller (every 100 ms, and at once when a fake clock moves in tests)
// reads a bounded batch of due members, publishes them to DELIVERIES with
// Nats-Msg-Id = Task.MsgID(), waits for the acks, then removes them (ZREM).
// A crash between publish and ZREM publishes the same tasks again on the
// next poll, and JetStream's duplicate window stores them once. Several
// dispatcher replicas may poll the same set: they race only to publish
// identical, deduplicated messages.
//
// All times come from an injected clock, so tests run the real 5m/15m/45m
// schedule by moving a fake clock.
package retry
