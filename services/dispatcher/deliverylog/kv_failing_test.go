package deliverylog_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// failingKV opens a KV log and records one failed attempt, 10 minutes
// ago, for each of n subscriptions sub000, sub001 … in that order.
func failingKV(t *testing.T, n int, opts ...deliverylog.Option) (*deliverylog.Log, jetstream.JetStream, deliverylog.FailureFilter) {
	t.Helper()
	_, js := testkit.StartNATS(t).Connect(t)
	c := newClock(contractStart)
	l, err := deliverylog.Open(context.Background(), js, defaultConfig(), append(opts, deliverylog.WithClock(c.now))...)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(-10 * time.Minute)
	for i := range n {
		d := delivery(fmt.Sprintf("sub%03d", i), i, "acquirers/1")
		if _, err := l.RecordAttempt(context.Background(), d, attempt(500, at), deliverylog.Pending, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	return l, js, deliverylog.FailureFilter{Since: at.Add(-time.Minute), Until: at.Add(time.Minute)}
}

// TestKVFailingScanBudget: a window holding more records than the scan
// budget is ranked from its newest records, and says it is truncated.
func TestKVFailingScanBudget(t *testing.T) {
	l, _, f := failingKV(t, 5, deliverylog.WithScanBudget(3))
	got, err := l.Failing(context.Background(), f, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, x := range got.Subscriptions {
		ids = append(ids, x.SubscriptionID)
	}
	slices.Sort(ids)
	if !got.Truncated || !slices.Equal(ids, []string{"sub002", "sub003", "sub004"}) {
		t.Fatalf("truncated %v, ranked %v; want the 3 newest, truncated", got.Truncated, ids)
	}
	whole, err := l.Failing(context.Background(), deliverylog.FailureFilter{Since: f.Since, Until: f.Until, Scope: "acquirers/1"}, 0)
	if err != nil || !whole.Truncated {
		t.Fatalf("a scoped ranking reads as many records: truncated %v, %v", whole.Truncated, err)
	}
	l2, _, f2 := failingKV(t, 3, deliverylog.WithScanBudget(3))
	if got, err := l2.Failing(context.Background(), f2, 0); err != nil || got.Truncated || len(got.Subscriptions) != 3 {
		t.Fatalf("a window within the budget: %+v, %v", got, err)
	}
}

// TestKVFailingStalledFetch: when the scan's fetches stop delivering while
// records are pending (here its consumer is paused after the first batch,
// as fetches stall while a stream is between leaders), Failing fails
// rather than ranking from the records read so far.
func TestKVFailingStalledFetch(t *testing.T) {
	l, js, f := failingKV(t, 300) // more than one batch of 256
	var once sync.Once
	deliverylog.SetAfterBatch(l, func(consumer string) {
		once.Do(func() {
			if _, err := js.PauseConsumer(context.Background(), "KV_"+deliverylog.Bucket, consumer, time.Now().Add(time.Hour)); err != nil {
				t.Error(err)
			}
		})
	})
	got, err := l.Failing(context.Background(), f, deliverylog.MaxFailingLimit)
	if err == nil {
		t.Fatalf("no error, %d of 300 subscriptions ranked", len(got.Subscriptions))
	}
	t.Log(err)
}
