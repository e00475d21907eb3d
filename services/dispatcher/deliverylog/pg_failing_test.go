package deliverylog_test

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// icuDatabase creates a database whose default collation is ICU's
// English one (which orders "suba" before "subB", bytes the other way)
// and returns its URL.
func icuDatabase(t *testing.T, pg *testkit.Postgres) string {
	t.Helper()
	u, err := url.Parse(pg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DATABASE icu TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`); err != nil {
		t.Fatalf("create an ICU database: %v", err)
	}
	u.Path = "/icu"
	return u.String()
}

// TestPGFailingTiesByBytes: a tie in the ranking (same count, same last
// time) is decided by the subscription ids' bytes, as the KV store
// decides it, not by the database's collation.
func TestPGFailingTiesByBytes(t *testing.T) {
	pg := testkit.StartPostgres(t)
	p := openPG(t, icuDatabase(t, pg), newClock(contractStart))
	ctx := context.Background()
	at := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	for i, sub := range []string{"suba", "suba", "subB", "subB"} {
		if _, err := p.RecordAttempt(ctx, delivery(sub, i, "acquirers/1"), attempt(500, at), deliverylog.Pending, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := p.Failing(ctx, deliverylog.FailureFilter{Since: at.Add(-time.Minute), Until: at.Add(time.Minute)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range got.Subscriptions {
		ids = append(ids, f.SubscriptionID)
	}
	if want := []string{"subB", "suba"}; !slices.Equal(ids, want) {
		t.Fatalf("ranked %v, want %v (ids by their bytes)", ids, want)
	}
}
