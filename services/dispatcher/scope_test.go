package dispatcher

import (
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// The delivery log keeps the subscription's scope (it decides who sees the
// delivery once the subscription is deleted), next to the event's.
func TestDeliveryRecordsTheSubscriptionScope(t *testing.T) {
	h := newHarness(t, 2*time.Minute)
	h.subscribe(subscription.Record{ID: "merchant", Scope: "acquirers/1/merchants/2", EventTypes: []string{"*"}})
	in := h.start()
	h.publish("evt-scope", "ach.returned", "acquirers/1/merchants/2/terminals/3", nil)
	id := deliverylog.ID("merchant", "acquirers/1/merchants/2/terminals/3", "evt-scope")
	var d deliverylog.Delivery
	testkit.Eventually(t, 20*time.Second, func() bool {
		var err error
		d, err = in.svc.DeliveryLog().Get(h.ctx, id)
		return err == nil && d.State == deliverylog.Delivered
	}, "delivery %s to be DELIVERED", id)
	if d.SubscriptionScope != "acquirers/1/merchants/2" {
		t.Fatalf("SubscriptionScope = %q, want the subscription's scope", d.SubscriptionScope)
	}
	if d.Scope != "acquirers/1/merchants/2/terminals/3" {
		t.Fatalf("Scope = %q, want the event's", d.Scope)
	}
}
