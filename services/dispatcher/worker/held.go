package worker

import (
	"context"
	"fmt"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// hold records t's delivery HELD, with why its subscription rests, before
// the task is parked: listings show what waits, GetDelivery says why. The
// event's type and scope are filled in when the event can be read; a
// delivery already finished is left as it is (the log decides).
func (w *Worker) hold(ctx context.Context, rec *subscription.Record, t task.Task, reason deliverylog.HoldReason) error {
	subScope := rec.Scope
	d := deliverylog.Delivery{ID: t.DeliveryID, EventID: t.EventID, SubscriptionID: t.SubscriptionID,
		SubscriptionScope: subScope, EventSeq: t.EventSeq}
	if ev, err := w.event(ctx, t); err == nil {
		d.EventType, d.Scope = ev.meta.Type, ev.meta.Scope
	}
	if _, err := w.d.Log.Hold(ctx, d, reason); err != nil {
		return fmt.Errorf("hold delivery %s: %w", t.DeliveryID, err)
	}
	return nil
}

// holdReason is why rec rests: PAUSED by a user, or SUSPENDED by the system.
func holdReason(rec *subscription.Record) deliverylog.HoldReason {
	if rec.Status == subscription.StatusSuspended {
		return deliverylog.HoldSuspended
	}
	return deliverylog.HoldPaused
}
