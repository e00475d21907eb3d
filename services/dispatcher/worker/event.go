package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// errEventGone: the event is no longer in EVENTS (expired after the
// stream's max age, or purged); the delivery cannot be made.
var errEventGone = errors.New("event no longer stored in EVENTS")

// errReplicaLag: a replica answered "not found" for a sequence the stream
// leader still holds. The read is tried again; it is never a discard.
var errReplicaLag = errors.New("a replica of EVENTS has not caught up")

// stored is an event read back from EVENTS.
type stored struct {
	meta        bus.Meta
	body        []byte
	traceparent string
	accepted    time.Time // the EVENTS timestamp: when ingest's publish was stored
}

// event reads t's event by sequence and checks it is the one the task
// names (a purged and reused sequence must never deliver another body).
func (w *Worker) event(ctx context.Context, t task.Task) (stored, error) {
	ev, err := w.cache.get(ctx, t.EventSeq, func(ctx context.Context) (stored, error) {
		return w.readEvent(ctx, t)
	})
	if err == nil && ev.meta.ID != t.EventID {
		return stored{}, fmt.Errorf("%w (sequence %d holds another event)", errEventGone, t.EventSeq)
	}
	return ev, err
}

// readEvent reads the event at t.EventSeq from EVENTS.
func (w *Worker) readEvent(ctx context.Context, t task.Task) (stored, error) {
	m, err := w.d.Events.GetMsg(ctx, t.EventSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return stored{}, w.notFound(ctx, t)
	}
	if err != nil {
		return stored{}, fmt.Errorf("read event %s at %d: %w", t.EventID, t.EventSeq, err)
	}
	meta, err := bus.ReadMeta(m.Header)
	if err != nil {
		return stored{}, fmt.Errorf("%w (sequence %d holds another message)", errEventGone, t.EventSeq)
	}
	return stored{meta: meta, body: m.Data, traceparent: m.Header.Get("traceparent"), accepted: m.Time}, nil
}

// notFound says what a "message not found" answer for t's event means.
// EVENTS allows direct gets, which any replica answers, and a follower
// that has not applied the sequence yet answers "not found" for an event
// the stream holds. Only the stream leader's state (stream info, which the
// leader answers) decides that the event is gone: its sequence is outside
// the stream's first..last (expired, purged, or the stream was reset) or
// was deleted. Anything else, and a failure to ask, is an error to retry.
func (w *Worker) notFound(ctx context.Context, t task.Task) error {
	info, err := w.d.Events.Info(ctx)
	if err == nil && info.State.NumDeleted > 0 && t.EventSeq >= info.State.FirstSeq && t.EventSeq <= info.State.LastSeq {
		info, err = w.d.Events.Info(ctx, jetstream.WithDeletedDetails(true))
	}
	if err != nil {
		return fmt.Errorf("read event %s at %d: not found by a replica, and the stream state is unknown: %w", t.EventID, t.EventSeq, err)
	}
	s := info.State
	if t.EventSeq < s.FirstSeq || t.EventSeq > s.LastSeq || slices.Contains(s.Deleted, t.EventSeq) {
		return fmt.Errorf("%w (sequence %d; the stream holds %d to %d)", errEventGone, t.EventSeq, s.FirstSeq, s.LastSeq)
	}
	return fmt.Errorf("read event %s at %d (the stream holds %d to %d): %w", t.EventID, t.EventSeq, s.FirstSeq, s.LastSeq, errReplicaLag)
}

// eventGone gives up a delivery whose event EVENTS no longer holds. It
// is a loss the operator must see: the delivery gets a DISCARDED record
// with the reason as its last (unsent) attempt, whether or not it had a
// record before, and a WARN line.
func (w *Worker) eventGone(ctx context.Context, rec *subscription.Record, t task.Task, gone error) error {
	subScope := rec.Scope
	d := deliverylog.Delivery{
		ID: t.DeliveryID, EventID: t.EventID, SubscriptionID: t.SubscriptionID,
		SubscriptionScope: subScope, EventSeq: t.EventSeq,
	}
	a := deliverylog.Attempt{
		Number: t.Step + 1, StartedAt: w.d.Clock.Now(), URL: rec.URL, Trigger: string(t.Trigger),
		Error: "not sent: " + gone.Error(),
	}
	if _, err := w.d.Log.RecordAttempt(ctx, d, a, deliverylog.Discarded, time.Time{}); err != nil {
		return fmt.Errorf("discard delivery %s: %w", t.DeliveryID, err)
	}
	w.d.Logger.WarnContext(ctx, "delivery discarded: its event is no longer stored", "delivery_id", t.DeliveryID,
		"subscription_id", t.SubscriptionID, "event_id", t.EventID, "event_seq", t.EventSeq, "reason", gone.Error())
	w.obs.settled(ctx, OutcomeDiscarded)
	return nil
}

// Remember caches the event at seq as the fan-out read it from EVENTS, so
// that its deliveries need not read it back (one round trip per event on
// the latency path).
func (w *Worker) Remember(seq uint64, accepted time.Time, meta bus.Meta, body []byte, traceparent string) {
	w.cache.put(seq, stored{meta: meta, body: body, traceparent: traceparent, accepted: accepted})
}
