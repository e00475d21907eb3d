package deliverylog_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// TestRecordAttemptStoresTheRecord: every write stores exactly the
// record's JSON under the key; a key whose record was deleted (a delete
// marker is its last revision) is created afresh, as kv.Create does.
func TestRecordAttemptStoresTheRecord(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, defaultConfig())
	a := deliverylog.Attempt{Number: 1, StartedAt: time.Now(), Status: 200, Excerpt: `{"ok":true}`, Trigger: deliverylog.TriggerScheduled}
	key := func(d deliverylog.Delivery) string {
		return d.SubscriptionID + "." + deliverylog.EventKey(d.Scope, d.EventID)
	}

	for _, tc := range []struct {
		name     string
		deleted  bool
		attempts int
	}{{"new key", false, 1}, {"deleted key", true, 1}, {"later attempt", false, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			id := identity("sub", tc.name)
			if tc.deleted || tc.attempts > 1 {
				if _, err := l.RecordAttempt(ctx, id, a, deliverylog.Delivered, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			if tc.deleted {
				if err := l.KV().Delete(ctx, key(id)); err != nil {
					t.Fatal(err)
				}
			}
			again := a
			again.Number = tc.attempts
			d, err := l.RecordAttempt(ctx, id, again, deliverylog.Delivered, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(d.Attempts); n != tc.attempts || d.Attempts[n-1].Number != tc.attempts {
				t.Fatalf("attempts = %+v, want %d", d.Attempts, tc.attempts)
			}
			e, err := l.KV().Get(ctx, key(id))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(d)
			if string(e.Value()) != string(want) {
				t.Fatalf("stored:\n%s\nwant:\n%s", e.Value(), want)
			}
		})
	}
}
