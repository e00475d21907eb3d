package worker

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

const instrumentation = "github.com/hookwire/hookwire/services/dispatcher/worker"

// Outcomes of a delivery task (the "outcome" metric attribute).
const (
	OutcomeDelivered = "delivered" // 2xx
	OutcomeRetrying  = "retrying"  // failed or throttled; a retry is scheduled
	OutcomeFailed    = "failed"    // failed for good: schedule exhausted, refused, or a Redeliver
	OutcomeSuspended = "suspended" // 410 Gone: subscription suspended, task parked
	OutcomeDiscarded = "discarded" // not attempted: subscription deleted or event expired
	OutcomeSkipped   = "skipped"   // a repeated first attempt, already made
)

// observer traces attempts and counts tasks, over the global OTel providers.
type observer struct {
	tracer   trace.Tracer
	tasks    metric.Int64Counter
	duration metric.Float64Histogram
	latency  metric.Float64Histogram             // event accepted -> delivered
	outcomes map[string]metric.MeasurementOption // the "outcome" attribute, built once per value
}

func newObserver() *observer {
	meter := otel.Meter(instrumentation)
	o := &observer{tracer: otel.Tracer(instrumentation), outcomes: map[string]metric.MeasurementOption{}}
	for _, v := range []string{OutcomeDelivered, OutcomeRetrying, OutcomeFailed, OutcomeSuspended, OutcomeDiscarded, OutcomeSkipped} {
		o.outcomes[v] = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", v)))
	}
	var errs [3]error
	o.tasks, errs[0] = meter.Int64Counter("hookwire.deliveries",
		metric.WithDescription("Delivery tasks handled, by outcome: delivered, retrying, failed, suspended, discarded, skipped."),
		metric.WithUnit("{delivery}"))
	o.duration, errs[1] = meter.Float64Histogram("hookwire.delivery.attempt.duration",
		metric.WithDescription("Duration of one HTTP delivery attempt (request to response or error), by outcome."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(telemetry.LatencyBuckets...))
	o.latency, errs[2] = meter.Float64Histogram("hookwire.delivery.latency",
		metric.WithDescription("Time from ingest accepting an event (its EVENTS timestamp) to the 2xx of a subscription's own delivery of it, retries included (Redeliver and Replay not counted)."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(deliveryBuckets...))
	for _, err := range errs {
		if err != nil { // only on an invalid instrument definition
			otel.Handle(fmt.Errorf("worker metrics: %w", err))
		}
	}
	for _, m := range o.outcomes { // every outcome's series exists from the start, at 0
		o.tasks.Add(context.Background(), 0, m)
	}
	return o
}

// deliveryBuckets are the boundaries, in seconds, of an event's way from
// ingest to its subscriber: milliseconds when the first attempt succeeds,
// up to a day when it took the retry schedule.
var deliveryBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600}

// start opens the "webhook.deliver" client span of t's attempt. Its
// attributes are all set by end, in one call: the SDK copies start
// attributes twice and grows them again for end's, a third of the span's
// allocations. No sampler or span processor of ours reads them at start.
//
// An attempt in another trace than its event's — a Redeliver or a Replay,
// traced under the operator's call — links to the event's trace, where the
// delivery's own attempts are.
func (o *observer) start(ctx context.Context, t task.Task, ev stored) (context.Context, trace.Span) {
	if t.Trigger == task.Scheduled || ev.traceparent == "" {
		return o.tracer.Start(ctx, "webhook.deliver", clientSpan)
	}
	orig := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(),
		propagation.MapCarrier{"traceparent": ev.traceparent}))
	if !orig.IsValid() || orig.TraceID() == trace.SpanContextFromContext(ctx).TraceID() {
		return o.tracer.Start(ctx, "webhook.deliver", clientSpan)
	}
	return o.tracer.Start(ctx, "webhook.deliver", clientSpan, trace.WithLinks(trace.Link{SpanContext: orig, Attributes: eventTraceLink}))
}

var (
	clientSpan     = trace.WithSpanKind(trace.SpanKindClient)
	eventTraceLink = []attribute.KeyValue{attribute.String("hookwire.link", "event")} // the event's trace: its publish and the delivery's attempts
)

// end ends t's attempt span with its attributes, its result and the
// delivery's outcome after it (in the words of the metrics, see outcome;
// with the next attempt's time when it is retrying).
func (o *observer) end(span trace.Span, t task.Task, ev stored, res deliver.Result, dec Decision) {
	attrs := append(make([]attribute.KeyValue, 0, 10),
		telemetry.AttrEventID.String(t.EventID),
		telemetry.AttrEventType.String(ev.meta.Type),
		telemetry.AttrSubscriptionID.String(t.SubscriptionID),
		telemetry.AttrDeliveryID.String(t.DeliveryID),
		telemetry.AttrAttempt.Int(t.Step+1),
		attribute.String("hookwire.trigger", string(t.Trigger)),
	)
	if res.Status > 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", res.Status))
	}
	attrs = append(attrs, attrAttemptResult.String(res.Outcome.String()), telemetry.AttrOutcome.String(outcome(dec)))
	if dec.Action == Retry {
		attrs = append(attrs, attrNextAttemptAt.String(dec.At.UTC().Format(time.RFC3339Nano)))
	}
	span.SetAttributes(attrs...)
	if res.Outcome != deliver.Delivered {
		if res.Err != nil {
			span.RecordError(res.Err)
		}
		span.SetStatus(codes.Error, lastFailure(res))
	}
	span.End()
}

// Span attributes of an attempt besides the shared ones in telemetry:
// what this attempt's response was (delivered, retryable, permanent, gone,
// throttled: deliver.Outcome) and when the next attempt is due.
var (
	attrAttemptResult = attribute.Key("hookwire.attempt.result")
	attrNextAttemptAt = attribute.Key("hookwire.next_attempt_at")
)

// outcome names the delivery's outcome after an attempt decided dec, in
// the words of the hookwire.deliveries metric; the attempt span says the
// same (hookwire.outcome).
func outcome(dec Decision) string {
	switch dec.Action {
	case Retry:
		return OutcomeRetrying
	case Park:
		return OutcomeSuspended
	}
	if dec.State != deliverylog.Delivered {
		return OutcomeFailed
	}
	return OutcomeDelivered
}

// attempted counts an attempt's task by outcome and records its duration.
func (o *observer) attempted(ctx context.Context, dec Decision, latency time.Duration) {
	m := o.outcomes[outcome(dec)]
	o.tasks.Add(ctx, 1, m)
	o.duration.Record(ctx, latency.Seconds(), m)
}

// delivered records the time from ev's acceptance to now, when t's attempt
// delivered a subscription's own delivery of ev (the first success: a
// delivered delivery is not attempted again by its schedule).
func (o *observer) delivered(ctx context.Context, t task.Task, ev stored, now time.Time) {
	if t.Trigger == task.Redeliver || t.Trigger == task.Replay || ev.accepted.IsZero() {
		return
	}
	o.latency.Record(ctx, max(now.Sub(ev.accepted), 0).Seconds())
}

// settled counts a task that made no attempt.
func (o *observer) settled(ctx context.Context, outcome string) {
	o.tasks.Add(ctx, 1, o.outcomes[outcome])
}
