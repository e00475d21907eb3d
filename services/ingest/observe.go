package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/telemetry"
)

const instrumentation = "github.com/hookwire/hookwire/services/ingest"

// Outcomes of one published event (the "outcome" metric attribute).
const (
	outcomeAccepted  = "accepted"  // stored in EVENTS
	outcomeDuplicate = "duplicate" // stored before (same scope, event_id and content) within the dedup horizon
	outcomeRejected  = "rejected"  // invalid, unknown type, outside the caller's scope, or a conflicting repeat
	outcomeFailed    = "failed"    // valid but not stored (JetStream or Redis unavailable, timeout)
)

// observer traces and counts published events, over the global OTel
// providers (telemetry.Setup installs them).
type observer struct {
	tracer  trace.Tracer
	events  metric.Int64Counter
	latency metric.Float64Histogram
	// notStored logs valid events that could not be stored once per cause
	// and interval (an outage fails every event: one line, not one per
	// event), and a recovered line at the next stored event.
	notStored *telemetry.Throttle
}

// Why a valid event was not stored: the causes notStored logs.
const (
	causeNoRecord = "event not stored: event record unavailable (Redis)"
	causeNoAck    = "event not stored: no acknowledgement from JetStream"
)

// failed logs, through the throttle, a valid event that was not stored.
// Only a failed outcome (outcomeOf) comes here: errNoRecord or errNoAck.
func (o *observer) failed(ctx context.Context, eventID, scope string, err error) {
	cause := causeNoAck
	if errors.Is(err, errNoRecord) {
		cause = causeNoRecord
	}
	o.notStored.Fail(ctx, cause, err, "event_id", eventID, "scope", scope)
}

func newObserver(log *slog.Logger) (*observer, error) {
	meter := otel.Meter(instrumentation)
	events, err := meter.Int64Counter("hookwire.events.published",
		metric.WithDescription("Events received by ingest, by outcome: accepted, duplicate, rejected, failed."),
		metric.WithUnit("{event}"))
	if err != nil {
		return nil, fmt.Errorf("ingest metrics: %w", err)
	}
	latency, err := meter.Float64Histogram("hookwire.ingest.publish.duration",
		metric.WithDescription("Time from receiving an event to its outcome (for stored events: the JetStream ack), by outcome."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(telemetry.LatencyBuckets...))
	if err != nil {
		return nil, fmt.Errorf("ingest metrics: %w", err)
	}
	// Every outcome's series exists from the start (at 0), so a rate or
	// an alert on it has a value before the first such event.
	for _, v := range []string{outcomeAccepted, outcomeDuplicate, outcomeRejected, outcomeFailed} {
		events.Add(context.Background(), 0, metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", v))))
	}
	return &observer{tracer: otel.Tracer(instrumentation), events: events, latency: latency,
		notStored: telemetry.NewThrottle(log, telemetry.ThrottleInterval)}, nil
}

// publishing is one event on its way to JetStream.
type publishing struct {
	ctx   context.Context // carries the "ingest.publish" span
	span  trace.Span
	start time.Time
	o     *observer
}

// start opens the "ingest.publish" span of ev, a child of the RPC's span.
func (o *observer) start(ctx context.Context, ev *hookwirev1.Event) publishing {
	ctx, span := o.tracer.Start(ctx, "ingest.publish", trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			telemetry.AttrEventID.String(ev.GetEventId()),
			telemetry.AttrEventType.String(ev.GetEventType()),
			telemetry.AttrScope.String(ev.GetScope()),
		))
	return publishing{ctx: ctx, span: span, start: time.Now(), o: o}
}

// end records the outcome and ends the span. err is the failure of a
// rejected or failed event.
func (p publishing) end(outcome string, err error) {
	attrs := metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", outcome)))
	p.o.events.Add(p.ctx, 1, attrs)
	// What an outcome proves works again: every accepted or duplicate event
	// had its Redis record reserved or read; only an accepted one was
	// acknowledged by JetStream (a duplicate may be answered from its record
	// alone, which says nothing of JetStream).
	switch outcome {
	case outcomeAccepted:
		p.o.notStored.OK(p.ctx, causeNoAck)
		p.o.notStored.OK(p.ctx, causeNoRecord)
	case outcomeDuplicate:
		p.o.notStored.OK(p.ctx, causeNoRecord)
	}
	p.o.latency.Record(p.ctx, time.Since(p.start).Seconds(), attrs)
	p.span.SetAttributes(telemetry.AttrOutcome.String(outcome))
	if outcome == outcomeFailed && err != nil {
		p.span.SetStatus(codes.Error, err.Error())
	}
	p.span.End()
}

// outcomeOf classifies the error of admit or of the JetStream publish.
func outcomeOf(err error) string {
	if errors.Is(err, errNoAck) || errors.Is(err, errNoRecord) || errors.Is(err, errCatalogNotReady) {
		return outcomeFailed
	}
	return outcomeRejected
}
