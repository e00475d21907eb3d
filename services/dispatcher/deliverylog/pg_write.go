package deliverylog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrClosed is returned by writes to a closed store.
var ErrClosed = errors.New("delivery log closed")

// Write path sizes.
const (
	// DefaultWriteBatch is the most attempts one transaction records.
	DefaultWriteBatch = 256
	// writers is how many transactions may be in flight at once: while
	// some commit, the next attempts gather into the next batch (group
	// commit).
	writers = 4
	// batchTimeout bounds one batch transaction (a server that hangs).
	batchTimeout = 30 * time.Second
)

// writeReq is one RecordAttempt waiting for its batch.
type writeReq struct {
	d     Delivery
	a     Attempt
	state State
	next  *time.Time
	// again: an earlier try may have committed without our knowing (the
	// connection broke during COMMIT); an attempt already stored with the
	// same start time is not stored twice.
	again bool
	done  chan writeResult
}

type writeResult struct {
	d   Delivery
	err error
}

// writer batches RecordAttempt calls: each of its goroutines takes every
// request waiting (up to max, one per delivery id) into one transaction.
type writer struct {
	p    *PG
	reqs chan *writeReq
	quit chan struct{}
	wg   sync.WaitGroup
	max  int
	once sync.Once
}

func startWriter(p *PG, max int) *writer {
	if max <= 0 {
		max = DefaultWriteBatch
	}
	w := &writer{p: p, reqs: make(chan *writeReq), quit: make(chan struct{}), max: max}
	for range writers {
		w.wg.Add(1)
		go w.loop()
	}
	return w
}

func (w *writer) stop() {
	w.once.Do(func() { close(w.quit) })
	w.wg.Wait()
}

// do hands r to a writer and waits for its result. Once r is taken, the
// result is awaited even if ctx ends: the write may commit.
func (w *writer) do(ctx context.Context, r *writeReq) writeResult {
	select {
	case w.reqs <- r:
	case <-ctx.Done():
		return writeResult{err: ctx.Err()}
	case <-w.quit:
		return writeResult{err: ErrClosed}
	}
	return <-r.done
}

func (w *writer) loop() {
	defer w.wg.Done()
	var carry []*writeReq // a second attempt of a delivery already in the batch waits for the next
	for {
		var batch []*writeReq
		seen := map[string]bool{}
		add := func(r *writeReq) {
			if seen[r.d.ID] {
				carry = append(carry, r)
				return
			}
			seen[r.d.ID] = true
			batch = append(batch, r)
		}
		waiting := carry
		carry = nil
		for _, r := range waiting {
			add(r)
		}
		if len(batch) == 0 {
			select {
			case r := <-w.reqs:
				add(r)
			case <-w.quit:
				return
			}
		}
	fill:
		for len(batch) < w.max {
			select {
			case r := <-w.reqs:
				add(r)
			default:
				break fill
			}
		}
		w.flush(batch)
	}
}

// flush writes one batch and answers its requests. A batch refused for a
// reason other than the connection (one bad record) is written again one
// request at a time, so the others are not refused with it.
func (w *writer) flush(batch []*writeReq) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	res, err := w.p.writeBatch(ctx, batch)
	if err != nil && len(batch) > 1 && !transient(err) {
		for _, r := range batch {
			w.flush([]*writeReq{r})
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			r.done <- writeResult{err: err}
			continue
		}
		r.done <- writeResult{d: res[i]}
	}
}

// transient reports an error that PostgreSQL's being down or restarting
// explains: the write may succeed when tried again.
func transient(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return !errors.Is(err, ErrClosed) // network, pool and timeout errors
	}
	switch {
	case strings.HasPrefix(pe.Code, "08"), // connection exception
		strings.HasPrefix(pe.Code, "57P"), // admin shutdown, crash shutdown, cannot connect now
		strings.HasPrefix(pe.Code, "53"),  // insufficient resources
		pe.Code == "40001", pe.Code == "40P01":
		return true
	}
	return false
}

// RecordAttempt appends attempt a to delivery d (d.ID is required; the
// other identity fields are used when the record is new) and sets its
// state and next attempt time. It returns once the record is committed:
// concurrent calls share one transaction (group commit). While PostgreSQL
// is unreachable it keeps trying, so the caller (and its task, still
// unacknowledged in JetStream) waits until it is back or ctx ends.
func (p *PG) RecordAttempt(ctx context.Context, d Delivery, a Attempt, state State, next time.Time) (Delivery, error) {
	if !state.Valid() {
		return Delivery{}, fmt.Errorf("record attempt: invalid state %q", state)
	}
	if _, _, err := ParseID(d.ID); err != nil {
		return Delivery{}, fmt.Errorf("record attempt: %w", err)
	}
	a = a.trimmed()
	r := &writeReq{d: d, a: a, state: state, next: nullTime(next), done: make(chan writeResult, 1)}
	wait := 50 * time.Millisecond
	for {
		res := p.w.do(ctx, r)
		if res.err == nil {
			return res.d, nil
		}
		if !transient(res.err) || ctx.Err() != nil {
			return Delivery{}, fmt.Errorf("record attempt of %s: %w", d.ID, res.err)
		}
		if !r.again {
			p.log.WarnContext(ctx, "delivery log unreachable: the delivery waits until it is back", "delivery_id", d.ID, "error", res.err)
		}
		r.again = true
		select {
		case <-ctx.Done():
			return Delivery{}, fmt.Errorf("record attempt of %s: %w", d.ID, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// lockBatch takes the advisory lock of every delivery of a batch, in one
// order for all writers so that two batches never wait for each other.
const lockBatch = `SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT hashtextextended(x, 0) AS k FROM unnest($1::text[]) x ORDER BY 1) s`

// upsertBatch records one attempt for each input row: the delivery is
// updated when it exists in any partition, inserted (today's partition)
// when not, and the attempt numbered after the delivery's last.
const upsertBatch = `WITH input AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[],
		$9::timestamptz[], $10::int[], $11::timestamptz[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[], $17::bool[])
	AS t(id, subscription_id, subscription_scope, event_id, event_type, scope, event_seq, state,
		next_attempt_at, status, started_at, latency_ns, error, excerpt, url, trigger, again)
), done AS (
	SELECT i.id FROM input i WHERE i.again AND EXISTS (
		SELECT 1 FROM deliveries d JOIN delivery_attempts a ON a.delivery_id = d.id AND a.created_at = d.created_at
		WHERE d.id = i.id AND a.started_at = i.started_at)
), todo AS (
	SELECT * FROM input WHERE id NOT IN (SELECT id FROM done)
), upd AS (
	UPDATE deliveries d SET state = t.state, next_attempt_at = t.next_attempt_at, hold_reason = '',
		attempts = d.attempts + 1, last_status = t.status, updated_at = $18
	FROM todo t WHERE d.id = t.id
	RETURNING d.id, d.created_at, d.attempts
), ins AS (
	INSERT INTO deliveries (id, created_at, updated_at, subscription_id, subscription_scope, event_id, event_type, scope,
		event_seq, state, attempts, last_status, next_attempt_at)
	SELECT t.id, $18, $18, t.subscription_id, t.subscription_scope, t.event_id, t.event_type, t.scope,
		t.event_seq, t.state, 1, t.status, t.next_attempt_at
	FROM todo t WHERE t.id NOT IN (SELECT id FROM upd)
	RETURNING id, created_at, attempts
), written AS (
	SELECT id, created_at, attempts, false AS fresh FROM upd UNION ALL SELECT id, created_at, attempts, true FROM ins
), att AS (
	INSERT INTO delivery_attempts (delivery_id, created_at, n, started_at, status, latency_ns, error, excerpt, url, trigger)
	SELECT w.id, w.created_at, w.attempts, t.started_at, t.status, t.latency_ns, t.error, t.excerpt, t.url, t.trigger
	FROM written w JOIN todo t ON t.id = w.id
)
SELECT id, created_at, fresh FROM written`

// writeBatch records a batch (distinct delivery ids) in one transaction
// and returns the deliveries as stored, in the batch's order.
func (p *PG) writeBatch(ctx context.Context, batch []*writeReq) ([]Delivery, error) {
	n := len(batch)
	var (
		ids, subs, subScopes, eventIDs, types, scopes, states = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		errs, excerpts, urls, triggers                        = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		seqs, lat                                             = make([]int64, n), make([]int64, n)
		statuses                                              = make([]int32, n)
		nexts                                                 = make([]*time.Time, n)
		started                                               = make([]time.Time, n)
		again                                                 = make([]bool, n)
	)
	for i, r := range batch {
		d, a := r.d, r.a
		ids[i], subs[i], subScopes[i], eventIDs[i], types[i], scopes[i] = d.ID, d.SubscriptionID, d.SubscriptionScope, d.EventID, d.EventType, d.Scope
		seqs[i], states[i], nexts[i], again[i] = int64(d.EventSeq), string(r.state), r.next, r.again
		statuses[i], started[i], lat[i] = int32(a.Status), a.StartedAt, int64(a.Latency)
		errs[i], excerpts[i], urls[i], triggers[i] = a.Error, a.Excerpt, a.URL, a.Trigger
	}
	now := stamp(p.now())
	type written struct {
		created time.Time
		fresh   bool
	}
	got := make(map[string]written, n)
	err := p.retryNoPartition(ctx, func() error {
		clear(got)
		return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			b.Queue(lockBatch, ids)
			b.Queue(upsertBatch, ids, subs, subScopes, eventIDs, types, scopes, seqs, states, nexts, statuses, started, lat,
				errs, excerpts, urls, triggers, again, now)
			br := tx.SendBatch(ctx, b)
			defer br.Close()
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("lock deliveries: %w", err)
			}
			rows, err := br.Query()
			if err != nil {
				return fmt.Errorf("record attempts: %w", err)
			}
			for rows.Next() {
				var id string
				var w written
				if err := rows.Scan(&id, &w.created, &w.fresh); err != nil {
					return fmt.Errorf("record attempts: %w", err)
				}
				got[id] = w
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("record attempts: %w", err)
			}
			return br.Close()
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, n)
	var reread []string
	for i, r := range batch {
		w, ok := got[r.d.ID]
		if !ok || !w.fresh {
			reread = append(reread, r.d.ID)
			continue
		}
		a := r.a
		a.Number = 1
		out[i] = Delivery{ID: r.d.ID, EventID: r.d.EventID, EventType: r.d.EventType, SubscriptionID: r.d.SubscriptionID,
			Scope: r.d.Scope, SubscriptionScope: r.d.SubscriptionScope, EventSeq: r.d.EventSeq, State: r.state,
			Attempts: []Attempt{a}, CreatedAt: w.created.UTC(), UpdatedAt: now}
		if r.next != nil {
			out[i].NextAttemptAt = *r.next
		}
	}
	if len(reread) == 0 {
		return out, nil
	}
	// Retries and redeliveries: their earlier attempts are part of the
	// answer. Read after the commit, outside the batch's locks.
	stored, err := p.getMany(ctx, reread)
	if err != nil {
		return nil, err
	}
	for i, r := range batch {
		if d, ok := stored[r.d.ID]; ok {
			out[i] = d
		}
	}
	return out, nil
}

// getMany reads deliveries by id, attempts included.
func (p *PG) getMany(ctx context.Context, ids []string) (map[string]Delivery, error) {
	rs, err := p.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	rows, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (row, error) { return scanDelivery(r) })
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	ds, err := withAttempts(ctx, p.pool, rows)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Delivery, len(ds))
	for _, d := range ds {
		out[d.ID] = d
	}
	return out, nil
}
