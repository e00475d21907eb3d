package deliverylog

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// schemaLock is the pg_advisory_lock key under which migrations and
// partition changes run, so that dispatchers starting at once take turns.
const schemaLock = 0x686f6f6b77697265 // "hookwire"

// Partitioned tables; each partition spans PartitionDays days and is named
// after its first, <table>_pYYYYMMDD.
var partitioned = []string{"deliveries", "delivery_attempts"}

// partitionsAhead is how many days beyond today the partitions cover.
const partitionsAhead = 3

// Migrate applies the embedded migrations not yet applied, in order, each
// in its own transaction, under the schema advisory lock. It is what the
// dispatcher runs at start and `hookwire deliverylog migrate` runs by hand;
// it returns the versions it applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	var applied []string
	err := withSchemaLock(ctx, pool, func(conn *pgx.Conn) error {
		if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS hookwire_schema_migrations (
			version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create migrations table: %w", err)
		}
		files, err := fs.Glob(migrations, "migrations/*.sql")
		if err != nil {
			return err
		}
		slices.Sort(files)
		for _, f := range files {
			version := strings.TrimSuffix(path.Base(f), ".sql")
			done, err := migrate(ctx, conn, f, version)
			if err != nil {
				return err
			}
			if done {
				applied = append(applied, version)
			}
		}
		return nil
	})
	return applied, err
}

// MigrateURL connects to the PostgreSQL at url and runs Migrate (the
// `hookwire deliverylog migrate` command).
func MigrateURL(ctx context.Context, url string) ([]string, error) {
	if err := (Config{Retention: DefaultRetention, Replicas: 1, URL: url}).Validate(); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("delivery log url: %w", redactURLError(err))
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connect delivery log: %w", err)
	}
	defer pool.Close()
	return Migrate(ctx, pool)
}

// migrationLockTimeout is how long a migration waits for a table lock
// (lock_timeout) before it fails. Waiting longer would queue every write
// to the table behind it: with writers or a long transaction on a table,
// a migration that needs it fails, and the next start tries again.
var migrationLockTimeout = 10 * time.Second

// migrate applies one file unless its version is recorded already.
func migrate(ctx context.Context, conn *pgx.Conn, file, version string) (bool, error) {
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM hookwire_schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
		return false, fmt.Errorf("read migration %s: %w", version, err)
	}
	if n > 0 {
		return false, nil
	}
	sql, err := migrations.ReadFile(file)
	if err != nil {
		return false, err
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('lock_timeout', $1, true)`,
			strconv.FormatInt(migrationLockTimeout.Milliseconds(), 10)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO hookwire_schema_migrations (version) VALUES ($1)`, version)
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
		return false, fmt.Errorf("apply migration %s: no lock within %s (writes or a long transaction hold a table; "+
			"it is tried again at the next start; a large delivery log: see the README's delivery log section): %w",
			version, migrationLockTimeout, err)
	}
	if err != nil {
		return false, fmt.Errorf("apply migration %s: %w", version, err)
	}
	return true, nil
}

// withSchemaLock runs fn on one connection holding the schema lock.
func withSchemaLock(ctx context.Context, pool *pgxpool.Pool, fn func(*pgx.Conn) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("delivery log schema: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(schemaLock)); err != nil {
		return fmt.Errorf("delivery log schema: lock: %w", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, int64(schemaLock)); err != nil {
			conn.Conn().PgConn().Close(uctx) // a session lock dies with its session
		}
	}()
	return fn(conn.Conn())
}

// partitionName is the name of table's partition that starts at from:
// <table>_pYYYYMMDD, and _HHMM after it when from is not midnight (after a
// partition made by hand).
func partitionName(table string, from time.Time) string {
	name := table + "_p" + from.Format("20060102")
	if !from.Equal(utcDay(from)) {
		name += from.Format("_1504")
	}
	return name
}

// ownPartition matches the names partitionName gives: retention drops
// those only, never a partition attached by hand.
var ownPartition = regexp.MustCompile(`^(deliveries|delivery_attempts)_p[0-9]{8}(_[0-9]{4})?$`)

// PartitionDays is how many days one partition spans for a retention: a
// quarter of it, at least one day and at most seven. A write looks its
// delivery up in every retained partition (the id does not say when the
// delivery was made), so each partition costs every write; whole
// partitions are dropped, so a delivery is kept for the retention and at
// most PartitionDays longer. 30 days (the default) are five or six weekly
// partitions rather than 30 daily ones: BenchmarkPGRecordAttempt measured
// a write on 30 daily partitions at three times the cost of one on a
// fresh log.
func PartitionDays(retention time.Duration) int {
	return min(max(int(retention/(4*24*time.Hour)), 1), 7)
}

// span is a partition's range of creation times, [from, to).
type span struct {
	name     string
	from, to time.Time
}

// planPartitions returns the partitions to create so that every UTC day
// from first to last (inclusive) falls in one: each new one starts where
// the covered time ends (midnight, for the partitions made here), spans
// days days or up to the next existing partition, whichever is shorter,
// and is named after its first day. existing are the table's partitions,
// in any order.
func planPartitions(table string, existing []span, first, last time.Time, days int) []span {
	have := slices.Clone(existing)
	var out []span
	for t, until := utcDay(first), utcDay(last).AddDate(0, 0, 1); t.Before(until); {
		if i := slices.IndexFunc(have, func(s span) bool { return !t.Before(s.from) && t.Before(s.to) }); i >= 0 {
			t = have[i].to
			continue
		}
		end := utcDay(t).AddDate(0, 0, days)
		for _, s := range have {
			if s.from.After(t) && s.from.Before(end) {
				end = s.from
			}
		}
		n := span{name: partitionName(table, t), from: t, to: end}
		out = append(out, n)
		have = append(have, n)
		t = end
	}
	return out
}

// partitionBound reads a range partition's bound as pg_get_expr prints it
// with TimeZone UTC and DateStyle ISO.
var partitionBound = regexp.MustCompile(`^FOR VALUES FROM \((MINVALUE|'[^']+')\) TO \((MAXVALUE|'[^']+')\)$`)

const boundLayout = "2006-01-02 15:04:05.999999-07"

// Unbounded ends of a range partition (MINVALUE, MAXVALUE, infinity).
var (
	beforeAll = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	afterAll  = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// parseBound is one end of a range bound.
func parseBound(b string) (time.Time, error) {
	switch b {
	case "MINVALUE", "'-infinity'":
		return beforeAll, nil
	case "MAXVALUE", "'infinity'":
		return afterAll, nil
	}
	t, err := time.Parse(boundLayout, strings.Trim(b, "'"))
	return t.UTC(), err
}

// listPartitions reads the partitions of the partitioned tables with their
// bounds, by table. A DEFAULT partition (made by hand) has no range and is
// left out; a bound it cannot read is an error naming the partition, so
// that nothing is planned over it.
func listPartitions(ctx context.Context, conn *pgx.Conn) (map[string][]span, error) {
	out := map[string][]span{}
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT p.relname, c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
			JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
			WHERE p.relname = ANY($1)`, partitioned)
		if err != nil {
			return err
		}
		var table, name, bound string
		_, err = pgx.ForEachRow(rows, []any{&table, &name, &bound}, func() error {
			if bound == "DEFAULT" {
				return nil
			}
			m := partitionBound.FindStringSubmatch(bound)
			if m == nil {
				return fmt.Errorf("partition %s: cannot read its bound %q", name, bound)
			}
			from, err1 := parseBound(m[1])
			to, err2 := parseBound(m[2])
			if err := errors.Join(err1, err2); err != nil {
				return fmt.Errorf("partition %s: cannot read its bound %q: %w", name, bound, err)
			}
			out[table] = append(out[table], span{name: name, from: from, to: to})
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	return out, nil
}

// EnsurePartitions creates partitions so that every day from first to
// last (UTC days, inclusive) has one, under the schema lock; each new one
// spans PartitionDays of the store's retention. The store calls it for
// today and the coming days; callers use it to load older history (an
// import, the benchmark's W6). Partitions past the retention are dropped
// by the next maintenance round.
func (p *PG) EnsurePartitions(ctx context.Context, first, last time.Time) error {
	return ensurePartitions(ctx, p.pool, first, last, PartitionDays(p.retention))
}

// ensurePartitions creates the partitions planPartitions plans, planned
// on deliveries and made for both tables in one transaction each, so that
// a delivery's row and its attempts always share a range. A deliveries
// partition whose attempts partition is missing (a pair an earlier version
// made one table at a time) gets it first.
func ensurePartitions(ctx context.Context, pool *pgxpool.Pool, first, last time.Time, days int) error {
	return withSchemaLock(ctx, pool, func(conn *pgx.Conn) error {
		have, err := listPartitions(ctx, conn)
		if err != nil {
			return err
		}
		create := func(tx pgx.Tx, table string, s span) error {
			name := table + strings.TrimPrefix(s.name, "deliveries")
			q := fmt.Sprintf(`CREATE TABLE %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`,
				pgx.Identifier{name}.Sanitize(), table, s.from.Format(time.RFC3339), s.to.Format(time.RFC3339))
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("create partition %s: %w", name, err)
			}
			return nil
		}
		for _, s := range have["deliveries"] {
			if !ownPartition.MatchString(s.name) || slices.ContainsFunc(have["delivery_attempts"], func(a span) bool {
				return a.from.Equal(s.from) && a.to.Equal(s.to)
			}) {
				continue
			}
			if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return create(tx, "delivery_attempts", s) }); err != nil {
				return err
			}
		}
		for _, s := range planPartitions("deliveries", have["deliveries"], first, last, days) {
			if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				for _, table := range partitioned {
					if err := create(tx, table, s); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

// dropPartitions drops every partition named by partitionName whose whole
// range ended before cutoff, and returns their names: retention by whole
// partitions, no row deleted one by one. A partition attached by hand,
// under another name, is left alone.
func dropPartitions(ctx context.Context, pool *pgxpool.Pool, cutoff time.Time) ([]string, error) {
	var dropped []string
	err := withSchemaLock(ctx, pool, func(conn *pgx.Conn) error {
		have, err := listPartitions(ctx, conn)
		if err != nil {
			return err
		}
		for _, table := range partitioned {
			for _, s := range have[table] {
				if s.to.After(cutoff) || !ownPartition.MatchString(s.name) {
					continue
				}
				if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{s.name}.Sanitize()); err != nil {
					return fmt.Errorf("drop partition %s: %w", s.name, err)
				}
				dropped = append(dropped, s.name)
			}
		}
		return nil
	})
	slices.Sort(dropped)
	return dropped, err
}

func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// isNoPartition reports PostgreSQL's "no partition of relation found for
// row" (a write dated outside the partitions made so far).
func isNoPartition(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23514" && strings.Contains(pe.Message, "no partition")
}
