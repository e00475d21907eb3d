package deliverylog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PG is the delivery log on PostgreSQL (HOOKWIRE_DELIVERY_LOG_URL): see
// the package documentation for the schema and the write path. It is safe
// for concurrent use by any number of processes.
type PG struct {
	pool      *pgxpool.Pool
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger
	w         *writer
}

// PGOption configures a PG.
type PGOption func(*PG)

// WithPGClock sets the clock stamping CreatedAt and UpdatedAt (tests).
func WithPGClock(now func() time.Time) PGOption { return func(p *PG) { p.now = now } }

// WithPGLogger sets the logger of outages and partition maintenance.
func WithPGLogger(l *slog.Logger) PGOption { return func(p *PG) { p.log = l } }

// OpenPostgres connects to cfg.URL, applies the migrations, makes sure
// partitions cover today and the next days and drops those past the
// retention, all under an advisory lock (several dispatchers may start at
// once). Close releases it.
func OpenPostgres(ctx context.Context, cfg Config, opts ...PGOption) (*PG, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("delivery log url: %w", redactURLError(err))
	}
	// Every lookup goes through an index, never a sequential scan: today's
	// partition fills from empty within the day, so its statistics, and the
	// plans a connection caches, lag far behind its size; left to them the
	// planner scanned the whole partition for each batch of writes, retry
	// re-reads and attempt reads (TestPGLookupsUseIndexes). Every query of
	// the store has an index to use.
	pcfg.ConnConfig.RuntimeParams["enable_seqscan"] = "off"
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connect delivery log: %w", err)
	}
	p := &PG{pool: pool, retention: cfg.Retention, now: time.Now, log: slog.Default()}
	for _, o := range opts {
		o(p)
	}
	if _, err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	if err := p.maintain(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	p.w = startWriter(p, cfg.WriteBatch)
	return p, nil
}

// redactURLError keeps a password in the URL out of the error text.
func redactURLError(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("cannot parse the PostgreSQL URL (check its syntax)")
	}
	return err
}

// Close stops the writer (waiting for the batches in flight) and closes
// the connections.
func (p *PG) Close() {
	p.w.stop()
	p.pool.Close()
}

// Pool exposes the connection pool (inspection, tests, the bench).
func (p *PG) Pool() *pgxpool.Pool { return p.pool }

// Run keeps the partitions: every hour it covers the coming days and
// drops those past the retention, until ctx ends. A failure is logged and
// tried again at the next round (the days ahead leave time to fix it).
func (p *PG) Run(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := p.maintain(ctx); err != nil && ctx.Err() == nil {
				p.log.Error("delivery log partition maintenance", "error", err)
			}
		}
	}
}

// maintain makes sure partitions cover today and the next partitionsAhead
// days and drops those whose range ended more than the retention ago.
func (p *PG) maintain(ctx context.Context) error {
	now := p.now()
	if err := p.EnsurePartitions(ctx, now, now.AddDate(0, 0, partitionsAhead)); err != nil {
		return err
	}
	dropped, err := dropPartitions(ctx, p.pool, now.Add(-p.retention))
	if len(dropped) > 0 {
		p.log.Info("delivery log: dropped partitions past the retention", "partitions", dropped)
	}
	return err
}

// querier is what reads need of a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// deliveryColumns are read by scanDelivery, in this order.
const deliveryColumns = `id, created_at, updated_at, subscription_id, subscription_scope, event_id, event_type,
	scope, event_seq, state, hold_reason, attempts, next_attempt_at`

// row is a delivery as read, with what finding its attempts needs.
type row struct {
	d        Delivery
	attempts int // number of the last attempt
}

func scanDelivery(r pgx.Row) (row, error) {
	var (
		x            row
		state, hold  string
		seq          int64
		next         *time.Time
		created, upd time.Time
	)
	err := r.Scan(&x.d.ID, &created, &upd, &x.d.SubscriptionID, &x.d.SubscriptionScope, &x.d.EventID, &x.d.EventType,
		&x.d.Scope, &seq, &state, &hold, &x.attempts, &next)
	if err != nil {
		return row{}, err
	}
	x.d.CreatedAt, x.d.UpdatedAt = created.UTC(), upd.UTC()
	x.d.EventSeq, x.d.State, x.d.HoldReason = uint64(seq), State(state), HoldReason(hold)
	if next != nil {
		x.d.NextAttemptAt = next.UTC()
	}
	return x, nil
}

// withAttempts reads the newest MaxAttempts attempts of each row, in one
// query, and returns the deliveries in the rows' order.
func withAttempts(ctx context.Context, q querier, rows []row) ([]Delivery, error) {
	out := make([]Delivery, len(rows))
	var ids []string
	var created []time.Time
	var from []int32
	at := make(map[string]int, len(rows))
	for i, r := range rows {
		out[i] = r.d
		if r.attempts > 0 {
			ids, created = append(ids, r.d.ID), append(created, r.d.CreatedAt)
			from = append(from, int32(max(r.attempts-MaxAttempts, 0)))
			at[r.d.ID] = i
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rs, err := q.Query(ctx, `SELECT a.delivery_id, a.n, a.started_at, a.status, a.latency_ns, a.error, a.excerpt, a.url, a.trigger
		FROM unnest($1::text[], $2::timestamptz[], $3::int[]) AS k(id, created_at, after)
		JOIN delivery_attempts a ON a.delivery_id = k.id AND a.created_at = k.created_at AND a.n > k.after
		ORDER BY a.delivery_id, a.n`, ids, created, from)
	if err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var id string
		var a Attempt
		var lat int64
		if err := rs.Scan(&id, &a.Number, &a.StartedAt, &a.Status, &lat, &a.Error, &a.Excerpt, &a.URL, &a.Trigger); err != nil {
			return nil, fmt.Errorf("read attempts: %w", err)
		}
		a.StartedAt, a.Latency = a.StartedAt.UTC(), time.Duration(lat)
		i := at[id]
		out[i].Attempts = append(out[i].Attempts, a)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	return out, nil
}

// get reads one delivery with its attempts.
func (p *PG) get(ctx context.Context, q querier, id string, lock bool) (Delivery, error) {
	sql := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	r, err := scanDelivery(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Delivery{}, ErrNotFound
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("get delivery %s: %w", id, err)
	}
	ds, err := withAttempts(ctx, q, []row{r})
	if err != nil {
		return Delivery{}, fmt.Errorf("get delivery %s: %w", id, err)
	}
	return ds[0], nil
}

// Get returns the delivery with that id.
func (p *PG) Get(ctx context.Context, id string) (Delivery, error) {
	if _, _, err := ParseID(id); err != nil {
		return Delivery{}, err
	}
	return p.get(ctx, p.pool, id, false)
}

// locked runs fn in a transaction holding the delivery's advisory lock, the
// one every write of it takes (see writer), so that no two writers create
// it twice.
func (p *PG) locked(ctx context.Context, id string, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, id); err != nil {
			return fmt.Errorf("lock delivery %s: %w", id, err)
		}
		return fn(tx)
	})
}

// SetState changes the state and next attempt time of an existing delivery.
func (p *PG) SetState(ctx context.Context, id string, state State, next time.Time) (Delivery, error) {
	if !state.Valid() {
		return Delivery{}, fmt.Errorf("set state of %s: invalid state %q", id, state)
	}
	return p.Update(ctx, id, func(d *Delivery) error {
		d.State, d.NextAttemptAt = state, next
		return nil
	})
}

// Update applies change to the stored delivery in a transaction that holds
// its row. change may alter State, NextAttemptAt and HoldReason; the rest
// of the record is the log's. An error from change aborts and is returned
// as is.
func (p *PG) Update(ctx context.Context, id string, change func(*Delivery) error) (Delivery, error) {
	if _, _, err := ParseID(id); err != nil {
		return Delivery{}, err
	}
	var out Delivery
	err := p.locked(ctx, id, func(tx pgx.Tx) error {
		d, err := p.get(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := change(&d); err != nil {
			return err
		}
		if !d.State.Valid() {
			return fmt.Errorf("update delivery %s: invalid state %q", id, d.State)
		}
		if d.State != Held {
			d.HoldReason = ""
		}
		d.UpdatedAt = stamp(p.now())
		if _, err := tx.Exec(ctx, `UPDATE deliveries SET state = $2, next_attempt_at = $3, hold_reason = $4, updated_at = $5
			WHERE id = $1 AND created_at = $6`, id, string(d.State), nullTime(d.NextAttemptAt), string(d.HoldReason), d.UpdatedAt, d.CreatedAt); err != nil {
			return fmt.Errorf("update delivery %s: %w", id, err)
		}
		out = d
		return nil
	})
	return out, err
}

// Hold records that the delivery's task was parked for its resting
// subscription (see Store).
func (p *PG) Hold(ctx context.Context, d Delivery, reason HoldReason) (Delivery, error) {
	if !reason.Valid() {
		return Delivery{}, fmt.Errorf("hold delivery %s: invalid reason %q", d.ID, reason)
	}
	if _, _, err := ParseID(d.ID); err != nil {
		return Delivery{}, fmt.Errorf("hold delivery: %w", err)
	}
	var out Delivery
	err := p.retryNoPartition(ctx, func() error {
		return p.locked(ctx, d.ID, func(tx pgx.Tx) error {
			now := stamp(p.now())
			_, err := tx.Exec(ctx, `WITH upd AS (
				UPDATE deliveries SET state = 'HELD', hold_reason = $2, next_attempt_at = NULL, updated_at = $3
				WHERE id = $1 AND state IN ('PENDING', 'HELD') RETURNING id)
			INSERT INTO deliveries (id, created_at, updated_at, subscription_id, subscription_scope, event_id, event_type, scope, event_seq, state, hold_reason)
			SELECT $1, $3, $3, $4, $5, $6, $7, $8, $9, 'HELD', $2
			WHERE NOT EXISTS (SELECT 1 FROM upd) AND NOT EXISTS (SELECT 1 FROM deliveries WHERE id = $1)`,
				d.ID, string(reason), now, d.SubscriptionID, d.SubscriptionScope, d.EventID, d.EventType, d.Scope, int64(d.EventSeq))
			if err != nil {
				return fmt.Errorf("hold delivery %s: %w", d.ID, err)
			}
			out, err = p.get(ctx, tx, d.ID, false)
			return err
		})
	})
	return out, err
}

// retryNoPartition runs write again once after creating the partitions of
// today (by the store's clock) when it was dated outside them.
func (p *PG) retryNoPartition(ctx context.Context, write func() error) error {
	err := write()
	if !isNoPartition(err) {
		return err
	}
	now := p.now()
	if err := p.EnsurePartitions(ctx, now.AddDate(0, 0, -1), now.AddDate(0, 0, partitionsAhead)); err != nil {
		return err
	}
	return write()
}

// stamp is a time as PostgreSQL keeps it: UTC, microseconds.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = stamp(t)
	return &t
}
