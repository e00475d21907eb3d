package dispatcher

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/retry"
)

// TestRetriesFollowTheSchedule drives the real default schedule (at once,
// then 5m, 15m, 45m after the previous failure) on the fake clock: each
// time a retry is waiting in Redis, the clock jumps to its due time.
func TestRetriesFollowTheSchedule(t *testing.T) {
	tests := []struct {
		name      string
		failFirst int // the first failFirst attempts answer 500
		attempts  int
		state     deliverylog.State
	}{
		{"fails three times then succeeds", 3, 4, deliverylog.Delivered},
		{"always fails", 1 << 30, 4, deliverylog.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 2*time.Minute)
			h.rcv.setRespond(func(_ string, n int) int {
				if n <= tt.failFirst {
					return http.StatusInternalServerError
				}
				return http.StatusOK
			})
			h.subscribe(subscription.Record{ID: "flaky", EventTypes: []string{"*"}})
			in := h.start()
			h.publish("evt-retry", "transaction.sale.success", "acquirers/1", nil)
			for n := 1; n < tt.attempts; n++ {
				waitCount(t, h, "flaky", n)
				due := h.waitRetry()
				h.clock.Set(due)
			}
			waitCount(t, h, "flaky", tt.attempts)
			id := deliverylog.ID("flaky", "acquirers/1", "evt-retry")
			var d deliverylog.Delivery
			testkit.Eventually(t, 10*time.Second, func() bool {
				var err error
				d, err = in.svc.DeliveryLog().Get(h.ctx, id)
				return err == nil && d.State == tt.state && len(d.Attempts) == tt.attempts
			}, "delivery %s to end %s after %d attempts (got %+v)", id, tt.state, tt.attempts, &d)
			h.waitQuiet()
			if n, _ := h.rdb.ZCard(h.ctx, retry.Key).Result(); n != 0 {
				t.Fatalf("%d retries still waiting", n)
			}

			reqs := h.rcv.requests("flaky")
			if len(reqs) != tt.attempts {
				t.Fatalf("receiver got %d attempts, want %d", len(reqs), tt.attempts)
			}
			spacing := []time.Duration{5 * time.Minute, 15 * time.Minute, 45 * time.Minute}
			for i := 1; i < len(reqs); i++ {
				if got := reqs[i].at.Sub(reqs[i-1].at); got != spacing[i-1] {
					t.Errorf("attempt %d came %s after the previous, want %s", i+1, got, spacing[i-1])
				}
				if got := d.Attempts[i].StartedAt.Sub(d.Attempts[i-1].StartedAt); got != spacing[i-1] {
					t.Errorf("logged attempt %d started %s after the previous, want %s", i+1, got, spacing[i-1])
				}
				if reqs[i].header.Get("webhook-id") != id {
					t.Errorf("attempt %d webhook-id = %q, want %q", i+1, reqs[i].header.Get("webhook-id"), id)
				}
			}
			for i, a := range d.Attempts {
				wantStatus := http.StatusInternalServerError
				if i >= tt.failFirst {
					wantStatus = http.StatusOK
				}
				if a.Status != wantStatus || a.Trigger != deliverylog.TriggerScheduled {
					t.Errorf("logged attempt %d = status %d trigger %q, want %d scheduled", i+1, a.Status, a.Trigger, wantStatus)
				}
			}
		})
	}
}

// waitRetry waits until exactly one retry is scheduled and returns its due time.
func (h *harness) waitRetry() time.Time {
	h.t.Helper()
	var due time.Time
	testkit.Eventually(h.t, 10*time.Second, func() bool {
		zs, err := h.rdb.ZRangeWithScores(h.ctx, retry.Key, 0, -1).Result()
		if err != nil || len(zs) != 1 {
			return false
		}
		due = time.UnixMilli(int64(zs[0].Score)).UTC()
		return true
	}, "one retry to be scheduled")
	return due
}
