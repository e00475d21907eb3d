package dispatcher

import (
	"net/netip"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// TestDeliveryGuardConfig: HOOKWIRE_ALLOW_CIDRS and HOOKWIRE_HTTPS_ONLY
// reach the delivery client. A loopback receiver not on the allow-list, or
// an http:// one in https-only mode, is refused at the first attempt
// (FAILED, nothing sent); on the allow-list it is delivered.
func TestDeliveryGuardConfig(t *testing.T) {
	tests := []struct {
		name      string
		allow     []netip.Prefix
		httpsOnly bool
		state     deliverylog.State
	}{
		{"loopback allowed", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, false, deliverylog.Delivered},
		{"loopback not allowed", nil, false, deliverylog.Failed},
		{"https only", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, true, deliverylog.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 2*time.Minute)
			h.cfg.AllowCIDRs, h.cfg.HTTPSOnly = tt.allow, tt.httpsOnly
			h.subscribe(subscription.Record{ID: "guarded", EventTypes: []string{"*"}})
			in := h.start()
			h.publish("evt-guard", "ach.returned", "acquirers/1", nil)
			id := deliverylog.ID("guarded", "acquirers/1", "evt-guard")
			var d deliverylog.Delivery
			testkit.Eventually(t, 10*time.Second, func() bool {
				var err error
				d, err = in.svc.DeliveryLog().Get(h.ctx, id)
				return err == nil && d.State == tt.state
			}, "delivery %s to be %s", id, tt.state)
			want := 0
			if tt.state == deliverylog.Delivered {
				want = 1
			}
			if n := h.rcv.count("guarded"); n != want || len(d.Attempts) != 1 {
				t.Fatalf("receiver got %d requests and the log %d attempts, want %d and 1", n, len(d.Attempts), want)
			}
		})
	}
}
