package deliverylog

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
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

// Partitioned tables; each has one partition per day, <table>_pYYYYMMDD.
var partitioned = []string{"deliveries", "delivery_attempts"}

// partitionsAhead is how many days of partitions exist beyond today.
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

func partitionName(table string, day time.Time) string {
	return table + "_p" + day.Format("20060102")
}

// EnsurePartitions creates the daily partitions from first to last (UTC
// days, inclusive) that do not exist yet, under the schema lock. The store
// makes today's and the coming days' itself; this is for loading older
// history (an import, the benchmark's W6). Partitions past the retention
// are dropped by the next maintenance round.
func (p *PG) EnsurePartitions(ctx context.Context, first, last time.Time) error {
	return ensurePartitions(ctx, p.pool, first, last)
}

// ensurePartitions creates the partitions of every day from first to last
// (UTC days, inclusive) that do not exist yet.
func ensurePartitions(ctx context.Context, pool *pgxpool.Pool, first, last time.Time) error {
	return withSchemaLock(ctx, pool, func(conn *pgx.Conn) error {
		for day := utcDay(first); !day.After(utcDay(last)); day = day.AddDate(0, 0, 1) {
			for _, table := range partitioned {
				q := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`,
					partitionName(table, day), table, day.Format(time.RFC3339), day.AddDate(0, 0, 1).Format(time.RFC3339))
				if _, err := conn.Exec(ctx, q); err != nil {
					return fmt.Errorf("create partition %s: %w", partitionName(table, day), err)
				}
			}
		}
		return nil
	})
}

// dropPartitions drops every partition whose whole day ended before
// cutoff, and returns their names: retention by whole days, no row
// deleted one by one.
func dropPartitions(ctx context.Context, pool *pgxpool.Pool, cutoff time.Time) ([]string, error) {
	var dropped []string
	err := withSchemaLock(ctx, pool, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT c.relname FROM pg_inherits i
			JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
			WHERE p.relname = ANY($1)`, partitioned)
		if err != nil {
			return fmt.Errorf("list partitions: %w", err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("list partitions: %w", err)
		}
		for _, name := range names {
			i := strings.LastIndex(name, "_p")
			day, err := time.Parse("20060102", name[i+2:])
			if i < 0 || err != nil || day.AddDate(0, 0, 1).After(cutoff) {
				continue
			}
			if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
				return fmt.Errorf("drop partition %s: %w", name, err)
			}
			dropped = append(dropped, name)
		}
		return nil
	})
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
