package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestSetupCarrierAndLogs(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	exp := tracetest.NewInMemoryExporter()
	p, shutdown, err := Setup(context.Background(), "test", "v0", WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(exp)))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())

	ctx, span := otel.Tracer("t").Start(context.Background(), "publish")
	m := nats.NewMsg("s")
	Inject(ctx, m)
	if _, ok := m.Header["traceparent"]; !ok {
		t.Fatalf("no lowercase traceparent header: %v", m.Header)
	}
	got := trace.SpanContextFromContext(Extract(context.Background(), m.Header))
	if got.TraceID() != span.SpanContext().TraceID() {
		t.Fatalf("extracted trace %s, want %s", got.TraceID(), span.SpanContext().TraceID())
	}

	var buf bytes.Buffer
	NewLogger(&buf, slog.LevelInfo, "test").InfoContext(ctx, "hello")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["trace_id"] != span.SpanContext().TraceID().String() || rec["service"] != "test" {
		t.Fatalf("log record = %v", rec)
	}
	span.End()
	if len(exp.GetSpans()) != 1 {
		t.Fatalf("exported %d spans", len(exp.GetSpans()))
	}
	if id, ok := exp.GetSpans()[0].Resource.Set().Value("service.instance.id"); !ok || id.AsString() != instanceID() {
		t.Fatalf("span resource service.instance.id = %v, want %s", id, instanceID())
	}

	counter, _ := otel.Meter("t").Int64Counter("hookwire_test_total")
	counter.Add(ctx, 3)
	rr := httptest.NewRecorder()
	p.Metrics.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rr.Body)
	if !strings.Contains(string(body), "hookwire_test_total") {
		t.Fatalf("/metrics lacks the counter:\n%s", body)
	}
}

// TestMetricsCarryExemplars: a histogram measured under a sampled span is
// exported, in OpenMetrics, with an exemplar naming the span's trace, so
// a latency bucket on a dashboard links to the trace.
func TestMetricsCarryExemplars(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	p, shutdown, err := Setup(context.Background(), "test", "v0")
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	ctx, span := otel.Tracer("t").Start(context.Background(), "attempt")
	defer span.End()
	h, _ := otel.Meter("t").Float64Histogram("hookwire_test_duration", metric.WithUnit("s"))
	h.Record(ctx, 0.25)

	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	rr := httptest.NewRecorder()
	p.Metrics.ServeHTTP(rr, req)
	body, _ := io.ReadAll(rr.Body)
	want := `trace_id="` + span.SpanContext().TraceID().String() + `"`
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "hookwire_test_duration_seconds_bucket") && strings.Contains(l, want) {
			return
		}
	}
	t.Fatalf("no bucket with an exemplar %s in:\n%s", want, body)
}
