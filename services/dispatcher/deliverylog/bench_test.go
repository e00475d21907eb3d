package deliverylog_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
// the history kept (partitions): a write looks its delivery up by id in
// each of them, so it costs more on a log that holds 30 days than on a
// fresh one (see the README's Performance section).
func BenchmarkPGRecordAttempt(b *testing.B) {
	pg := testkit.StartPostgres(b)
	for _, days := range []int{1, 30} {
		b.Run(fmt.Sprintf("days=%d", days), func(b *testing.B) { benchPGRecordAttempt(b, pg, days) })
	}
}

func benchPGRecordAttempt(b *testing.B, pg *testkit.Postgres, days int) {
	cfg := defaultConfig()
	cfg.URL = pg.NewDatabase(b)
	p, err := deliverylog.OpenPostgres(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if err := p.EnsurePartitions(context.Background(), time.Now().AddDate(0, 0, 1-days), time.Now()); err != nil {
		b.Fatal(err)
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
