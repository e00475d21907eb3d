package dispatcher

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// TestParkedDeliveriesAreHeld: a delivery whose task is parked because its
// subscription rests is HELD with the reason (paused by a user before the
// first attempt; suspended by a 410 after it), listed as HELD by
// subscription, by event and by state; the attempt after the release
// replaces the hold.
func TestParkedDeliveriesAreHeld(t *testing.T) {
	for _, tt := range []struct {
		name     string
		first    int
		pause    bool
		reason   deliverylog.HoldReason
		attempts int // while held
	}{
		{name: "paused", first: http.StatusOK, pause: true, reason: deliverylog.HoldPaused, attempts: 0},
		{name: "suspended by 410 Gone", first: http.StatusGone, reason: deliverylog.HoldSuspended, attempts: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 2*time.Minute)
			h.rcv.setRespond(func(_ string, n int) int {
				if n == 1 {
					return tt.first
				}
				return http.StatusOK
			})
			h.subscribe(subscription.Record{ID: "resting", Scope: "acquirers/1", EventTypes: []string{"*"}})
			in := h.start()
			if tt.pause {
				h.setStatus("resting", subscription.StatusPaused)
				h.waitIndexed("resting", subscription.StatusPaused)
			}
			h.publish("evt-held", "ach.returned", "acquirers/1", nil)
			id := deliverylog.ID("resting", "acquirers/1", "evt-held")
			log := in.svc.DeliveryLog()
			var d deliverylog.Delivery
			testkit.Eventually(t, 20*time.Second, func() bool {
				var err error
				d, err = log.Get(h.ctx, id)
				return err == nil && d.State == deliverylog.Held
			}, "delivery %s to be HELD", id)
			if d.HoldReason != tt.reason || len(d.Attempts) != tt.attempts || d.EventType != "ach.returned" || d.Scope != "acquirers/1" {
				t.Fatalf("held delivery %+v, want reason %s with %d attempts and the event's type and scope", d, tt.reason, tt.attempts)
			}
			for _, f := range []deliverylog.Filter{
				{SubscriptionID: "resting", State: deliverylog.Held},
				{EventID: "evt-held", State: deliverylog.Held},
				{State: deliverylog.Held, Scope: "acquirers/1"},
			} {
				ds, _, err := log.List(h.ctx, f, 10, "")
				if err != nil || len(ds) != 1 || ds[0].ID != id {
					t.Fatalf("List(%+v) = %d deliveries, %v; want the held one", f, len(ds), err)
				}
			}
			h.setStatus("resting", subscription.StatusActive)
			testkit.Eventually(t, 20*time.Second, func() bool {
				d, err := log.Get(h.ctx, id)
				return err == nil && d.State == deliverylog.Delivered && d.HoldReason == "" && len(d.Attempts) == tt.attempts+1
			}, "delivery %s to be DELIVERED after the release", id)
		})
	}
}
