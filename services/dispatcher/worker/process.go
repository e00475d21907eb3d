package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// process runs one task to its verdict (Done or SetAside); an error means
// "try again". redelivered: JetStream delivered t's message before (a
// worker died or failed while handling it).
func (w *Worker) process(ctx context.Context, t task.Task, redelivered bool, sent func()) (task.Verdict, error) {
	ctx = t.TraceContext(ctx)
	rec, ok := w.d.Index.Get(t.SubscriptionID)
	if !ok {
		return task.Done, w.discard(ctx, t, "subscription deleted")
	}
	if rec.Status != subscription.StatusActive {
		if err := w.hold(ctx, rec, t, holdReason(rec)); err != nil {
			return task.Done, err
		}
		return task.SetAside, w.park(ctx, t.SetAside())
	}
	if skip, err := w.attempted(ctx, t, redelivered); err != nil || skip {
		if skip {
			w.obs.settled(ctx, OutcomeSkipped)
		}
		return task.Done, err
	}
	ev, err := w.event(ctx, t)
	if errors.Is(err, errEventGone) {
		return task.Done, w.eventGone(ctx, rec, t, err)
	}
	if err != nil {
		return task.Done, err
	}
	if t.TP == "" && ev.traceparent != "" { // a task queued without trace context: join the event's trace
		t.TP = ev.traceparent
		ctx = t.TraceContext(ctx)
	}
	start := w.d.Clock.Now()
	actx, span := w.obs.start(ctx, t, ev)
	res := w.send(actx, rec, t, ev, start)
	dec := Decide(res, t, rec.Delays(), w.d.Clock.Now(), w.jitter)
	w.obs.end(span, t, ev, res, dec)
	sent()
	if ctx.Err() != nil {
		return task.Done, ctx.Err() // stopped past the shutdown grace: the attempt did not really happen
	}
	d, err := w.record(actx, rec, t, ev, res, start, dec)
	if err != nil {
		return task.Done, err
	}
	w.obs.attempted(actx, dec, res.Latency)
	if dec.State == deliverylog.Delivered {
		w.obs.delivered(actx, t, ev, w.d.Clock.Now())
	}
	ctx = actx // later log lines and operational events carry the attempt's span
	if dec.State == deliverylog.Failed {
		w.d.Logger.WarnContext(ctx, "delivery failed", "subscription_id", rec.ID, "delivery_id", d.ID, "event_id", t.EventID,
			"trigger", t.Trigger, "attempts", len(d.Attempts), "last_status", res.Status, "last_error", lastFailure(res))
	}
	w.afterAttempt(ctx, rec, t, ev, res, dec, d)
	switch dec.Action {
	case Retry:
		return task.Done, w.d.Retries.Schedule(ctx, dec.Next, dec.At)
	case Park:
		if err := w.d.Suspender.Suspend(ctx, suspension(rec, dec.Reason, d, res)); err != nil {
			return task.Done, err
		}
		t = t.SetAside()
		t.Rerun = false // attempted on purpose: after Resume it runs again
		if err := w.hold(ctx, rec, t, deliverylog.HoldSuspended); err != nil {
			w.d.Logger.WarnContext(ctx, "delivery parked but not marked HELD", "delivery_id", t.DeliveryID, "err", err) // the attempt is recorded: do not make it again
		}
		return task.SetAside, w.park(ctx, t)
	}
	return task.Done, nil
}

// suspension describes the suspension of rec for reason, decided by the
// attempt res of delivery d.
func suspension(rec *subscription.Record, reason string, d deliverylog.Delivery, res deliver.Result) Suspension {
	return Suspension{SubscriptionID: rec.ID, Reason: reason, DeliveryID: d.ID, Attempts: len(d.Attempts),
		LastStatus: res.Status, LastError: lastFailure(res)}
}

// send builds the request from the subscription and the stored event and
// makes the attempt. A subscription whose secrets cannot be opened (a
// master key missing from the configuration, or a sealed value moved from
// another record or field) is not sent to: the attempt gets a Retryable
// result, since the problem is ours and the schedule gives an operator time
// to fix the keys, and an error is logged naming the subscription and the
// field, never a value.
func (w *Worker) send(ctx context.Context, rec *subscription.Record, t task.Task, ev stored, now time.Time) deliver.Result {
	req := deliver.Request{
		URL: rec.URL, WebhookID: t.DeliveryID, Timestamp: now, Body: ev.body,
		BasicUser: rec.BasicUser, Timeout: rec.Timeout,
	}
	if req.Timeout <= 0 {
		req.Timeout = w.opts.Timeout
	}
	// The subscriber sees the attempt's own span as parent (always W3C,
	// whatever propagator the process installed).
	req.Header = http.Header{}
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	sec, err := rec.OpenSecrets(w.d.Box, now)
	if err != nil {
		w.d.Logger.ErrorContext(ctx, "not delivering: a sealed secret of the subscription does not open",
			"subscription_id", rec.ID, "delivery_id", t.DeliveryID, "error", err)
		return deliver.Result{Outcome: deliver.Retryable, Err: err}
	}
	req.Secrets, req.BasicPassword, req.EncryptionKey = sec.Signing, sec.BasicPassword, sec.EncryptionKey
	return w.d.Sender.Send(ctx, req)
}

// record appends the attempt to the delivery log with the decided state.
func (w *Worker) record(ctx context.Context, rec *subscription.Record, t task.Task, ev stored, res deliver.Result, start time.Time, dec Decision) (deliverylog.Delivery, error) {
	a := deliverylog.Attempt{
		Number: t.Step + 1, StartedAt: start, Status: res.Status, Latency: res.Latency,
		Excerpt: res.Excerpt, URL: rec.URL, Trigger: string(t.Trigger),
	}
	if t.Trigger == task.Redeliver {
		a.Number = 2 // a hint only: the record exists already
	}
	if res.Err != nil {
		a.Error = res.Err.Error()
	}
	subScope := rec.Scope // who sees the delivery once the subscription is deleted
	d := deliverylog.Delivery{
		ID: t.DeliveryID, EventID: t.EventID, EventType: ev.meta.Type, SubscriptionID: t.SubscriptionID,
		Scope: ev.meta.Scope, SubscriptionScope: subScope, EventSeq: t.EventSeq,
	}
	var next time.Time
	if dec.Action == Retry {
		next = dec.At
	}
	d, err := w.d.Log.RecordAttempt(ctx, d, a, dec.State, next)
	if err != nil {
		return d, fmt.Errorf("record attempt of %s: %w", t.DeliveryID, err)
	}
	if w.d.Logger.Enabled(ctx, slog.LevelDebug) { // the arguments alone cost allocations
		w.d.Logger.DebugContext(ctx, "delivery attempt", "delivery_id", t.DeliveryID, "step", t.Step, "trigger", t.Trigger,
			"outcome", res.Outcome.String(), "status", res.Status, "state", dec.State)
	}
	return d, nil
}

// park sets t aside for its resting subscription. If the subscription was
// resumed or deleted meanwhile, the release it triggered may have run
// before the task arrived: wake it again.
func (w *Worker) park(ctx context.Context, t task.Task) error {
	if err := w.d.Parking.Park(ctx, t); err != nil {
		return err
	}
	if rec, ok := w.d.Index.Get(t.SubscriptionID); !ok || rec.Status == subscription.StatusActive {
		w.d.Wake(t.SubscriptionID)
	}
	return nil
}

// discard marks the delivery DISCARDED (if it has a record) and drops t.
func (w *Worker) discard(ctx context.Context, t task.Task, why string) error {
	_, err := w.d.Log.SetState(ctx, t.DeliveryID, deliverylog.Discarded, time.Time{})
	if err != nil && !errors.Is(err, deliverylog.ErrNotFound) {
		return fmt.Errorf("discard delivery %s: %w", t.DeliveryID, err)
	}
	w.d.Logger.InfoContext(ctx, "delivery discarded", "delivery_id", t.DeliveryID, "reason", why)
	w.obs.settled(ctx, OutcomeDiscarded)
	return nil
}
