package fanout

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/telemetry"
)

const instrumentation = "github.com/hookwire/hookwire/services/dispatcher/fanout"

// Span attributes of "dispatcher.fanout" besides the event's.
const (
	attrMatched = attribute.Key("hookwire.fanout.matched") // tasks enqueued
	attrRepeat  = attribute.Key("hookwire.fanout.repeat")  // a repeated event_id, skipped
	attrRerun   = attribute.Key("hookwire.fanout.rerun")   // tasks marked Rerun
)

// trace starts the "dispatcher.fanout" span of an EVENTS message, a child
// of the span whose context ingest put in the message's headers (the
// producer's trace). Its context becomes the tasks' TP.
func (f *Fanout) trace(ctx context.Context, msg jetstream.Msg, meta bus.Meta, rerun bool) (context.Context, trace.Span) {
	return f.tracer.Start(telemetry.Extract(ctx, msg.Headers()), "dispatcher.fanout",
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			telemetry.AttrEventID.String(meta.ID),
			telemetry.AttrEventType.String(meta.Type),
			telemetry.AttrScope.String(meta.Scope),
			attrRerun.Bool(rerun),
		))
}
