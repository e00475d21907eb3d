package worker

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/ops"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// afterAttempt keeps the subscription's streak of exhausted deliveries (a
// delivered one resets it; SuspendAfter in a row suspend the subscription)
// and announces an exhausted delivery as hookwire.delivery.exhausted —
// except for the delivery of an operational event, so that a subscriber of
// operational events that fails cannot feed itself more of them.
//
// A Redeliver attempt is an operator's one-shot action, not part of the
// subscription's own delivery record: it neither counts in the streak nor
// resets it, and announces nothing.
//
// The attempt is recorded already: failures here are logged, not returned,
// since returning would make the attempt again.
func (w *Worker) afterAttempt(ctx context.Context, rec *subscription.Record, t task.Task, ev stored, res deliver.Result, dec Decision, d deliverylog.Delivery) {
	if t.Trigger == task.Redeliver {
		return
	}
	// Built only for a failure to report: With costs allocations on every
	// attempt.
	log := func() *slog.Logger { return w.d.Logger.With("subscription_id", rec.ID, "delivery_id", d.ID) }
	switch dec.State {
	case deliverylog.Delivered:
		if err := w.d.Streaks.Succeeded(ctx, rec.ID); err != nil {
			log().Warn("reset exhausted streak", "err", err)
		}
	case deliverylog.Failed:
		last := lastFailure(res)
		if !ops.IsOperational(ev.meta.Type) {
			x := ops.Exhaustion{DeliveryID: d.ID, SubscriptionID: rec.ID, EventID: d.EventID, EventType: ev.meta.Type,
				Attempts: len(d.Attempts), LastStatus: res.Status, LastError: last}
			if e, err := ops.Exhausted(x, rec.Scope, w.d.Clock.Now()); err != nil {
				log().Error("build exhausted event", "err", err)
			} else if err := w.d.Announcer.Publish(ctx, e); err != nil {
				log().Error("publish exhausted event", "err", err)
			}
		}
		n, err := w.d.Streaks.Fail(ctx, rec.ID)
		if err != nil {
			log().Warn("count exhausted delivery", "err", err)
			return
		}
		if w.opts.SuspendAfter > 0 && n >= int64(w.opts.SuspendAfter) {
			reason := fmt.Sprintf("%d deliveries in a row failed after all their attempts (last: %s)", n, last)
			if err := w.d.Suspender.Suspend(ctx, suspension(rec, reason, d, res)); err != nil {
				log().Error("suspend subscription", "err", err)
			}
		}
	}
}

// lastFailure describes a failed attempt in a few words.
func lastFailure(res deliver.Result) string {
	if res.Err != nil {
		return res.Err.Error()
	}
	return fmt.Sprintf("HTTP %d %s", res.Status, http.StatusText(res.Status))
}
