package dispatcher

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/park"
	"github.com/hookwire/hookwire/services/dispatcher/worker"
)

// TestRestingSubscriptionTasksAreParkedAndDeliveredAfterResume: a task
// that comes due while its subscription is paused (by a user) or suspended
// (410 Gone) waits in Redis and is delivered once it is ACTIVE again.
func TestRestingSubscriptionTasksAreParkedAndDeliveredAfterResume(t *testing.T) {
	tests := []struct {
		name  string
		first int              // status of the first attempt
		rest  func(h *harness) // what makes the subscription rest
		check func(h *harness) // while it rests
	}{
		{
			name:  "paused",
			first: http.StatusInternalServerError,
			rest: func(h *harness) {
				h.setStatus("resting", subscription.StatusPaused)
				h.waitIndexed("resting", subscription.StatusPaused)
				h.clock.Set(h.waitRetry()) // the retry comes due while paused
			},
		},
		{
			name:  "suspended by 410 Gone",
			first: http.StatusGone,
			check: func(h *harness) {
				rec, _, err := h.store.Get(h.ctx, "resting")
				if err != nil || rec.Status != subscription.StatusSuspended || rec.StatusReason != worker.GoneReason {
					h.t.Fatalf("subscription = %s %q (%v), want SUSPENDED %q", rec.Status, rec.StatusReason, err, worker.GoneReason)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 2*time.Minute)
			h.rcv.setRespond(func(_ string, n int) int {
				if n == 1 {
					return tt.first
				}
				return http.StatusOK
			})
			h.subscribe(subscription.Record{ID: "resting", EventTypes: []string{"*"}})
			in := h.start()
			h.publish("evt-park", "ach.returned", "acquirers/1", nil)
			waitCount(t, h, "resting", 1)
			if tt.rest != nil {
				tt.rest(h)
			}
			testkit.Eventually(t, 10*time.Second, func() bool {
				n, err := h.rdb.ZCard(h.ctx, park.KeyPrefix+"resting").Result()
				return err == nil && n == 1
			}, "the task to be parked")
			h.waitQuiet()
			if tt.check != nil {
				tt.check(h)
			}
			if n := h.rcv.count("resting"); n != 1 {
				t.Fatalf("resting subscription received %d requests, want 1", n)
			}

			h.setStatus("resting", subscription.StatusActive)
			waitCount(t, h, "resting", 2)
			id := deliverylog.ID("resting", "acquirers/1", "evt-park")
			testkit.Eventually(t, 10*time.Second, func() bool {
				d, err := in.svc.DeliveryLog().Get(h.ctx, id)
				return err == nil && d.State == deliverylog.Delivered
			}, "delivery %s to be DELIVERED after resume", id)
			h.waitQuiet()
			if n, _ := h.rdb.Exists(h.ctx, park.KeyPrefix+"resting").Result(); n != 0 {
				t.Fatal("parked set still exists after release")
			}
			if n := h.rcv.count("resting"); n != 2 {
				t.Fatalf("subscription received %d requests, want 2", n)
			}
		})
	}
}

// waitIndexed waits until the running dispatcher's index holds id at status st.
func (h *harness) waitIndexed(id string, st subscription.Status) {
	h.t.Helper()
	testkit.Eventually(h.t, 10*time.Second, func() bool {
		rec, ok := h.last.svc.Index().Get(id)
		return ok && rec.Status == st
	}, "subscription %s to be indexed as %s", id, st)
}
