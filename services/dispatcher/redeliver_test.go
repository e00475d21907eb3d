package dispatcher

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/ops"
	"github.com/hookwire/hookwire/services/dispatcher/streak"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// TestFailedRedeliveryNeitherCountsNorAnnounces: an operator's Redeliver
// that fails is one attempt and nothing more — even with
// HOOKWIRE_SUSPEND_AFTER=1 the subscription stays ACTIVE, its exhausted
// streak is untouched, and no hookwire.delivery.exhausted is published.
func TestFailedRedeliveryNeitherCountsNorAnnounces(t *testing.T) {
	h := newHarness(t, 2*time.Minute)
	h.cfg.SuspendAfter = 1
	h.rcv.setRespond(func(_ string, n int) int {
		if n == 1 {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	h.subscribe(subscription.Record{ID: "shop", EventTypes: []string{"*"}})
	in := h.start()
	h.publish("evt-redeliver", "ach.returned", "acquirers/1", nil)
	id := deliverylog.ID("shop", "acquirers/1", "evt-redeliver")
	var d deliverylog.Delivery
	testkit.Eventually(t, 20*time.Second, func() bool {
		var err error
		d, err = in.svc.DeliveryLog().Get(h.ctx, id)
		return err == nil && d.State == deliverylog.Delivered
	}, "delivery %s to be DELIVERED", id)

	// What DeliveryService.Redeliver does: PENDING, then a Redeliver task.
	if _, err := in.svc.DeliveryLog().SetState(h.ctx, id, deliverylog.Pending, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	rt := task.Task{DeliveryID: id, SubscriptionID: "shop", EventID: d.EventID, EventSeq: d.EventSeq, Trigger: task.Redeliver, Run: "r1"}
	if err := in.svc.Queue().Enqueue(h.ctx, rt); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() bool {
		d, err := in.svc.DeliveryLog().Get(h.ctx, id)
		return err == nil && d.State == deliverylog.Failed && len(d.Attempts) == 2
	}, "the redelivery to fail once")
	h.waitQuiet()

	if rec, _, err := h.store.Get(h.ctx, "shop"); err != nil || rec.Status != subscription.StatusActive {
		t.Fatalf("subscription %s (%v), want ACTIVE", rec.Status, err)
	}
	if n, err := h.rdb.Get(h.ctx, streak.KeyPrefix+"shop").Int64(); !errors.Is(err, redis.Nil) {
		t.Fatalf("exhausted streak = %d (%v), want none", n, err)
	}
	_, err := h.events.GetLastMsgForSubject(h.ctx, bus.EventsSubjectPrefix+ops.TypeExhausted)
	if !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Fatalf("a %s event was published (%v)", ops.TypeExhausted, err)
	}
	if n := h.rcv.count("shop"); n != 2 {
		t.Fatalf("subscriber got %d requests, want 2", n)
	}
}
