package deliverylog_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

func openLog(t *testing.T, cfg deliverylog.Config) *deliverylog.Log {
	t.Helper()
	_, js := testkit.StartNATS(t).Connect(t)
	l, err := deliverylog.Open(context.Background(), js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func defaultConfig() deliverylog.Config {
	return deliverylog.Config{Retention: deliverylog.DefaultRetention, Replicas: 1}
}

func identity(sub, event string) deliverylog.Delivery {
	return deliverylog.Delivery{SubscriptionID: sub, EventID: event, EventType: "transaction.sale.success",
		Scope: "acquirers/100", EventSeq: 7}
}

func TestRecordAttemptCreatesThenAppends(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, defaultConfig())
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	next := start.Add(5 * time.Minute)

	d, err := l.RecordAttempt(ctx, identity("sub1", "evt-1"),
		deliverylog.Attempt{Number: 1, StartedAt: start, Status: 500, Latency: 20 * time.Millisecond,
			Error: "HTTP 500", Excerpt: strings.Repeat("x", 10_000) + "\xff", URL: "https://example.test/hook",
			Trigger: deliverylog.TriggerScheduled},
		deliverylog.Pending, next)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != deliverylog.ID("sub1", "acquirers/100", "evt-1") || d.State != deliverylog.Pending || !d.NextAttemptAt.Equal(next) {
		t.Fatalf("after first attempt: %+v", d)
	}
	if got := len(d.Attempts[0].Excerpt); got != deliverylog.MaxExcerpt {
		t.Errorf("excerpt kept %d bytes, want %d", got, deliverylog.MaxExcerpt)
	}

	// A later attempt (Number 2: Get + Update path) and a retried first
	// attempt after a crash (Number 1: Create fails, then Update) both append.
	for _, n := range []int{2, 1} {
		if _, err := l.RecordAttempt(ctx, identity("sub1", "evt-1"),
			deliverylog.Attempt{Number: n, StartedAt: next, Status: 200, Trigger: deliverylog.TriggerScheduled},
			deliverylog.Delivered, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.Get(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != deliverylog.Delivered || !got.NextAttemptAt.IsZero() || len(got.Attempts) != 3 {
		t.Fatalf("after three attempts: state %s next %v attempts %d", got.State, got.NextAttemptAt, len(got.Attempts))
	}
	for i, a := range got.Attempts {
		if a.Number != i+1 {
			t.Errorf("attempt %d numbered %d", i, a.Number)
		}
	}
	if got.EventType != "transaction.sale.success" || got.Scope != "acquirers/100" || got.EventSeq != 7 || got.CreatedAt.IsZero() {
		t.Errorf("identity lost: %+v", got)
	}
	pb := got.Proto()
	if pb.GetId() != d.ID || len(pb.GetAttempts()) != 3 || pb.GetAttempts()[2].GetHttpStatus() != 200 {
		t.Errorf("proto: %v", pb)
	}
}

func TestGetAndSetState(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, defaultConfig())
	for _, tc := range []struct {
		name string
		id   string
		want error
	}{
		{"unknown", deliverylog.ID("nosub", "acquirers/100", "noevent"), deliverylog.ErrNotFound},
		{"malformed", "not-an-id", deliverylog.ErrBadID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := l.Get(ctx, tc.id); !errors.Is(err, tc.want) {
				t.Errorf("Get: %v, want %v", err, tc.want)
			}
			if _, err := l.SetState(ctx, tc.id, deliverylog.Discarded, time.Time{}); !errors.Is(err, tc.want) {
				t.Errorf("SetState: %v, want %v", err, tc.want)
			}
		})
	}
	d, err := l.RecordAttempt(ctx, identity("sub1", "e"), deliverylog.Attempt{Status: 503}, deliverylog.Pending, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	d, err = l.SetState(ctx, d.ID, deliverylog.Discarded, time.Time{})
	if err != nil || d.State != deliverylog.Discarded || len(d.Attempts) != 1 {
		t.Fatalf("SetState: %+v, %v", d, err)
	}
	if _, err := l.SetState(ctx, d.ID, "BOGUS", time.Time{}); err == nil {
		t.Error("SetState accepted an invalid state")
	}
}

func TestConcurrentRecordAttemptLosesNothing(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, defaultConfig())
	const writers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				a := deliverylog.Attempt{Number: i + 1, Status: 500, Error: fmt.Sprintf("w%d-%d", w, i)}
				if _, err := l.RecordAttempt(ctx, identity("sub1", "shared"), a, deliverylog.Pending, time.Time{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	d, err := l.Get(ctx, deliverylog.ID("sub1", "acquirers/100", "shared"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Attempts) != writers*each {
		t.Fatalf("%d attempts stored, want %d", len(d.Attempts), writers*each)
	}
	seen := map[string]bool{}
	for i, a := range d.Attempts {
		if a.Number != i+1 || seen[a.Error] {
			t.Errorf("attempt %d: number %d, error %q (dup %v)", i, a.Number, a.Error, seen[a.Error])
		}
		seen[a.Error] = true
	}
}

func TestAttemptsCapped(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, defaultConfig())
	total := deliverylog.MaxAttempts + 5
	for i := range total {
		if _, err := l.RecordAttempt(ctx, identity("sub1", "many"), deliverylog.Attempt{Number: i + 1}, deliverylog.Pending, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := l.Get(ctx, deliverylog.ID("sub1", "acquirers/100", "many"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Attempts) != deliverylog.MaxAttempts || d.Attempts[0].Number != 6 || d.Attempts[len(d.Attempts)-1].Number != total {
		t.Fatalf("kept %d attempts, numbers %d..%d", len(d.Attempts), d.Attempts[0].Number, d.Attempts[len(d.Attempts)-1].Number)
	}
}

func TestRetentionApplied(t *testing.T) {
	ctx := context.Background()
	cfg := deliverylog.Config{Retention: 36 * time.Hour, Replicas: 1}
	l := openLog(t, cfg)
	st, err := l.KV().Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.TTL() != 36*time.Hour || st.History() != 1 || st.Bucket() != deliverylog.Bucket {
		t.Fatalf("bucket status: ttl %s history %d bucket %s", st.TTL(), st.History(), st.Bucket())
	}
}

func TestConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    deliverylog.Config
		wantErr string
	}{
		{"defaults", nil, deliverylog.Config{Retention: 30 * 24 * time.Hour, Replicas: 1}, ""},
		{"set", map[string]string{"HOOKWIRE_DELIVERY_RETENTION": "168h", "HOOKWIRE_DELIVERY_REPLICAS": "3"},
			deliverylog.Config{Retention: 168 * time.Hour, Replicas: 3}, ""},
		{"bad duration", map[string]string{"HOOKWIRE_DELIVERY_RETENTION": "a month"}, deliverylog.Config{}, "HOOKWIRE_DELIVERY_RETENTION"},
		{"too short", map[string]string{"HOOKWIRE_DELIVERY_RETENTION": "1s"}, deliverylog.Config{}, "at least 1m"},
		{"bad replicas", map[string]string{"HOOKWIRE_DELIVERY_REPLICAS": "7"}, deliverylog.Config{}, "replicas"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := deliverylog.ConfigFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
