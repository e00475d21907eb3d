package deliverylog_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// before0002 opens a store and takes its schema back to before migration
// 0002 (the failure ranking's index), as a log written by an older
// dispatcher is.
func before0002(t *testing.T) *deliverylog.PG {
	t.Helper()
	pg := testkit.StartPostgres(t)
	p := openPG(t, pg.NewDatabase(t), newClock(contractStart))
	if _, err := p.Pool().Exec(context.Background(), `DROP INDEX delivery_attempts_failed;
		DELETE FROM hookwire_schema_migrations WHERE version = '0002_failed_attempts'`); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPGMigrationLockTimeout: a migration that cannot have its table lock
// (a writer's transaction holds the table) fails after the lock timeout
// rather than queueing every write behind it, and applies once the lock
// is free.
func TestPGMigrationLockTimeout(t *testing.T) {
	p := before0002(t)
	deliverylog.SetMigrationLockTimeout(t, 200*time.Millisecond)
	ctx := context.Background()
	writer, err := p.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = writer.Rollback(ctx) }()
	if _, err := writer.Exec(ctx, `LOCK TABLE delivery_attempts IN ROW EXCLUSIVE MODE`); err != nil { // what an INSERT holds
		t.Fatal(err)
	}
	mctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = deliverylog.Migrate(mctx, p.Pool())
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "55P03" {
		t.Fatalf("migrating beside a writer: %v, want lock_not_available (55P03)", err)
	}
	if err := writer.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if applied, err := deliverylog.Migrate(ctx, p.Pool()); err != nil || !slices.Equal(applied, []string{"0002_failed_attempts"}) {
		t.Fatalf("migrating after the writer: %v, %v", applied, err)
	}
}

// TestPGMigration0002AttachesPrebuiltIndexes: the README's procedure for a
// large log (each partition's index built CONCURRENTLY first) leaves
// migration 0002 nothing to build: it attaches those indexes.
func TestPGMigration0002AttachesPrebuiltIndexes(t *testing.T) {
	p := before0002(t)
	ctx := context.Background()
	rows, err := p.Pool().Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'delivery_attempts'::regclass ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(parts) == 0 {
		t.Fatalf("partitions %v, %v", parts, err)
	}
	var prebuilt []string
	for _, part := range parts {
		// The README's statement, per partition.
		name := part + "_failed"
		if _, err := p.Pool().Exec(ctx, `CREATE INDEX CONCURRENTLY IF NOT EXISTS `+name+` ON `+part+
			` (started_at) WHERE status < 200 OR status >= 300`); err != nil {
			t.Fatal(err)
		}
		prebuilt = append(prebuilt, name)
	}
	if _, err := deliverylog.Migrate(ctx, p.Pool()); err != nil {
		t.Fatal(err)
	}
	rows, err = p.Pool().Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'delivery_attempts_failed'::regclass ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	attached, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(attached, prebuilt) {
		t.Fatalf("partition indexes of delivery_attempts_failed: %v (%v), want the prebuilt %v", attached, err, prebuilt)
	}
}
