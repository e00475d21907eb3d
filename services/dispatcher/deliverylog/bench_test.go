package deliverylog_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// BenchmarkRecordAttempt measures the delivery log's share of one delivery:
// "first" is the common path (one kv.Create), "retry" a later attempt
// (Get + Update). Parallel, as the workers call it.
func BenchmarkRecordAttempt(b *testing.B) {
	_, js := testkit.StartNATS(b).Connect(b)
	l, err := deliverylog.Open(context.Background(), js, deliverylog.Config{Retention: time.Hour, Replicas: 1})
	if err != nil {
		b.Fatal(err)
	}
	a := deliverylog.Attempt{Number: 1, StartedAt: time.Now(), Status: 200, Latency: 30 * time.Millisecond,
		Excerpt: `{"ok":true}`, URL: "https://example.test/hook", Trigger: deliverylog.TriggerScheduled}
	for _, tc := range []struct {
		name   string
		number int
	}{{"first", 1}, {"retry", 2}} {
		b.Run(tc.name, func(b *testing.B) {
			var n atomicCounter
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.next()
					if tc.number > 1 {
						i %= 512 // the same records again and again
					}
					d := deliverylog.Delivery{SubscriptionID: "sub" + tc.name, EventID: fmt.Sprint(i), EventType: "t", EventSeq: 1}
					at := a
					at.Number = tc.number
					if _, err := l.RecordAttempt(context.Background(), d, at, deliverylog.Delivered, time.Time{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

type atomicCounter struct{ v atomic.Int64 }

func (c *atomicCounter) next() int64 { return c.v.Add(1) }

// BenchmarkPGRecordAttempt is BenchmarkRecordAttempt's "first" on the
// PostgreSQL store, from 100 goroutines (10 subscriptions × max_in_flight
// 10, W1's concurrency): the batches group-commit what is waiting. days is
// the history kept: a write looks its delivery up by id in each partition
// that holds it, so it costs more on a log that holds 30 days than on a
// fresh one, and more with daily partitions (a short retention's width,
// made here for 30 days as an older version did) than with weekly ones
// (PartitionDays at the default retention). rows is how many deliveries
// (with one attempt each) today's partition holds before the writes
// start, as after W4's backlog build: a write then meets a large, freshly
// analysed partition. See the README's Performance section.
func BenchmarkPGRecordAttempt(b *testing.B) {
	pg := testkit.StartPostgres(b)
	for _, tc := range []struct {
		days, rows int
		width      string
	}{{1, 0, "weekly"}, {30, 0, "daily"}, {30, 0, "weekly"}, {1, 1_000_000, "weekly"}} {
		b.Run(fmt.Sprintf("days=%d/partitions=%s/rows=%d", tc.days, tc.width, tc.rows), func(b *testing.B) {
			benchPGRecordAttempt(b, pg, tc.days, tc.rows, tc.width == "daily")
		})
	}
}

func benchPGRecordAttempt(b *testing.B, pg *testkit.Postgres, days, rows int, daily bool) {
	ctx := context.Background()
	cfg := defaultConfig()
	cfg.URL = pg.NewDatabase(b)
	if daily {
		cfg.Retention = 7 * 24 * time.Hour // PartitionDays 1; nothing is dropped before the next hourly round
	}
	p, err := deliverylog.OpenPostgres(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if err := p.EnsurePartitions(ctx, time.Now().AddDate(0, 0, 1-days), time.Now()); err != nil {
		b.Fatal(err)
	}
	if rows > 0 {
		fillToday(b, cfg.URL, rows)
	}
	a := deliverylog.Attempt{Number: 1, StartedAt: time.Now(), Status: 200, Latency: 30 * time.Millisecond,
		Excerpt: `{"ok":true}`, URL: "https://example.test/hook", Trigger: deliverylog.TriggerScheduled}
	var n atomicCounter
	b.SetParallelism(max(100/runtime.GOMAXPROCS(0), 1))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.next()
			sub := fmt.Sprintf("sub%d", i%10)
			d := deliverylog.Delivery{ID: deliverylog.ID(sub, "acquirers/1", fmt.Sprint(i)), SubscriptionID: sub,
				SubscriptionScope: "acquirers/1", Scope: "acquirers/1", EventID: fmt.Sprint(i), EventType: "t", EventSeq: uint64(i)}
			if _, err := p.RecordAttempt(context.Background(), d, a, deliverylog.Delivered, time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkKVFailingBudget measures the KV store's failure ranking at its
// worst: a window holding DefaultScanBudget records, each with a failed
// attempt (100 subscriptions), read whole.
func BenchmarkKVFailingBudget(b *testing.B) {
	_, js := testkit.StartNATS(b).Connect(b)
	l, err := deliverylog.Open(context.Background(), js, deliverylog.Config{Retention: time.Hour, Replicas: 1})
	if err != nil {
		b.Fatal(err)
	}
	at := time.Now().UTC().Add(-time.Minute)
	a := deliverylog.Attempt{Number: 1, StartedAt: at, Status: 503, Latency: 30 * time.Millisecond,
		Excerpt: "Service Unavailable", URL: "https://example.test/hook", Trigger: deliverylog.TriggerScheduled}
	var n atomicCounter
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := n.next(); i <= deliverylog.DefaultScanBudget; i = n.next() {
				d := deliverylog.Delivery{SubscriptionID: fmt.Sprintf("sub%d", i%100), EventID: fmt.Sprint(i), EventType: "t", EventSeq: 1}
				if _, err := l.RecordAttempt(context.Background(), d, a, deliverylog.Pending, time.Time{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	f := deliverylog.FailureFilter{Since: at.Add(-time.Minute), Until: at.Add(time.Minute)}
	b.ResetTimer()
	for b.Loop() {
		r, err := l.Failing(context.Background(), f, 0)
		if err != nil || r.Truncated || len(r.Subscriptions) != 10 {
			b.Fatalf("%+v, %v", r, err)
		}
	}
}

// fillToday inserts n delivered deliveries, one attempt each, into today's
// partitions and analyses them, as autovacuum does after a bulk of writes.
func fillToday(b *testing.B, url string, n int) {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`INSERT INTO deliveries (id, created_at, updated_at, subscription_id, subscription_scope, event_id, event_type, scope, event_seq, state, attempts, last_status)
		 SELECT 'bulk' || (i % 10) || '_' || substr(md5(i::text), 1, 24), now(), now(), 'bulk' || (i % 10), 'acquirers/1', 'e' || i, 't', 'acquirers/1', i, 'DELIVERED', 1, 200
		 FROM generate_series(1, $1) i`,
		`INSERT INTO delivery_attempts (delivery_id, created_at, n, started_at, status, latency_ns)
		 SELECT id, created_at, 1, created_at, 200, 30000000 FROM deliveries`,
		`ANALYZE deliveries`, `ANALYZE delivery_attempts`,
	} {
		args := []any{}
		if strings.Contains(q, "$1") {
			args = append(args, n)
		}
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			b.Fatalf("fill today's partition: %v", err)
		}
	}
}
