package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// hold records t's delivery HELD, with why its subscription rests, before
// the task is parked: listings show what waits, GetDelivery says why. The
// event's type, scope and acceptance (the delivery's CreatedAt, as its
// attempts write it) come from the event; one no longer stored leaves them
// empty (its delivery's attempts will not know them either), one that
// cannot be read now is an error to try again. A delivery already
// finished is left as it is (the log decides).
func (w *Worker) hold(ctx context.Context, rec *subscription.Record, t task.Task, reason deliverylog.HoldReason) error {
	subScope := rec.Scope
	d := deliverylog.Delivery{ID: t.DeliveryID, EventID: t.EventID, SubscriptionID: t.SubscriptionID,
		SubscriptionScope: subScope, EventSeq: t.EventSeq}
	ev, err := w.event(ctx, t)
	switch {
	case err == nil:
		d.EventType, d.Scope, d.CreatedAt = ev.meta.Type, ev.meta.Scope, ev.accepted
	case !errors.Is(err, errEventGone):
		return fmt.Errorf("hold delivery %s: %w", t.DeliveryID, err)
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
