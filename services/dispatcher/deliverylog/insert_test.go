package deliverylog_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// TestFirstAttemptStoresTheRecord: the first attempt's write stores
// exactly the record's JSON under the key, and a key whose record was
// deleted (a delete marker is its last revision) is created afresh, as
// kv.Create does.
func TestFirstAttemptStoresTheRecord(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, defaultConfig())
	a := deliverylog.Attempt{Number: 1, StartedAt: time.Now(), Status: 200, Excerpt: `{"ok":true}`, Trigger: deliverylog.TriggerScheduled}
	key := func(d deliverylog.Delivery) string { return d.SubscriptionID + "." + deliverylog.EventKey(d.EventID) }

	for _, tc := range []struct {
		name    string
		deleted bool
	}{{"new key", false}, {"deleted key", true}} {
		t.Run(tc.name, func(t *testing.T) {
			id := identity("sub", tc.name)
			if tc.deleted {
				if _, err := l.RecordAttempt(ctx, id, a, deliverylog.Delivered, time.Time{}); err != nil {
					t.Fatal(err)
				}
				if err := l.KV().Delete(ctx, key(id)); err != nil {
					t.Fatal(err)
				}
			}
			d, err := l.RecordAttempt(ctx, id, a, deliverylog.Delivered, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Attempts) != 1 || d.Attempts[0].Number != 1 {
				t.Fatalf("attempts = %+v, want one numbered 1", d.Attempts)
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
