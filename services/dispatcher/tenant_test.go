package dispatcher

import (
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// TestTenantsShareEventIDs is the attack of issue 10: tenant A's event
// order-0fdd5b at acquirers/10 and tenant B's own order-0fdd5b at
// acquirers/100 are both stored and both delivered, each to its own
// subscriber, inside the broker's duplicate window and after it.
func TestTenantsShareEventIDs(t *testing.T) {
	const window = 500 * time.Millisecond
	h := newHarness(t, window)
	h.subscribe(subscription.Record{ID: "tenant10", Scope: "acquirers/10", EventTypes: []string{"*"}})
	h.subscribe(subscription.Record{ID: "tenant100", Scope: "acquirers/100", EventTypes: []string{"*"}})
	in := h.start()

	a := h.publish("order-0fdd5b", "ach.returned", "acquirers/10", nil)
	b := h.publish("order-0fdd5b", "ach.returned", "acquirers/100", nil) // inside the window
	if a.Duplicate || b.Duplicate {
		t.Fatalf("inside the window: acks %+v, %+v; want both stored", a, b)
	}
	h.publish("order-1a2b3c", "ach.returned", "acquirers/10", nil)
	end := time.Now().Add(window + 100*time.Millisecond)
	testkit.Eventually(t, 5*time.Second, func() bool { return time.Now().After(end) }, "the window passes")
	if c := h.publish("order-1a2b3c", "ach.returned", "acquirers/100", nil); c.Duplicate {
		t.Fatalf("after the window: ack %+v; want stored", c)
	}

	for _, d := range []struct{ sub, scope, event string }{
		{"tenant10", "acquirers/10", "order-0fdd5b"},
		{"tenant100", "acquirers/100", "order-0fdd5b"},
		{"tenant10", "acquirers/10", "order-1a2b3c"},
		{"tenant100", "acquirers/100", "order-1a2b3c"},
	} {
		id := deliverylog.ID(d.sub, d.scope, d.event)
		testkit.Eventually(t, 20*time.Second, func() bool {
			got, err := in.svc.DeliveryLog().Get(h.ctx, id)
			return err == nil && got.State == deliverylog.Delivered && got.Scope == d.scope
		}, "%s at %s delivered to %s", d.event, d.scope, d.sub)
	}
	for _, wrong := range []string{deliverylog.ID("tenant10", "acquirers/100", "order-0fdd5b"), deliverylog.ID("tenant100", "acquirers/10", "order-0fdd5b")} {
		if _, err := in.svc.DeliveryLog().Get(h.ctx, wrong); err == nil {
			t.Fatalf("delivery %s exists: a tenant got the other's event", wrong)
		}
	}
}
