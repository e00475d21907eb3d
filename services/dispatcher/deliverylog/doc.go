// Package deliverylog is the durable log of deliveries: one record per
// (event, subscription) with its state and attempts. Two stores hold to
// one contract (Store, store_contract_test.go): PG on PostgreSQL
// (HOOKWIRE_DELIVERY_LOG_URL), for production, and Log, JSON records in
// the JetStream KV bucket "hookwire_deliveries", the embedded default.
//
// # PostgreSQL
//
// Tables deliveries and delivery_attempts (migrations/), both partitioned
// by range on the delivery's creation time, each partition PartitionDays
// UTC days (a quarter of the retention, one to seven: a week at the
// default 30 days), named after its first day, <table>_pYYYYMMDD; a
// delivery's attempts live in its partition. Every write looks its
// delivery up by id in each partition, so fewer, wider partitions keep
// writes cheap as history accumulates, at the price of a coarser
// retention. The
// migrations are embedded and run at start under an advisory lock, each
// in a transaction that waits at most 10 s for a table lock
// (lock_timeout: it fails rather than queue writes behind it), as are
// partition changes: partitions covering today and the next three days
// are made at start and hourly (after the last existing one, whatever its
// width), and those whose range ended more than the retention ago are
// dropped whole (no row is deleted one by one).
// Listings are keyset-paged on (created_at, id), newest first, each
// filter served by an index, so a page deep in a subscription's million
// deliveries costs what the first does. The store's connections run with
// enable_seqscan off: the current partition fills from empty,
// its statistics and cached plans lag behind its size, and a planner left
// to them scanned the whole partition for every batch of writes.
//
// RecordAttempt returns once its attempt is committed. Concurrent calls
// are group-committed: up to four transactions in flight, each taking
// every request waiting (up to Config.WriteBatch, one per delivery) into
// one pipelined round trip: a transaction-scoped advisory lock per
// delivery (taken in one order) and one statement that updates the
// delivery where it exists in any partition, inserts it into today's
// where not, and appends the attempt numbered after its last. While
// PostgreSQL is unreachable a call retries with back-off, so the caller's
// task stays unacknowledged; a retry after a commit that may have landed
// skips an attempt already stored with the same start time.
//
// # Keys and ids
//
// The KV key is "<subscription id>.<event key>", where the event key is the
// first 24 hex characters of SHA-256(event_id): event ids are free text, the
// key must be a KV-safe token. The public delivery id, also the webhook-id
// header, is "<subscription id>_<event key>" (ID, ParseID). Both are derived
// from the pair, so every worker, retry, redelivery and replay finds the same
// record without a lookup table.
//
// # JetStream KV: one write per attempt
//
// The bucket keeps one revision per key (History 1); the TTL is the
// retention (default 30 days, HOOKWIRE_DELIVERY_RETENTION), counted from a
// record's last write, so a delivery disappears 30 days after its last
// attempt. Every attempt rewrites the whole record with a compare-and-set on
// the revision, retried on conflict, so concurrent workers (a retry racing a
// redelivery) never lose an attempt.
//
// The common path is the first attempt of a new delivery, and it costs one
// write and no read: kv.Create. Later attempts (retries, redeliveries) cost a
// Get and an Update. The alternative, caching revisions in the worker, was
// rejected: retries come minutes apart, land on any dispatcher replica, and
// are a small share of the traffic, so a cache would mostly miss while
// adding memory and invalidation. A first attempt that finds the record
// already there (a task re-run after a crash) falls back to Get + Update.
// Both writes are published straight to the key's subject with the
// expected-last-subject-sequence header, what kv.Create and kv.Update send,
// without their per-call overhead; a rejected write is handed to them.
//
// A record stays small, because it is rewritten on every attempt: each
// attempt keeps at most 4 KiB of response excerpt and 1 KiB of error text
// (the 64 KiB read of the response is only for classification), and a
// record keeps its last 50 attempts. Attempt numbers are assigned by the log
// (last + 1), so redeliveries continue the sequence.
//
// # JetStream KV: listing and page tokens
//
// List reads the bucket's backing stream through a short-lived ephemeral
// consumer (AckNone, memory storage) filtered on
// "$KV.hookwire_deliveries.<sub>.>" for a subscription,
// "$KV.hookwire_deliveries.*.<event key>" for an event, or the exact key
// for both. With History 1 the stream holds exactly one message per
// delivery, its latest revision, so the consumer yields each delivery once,
// with its value: no Get per key. The order is the stream sequence of the
// latest write; the page token is that sequence (plus a fingerprint of the
// filter, so a token cannot be reused with another query) and the next page
// starts at sequence+1. Work per page is bounded: at most page_size records
// are read without a state filter, at most max(10 × page_size, 1000) with
// one; a page that hits that bound comes back short, with a token.
//
// Sorting keys (ListKeysFiltered) was rejected: it must list every key of
// the subscription on every page and then Get each one, O(total) per page
// for a subscription with a million deliveries. The price of sequence order
// is that a delivery written again while a client pages (a retry) moves to
// the end: it may be listed twice, and is never skipped. A stable set pages
// with no duplicates and no gaps.
//
// # Failure ranking
//
// Failing (ListFailingSubscriptions, the console's overview) counts failed
// attempts by their start time, not by their delivery's creation: a
// delivery created yesterday whose retries fail now counts now. The KV
// store reads the stream from the window's start time (less a clock skew
// allowance): a record's one message is its latest write, made after every
// attempt it holds started. It reads at most its scan budget
// (DefaultScanBudget records, WithScanBudget): a window holding more is
// ranked from its newest records and the Ranking is Truncated. A fetch
// that fails, or comes back empty while the consumer still counts records
// pending, is an error, never a short count. PostgreSQL counts over
// delivery_attempts with a partial index of the failed ones by start time
// (migration 0002). A window is at most MaxFailingWindow (a day) long;
// FailureFilter.After continues a ranking, for a caller that drops some of
// it (ListFailingSubscriptions drops subscriptions hidden from the token).
package deliverylog
