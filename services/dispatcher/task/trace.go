package task

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
)

// traceHeader is the W3C Trace Context header, lowercase in NATS headers
// (package telemetry's carrier is case-sensitive).
const traceHeader = "traceparent"

// TraceParent is the W3C traceparent of the span in ctx; "" without one.
func TraceParent(ctx context.Context) string {
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c[traceHeader]
}

// TraceContext returns ctx with t's trace context (TP) as remote parent,
// or ctx itself when t carries none.
func (t Task) TraceContext(ctx context.Context) context.Context {
	if t.TP == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{traceHeader: t.TP})
}

// DecodeMsg decodes a DELIVERIES message: the task from its body, its
// trace context from its traceparent header. On a queue message the trace
// context travels in the headers only; TP keeps it while the task waits in
// Redis (retry schedule, parked, held), where there are no headers.
func DecodeMsg(data []byte, h nats.Header) (Task, error) {
	t, err := Decode(data)
	if err != nil {
		return Task{}, err
	}
	if v := h[traceHeader]; len(v) > 0 && v[0] != "" {
		t.TP = v[0]
	}
	return t, nil
}
