package dispatcher

import (
	"fmt"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// TestRateLimitPacesDeliveries: a subscription limited to N/s (GCRA in
// the real redis-server) receives its deliveries no faster than N/s beyond
// its burst, each delivered at the first attempt (waiting is no attempt),
// while an unlimited subscription of the same events gets all of them
// before the limited one is through.
func TestRateLimitPacesDeliveries(t *testing.T) {
	tests := []struct {
		perSecond float64
		burst     int
		events    int
	}{
		{perSecond: 20, burst: 2, events: 40},
		{perSecond: 100, burst: 5, events: 200},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%g/s", tt.perSecond), func(t *testing.T) {
			h := newHarness(t, 2*time.Minute)
			// Generous timeouts: a slow attempt on a loaded machine must not
			// become a retry, which would be a second attempt.
			h.cfg.AckWait, h.cfg.DeliveryTimeout = 30*time.Second, 10*time.Second
			h.subscribe(subscription.Record{ID: "limited", EventTypes: []string{"*"},
				RateLimit: &subscription.RateLimit{PerSecond: tt.perSecond, Burst: tt.burst}})
			h.subscribe(subscription.Record{ID: "free", EventTypes: []string{"*"}})
			in := h.start()
			for i := range tt.events {
				h.publish(fmt.Sprintf("evt-%d", i), "ach.returned", "acquirers/1", nil)
			}
			waitCount(t, h, "free", tt.events)
			if n := h.rcv.count("limited"); n >= tt.events {
				t.Fatalf("the limited subscription had all %d deliveries when the free one was through", n)
			}
			waitCount(t, h, "limited", tt.events)
			h.waitQuiet()

			reqs := h.rcv.requests("limited")
			if len(reqs) != tt.events {
				t.Fatalf("limited subscription received %d requests, want %d (no duplicates)", len(reqs), tt.events)
			}
			// GCRA: after the burst, one request per 1/rate. Arrival jitter
			// gets 10 % and one extra request of slack.
			elapsed := reqs[len(reqs)-1].wall.Sub(reqs[0].wall)
			minimum := time.Duration(float64(tt.events-tt.burst-1) / tt.perSecond / 1.1 * float64(time.Second))
			if elapsed < minimum {
				t.Fatalf("%d deliveries took %s, a %g/s limit with burst %d needs at least %s", tt.events, elapsed, tt.perSecond, tt.burst, minimum)
			}
			rate := float64(tt.events-tt.burst) / elapsed.Seconds()
			t.Logf("rate limit %g/s (burst %d): %d deliveries in %s = %.1f/s after the burst (%.0f%% of the limit)",
				tt.perSecond, tt.burst, tt.events, elapsed.Round(time.Millisecond), rate, 100*rate/tt.perSecond)

			for i := range tt.events {
				id := deliverylog.ID("limited", "acquirers/1", fmt.Sprintf("evt-%d", i))
				testkit.Eventually(t, 5*time.Second, func() bool {
					d, err := in.svc.DeliveryLog().Get(h.ctx, id)
					return err == nil && d.State == deliverylog.Delivered && len(d.Attempts) == 1
				}, "delivery %s to be DELIVERED at its one attempt", id)
			}
		})
	}
}
