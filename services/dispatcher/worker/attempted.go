package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// attempted reports whether the first attempt t stands for was made
// already, so t must be acked without sending anything. The queue's
// duplicate window stops a repeated first attempt only for a while: a
// fan-out re-run after it (task.Task.Rerun) enqueues the same step-0 task
// again. Only such tasks, and first attempts JetStream redelivers, cost a
// read of the delivery log; a fresh fan-out's never do.
//
//   - No record: not attempted.
//   - DELIVERED, FAILED or DISCARDED: done; skip.
//   - PENDING or HELD with attempts, for a Rerun task: the first task's retries or
//     parked copy carry the delivery on; skip. For a redelivered task that
//     is not a Rerun, the attempt may have been recorded by a worker that
//     died before scheduling its retry: attempt again (same webhook-id), as
//     the log alone cannot tell whether a retry is waiting.
func (w *Worker) attempted(ctx context.Context, t task.Task, redelivered bool) (bool, error) {
	if t.Trigger != task.Scheduled || t.Step != 0 || !(t.Rerun || redelivered) {
		return false, nil
	}
	d, err := w.d.Log.Get(ctx, t.DeliveryID)
	if errors.Is(err, deliverylog.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up delivery %s before its first attempt: %w", t.DeliveryID, err)
	}
	open := d.State == deliverylog.Pending || d.State == deliverylog.Held // HELD: parked, not finished
	skip := !open || (t.Rerun && len(d.Attempts) > 0)
	if skip {
		w.d.Logger.InfoContext(ctx, "skipping a repeated first attempt", "delivery_id", t.DeliveryID,
			"state", d.State, "attempts", len(d.Attempts))
	}
	return skip, nil
}
