package ingest_test

import (
	"context"
	"io"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookwire/hookwire/pkg/bus"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// Every stored event carries, in a lowercase traceparent header, the
// context of its "ingest.publish" span, a child of the Publish server span
// in the producer's trace; events are counted by outcome.
func TestPublishTraceContextAndMetrics(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	spans := tracetest.NewInMemoryExporter()
	prov, shutdown, err := telemetry.Setup(context.Background(), "ingest-test", "test",
		telemetry.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(spans)))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	e := startEnv(t, envOpts{})
	stream, err := e.js.Stream(context.Background(), bus.EventsStream)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		method string // the server span's name
		send   func(ctx context.Context, ev *hookwirev1.Event) uint64
	}{
		{"unary", "hookwire.v1.IngestService/Publish", func(ctx context.Context, ev *hookwirev1.Event) uint64 {
			resp, err := e.client.Publish(ctx, &hookwirev1.PublishRequest{Event: ev})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetSequence()
		}},
		{"stream", "hookwire.v1.IngestService/PublishStream", func(ctx context.Context, ev *hookwirev1.Event) uint64 {
			out := publishAll(t, ctx, e.client, []*hookwirev1.Event{ev})
			if len(out) != 1 || out[0].GetError() != nil {
				t.Fatalf("stream answers %v", out)
			}
			return out[0].GetSequence()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spans.Reset()
			ctx, root := otel.Tracer("test").Start(as(t, rootToken), "producer")
			ev := validEvent("evt_trace_" + tc.name)
			seq := tc.send(ctx, ev)
			root.End()

			msg, err := stream.GetMsg(context.Background(), seq)
			if err != nil {
				t.Fatal(err)
			}
			if len(msg.Header.Values("traceparent")) != 1 {
				t.Fatalf("stored headers lack one lowercase traceparent: %v", msg.Header)
			}
			stored := trace.SpanContextFromContext(telemetry.Extract(context.Background(), msg.Header))
			if stored.TraceID() != root.SpanContext().TraceID() {
				t.Fatalf("stored trace %s, want the producer's %s", stored.TraceID(), root.SpanContext().TraceID())
			}

			// The server span ends (and is exported) after the client has
			// its answer: wait for it rather than read too early.
			byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
			var publish, server sdktrace.ReadOnlySpan
			testkit.Eventually(t, 10*time.Second, func() bool {
				for _, s := range spans.GetSpans().Snapshots() {
					byID[s.SpanContext().SpanID()] = s
					if s.Name() == "ingest.publish" {
						publish = s
					}
				}
				if publish == nil {
					return false
				}
				server = byID[publish.Parent().SpanID()]
				return server != nil
			}, "the ingest.publish span and its parent to be exported")
			if publish.SpanContext().SpanID() != stored.SpanID() {
				t.Fatalf("traceparent span %s is not the ingest.publish span", stored.SpanID())
			}
			if server.Name() != tc.method || server.SpanKind() != trace.SpanKindServer {
				t.Fatalf("ingest.publish parent = %v, want the %s server span", server, tc.method)
			}
			attrs := map[string]string{}
			for _, kv := range publish.Attributes() {
				attrs[string(kv.Key)] = kv.Value.Emit()
			}
			want := map[string]string{"hookwire.event.id": ev.GetEventId(), "hookwire.event.type": saleType,
				"hookwire.scope": ev.GetScope(), "hookwire.outcome": "accepted"}
			for k, v := range want {
				if attrs[k] != v {
					t.Errorf("ingest.publish %s = %q, want %q", k, attrs[k], v)
				}
			}
		})
	}

	// A repeat and a rejected event are counted under their outcomes.
	if _, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: validEvent("evt_trace_unary")}); err != nil {
		t.Fatal(err)
	}
	bad := validEvent("evt_bad")
	bad.EventType = "no.such.type"
	if _, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: bad}); err == nil {
		t.Fatal("unknown type accepted")
	}
	rr := httptest.NewRecorder()
	prov.Metrics.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rr.Body)
	for _, want := range []string{
		`hookwire_events_published_total{[^}]*outcome="accepted"} 2`,
		`hookwire_events_published_total{[^}]*outcome="duplicate"} 1`,
		`hookwire_events_published_total{[^}]*outcome="rejected"} 1`,
		`hookwire_ingest_publish_duration_seconds_count{[^}]*outcome="accepted"} 2`,
	} {
		if !regexp.MustCompile(want).Match(body) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}
