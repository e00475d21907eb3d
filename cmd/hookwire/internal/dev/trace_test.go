package dev

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher"
)

// TestPublishToDeliveryIsOneTrace: a Publish over gRPC, through ingest,
// NATS and the dispatcher, to a receiver that fails once and then accepts
// the retry, is one trace: producer → gRPC client span → ingest server span
// → ingest.publish → dispatcher.fanout → one webhook.deliver client span
// per attempt. Each request's traceparent is its attempt span's.
func TestPublishToDeliveryIsOneTrace(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	spans := tracetest.NewInMemoryExporter()
	_, shutdown, err := telemetry.Setup(context.Background(), "hookwire-dev-test", "test",
		telemetry.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(spans)))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())

	var mu sync.Mutex
	var got []http.Header
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		n := len(got)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer rcv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := Start(ctx, Options{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- st.Run(runCtx) }()
	defer func() { stop(); <-done }()
	if err := st.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(st.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	created, err := hookwirev1.NewRegistryServiceClient(conn).CreateSubscription(ctx, &hookwirev1.CreateSubscriptionRequest{
		Subscription: &hookwirev1.Subscription{
			Url: rcv.URL + "/hooks", EventTypes: []string{"transaction.sale.success"},
			RetryPolicy: &hookwirev1.RetryPolicy{Delays: []*durationpb.Duration{durationpb.New(time.Second)}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	subID := created.GetSubscription().GetId()
	disp := st.services[2].(*dispatcher.Service)
	testkit.Eventually(t, 10*time.Second, func() bool { _, ok := disp.Index().Get(subID); return ok },
		"the dispatcher to index the subscription")

	pctx, root := otel.Tracer("test").Start(ctx, "producer")
	_, err = hookwirev1.NewIngestServiceClient(conn).Publish(pctx, &hookwirev1.PublishRequest{Event: &hookwirev1.Event{
		EventId: "evt_trace_e2e", EventType: "transaction.sale.success", Scope: "acquirers/100",
		OccurredAt: timestamppb.Now(), Payload: &hookwirev1.Event_DataJson{DataJson: []byte(`{"amount":1}`)},
	}})
	root.End()
	if err != nil {
		t.Fatal(err)
	}
	traceID := root.SpanContext().TraceID()

	var delivers []sdktrace.ReadOnlySpan
	testkit.Eventually(t, 20*time.Second, func() bool {
		delivers = delivers[:0]
		for _, s := range spans.GetSpans().Snapshots() {
			if s.Name() == "webhook.deliver" && s.SpanContext().TraceID() == traceID {
				delivers = append(delivers, s)
			}
		}
		return len(delivers) == 2
	}, "two webhook.deliver spans (the failed attempt and its retry) in the producer's trace")

	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range spans.GetSpans().Snapshots() {
		if s.SpanContext().TraceID() == traceID {
			byID[s.SpanContext().SpanID()] = s
		}
	}
	// Walk up from each attempt: the chain of (name, kind) to the producer.
	want := []struct {
		name string
		kind trace.SpanKind
	}{
		{"webhook.deliver", trace.SpanKindClient},
		{"dispatcher.fanout", trace.SpanKindConsumer},
		{"ingest.publish", trace.SpanKindProducer},
		{"hookwire.v1.IngestService/Publish", trace.SpanKindServer},
		{"hookwire.v1.IngestService/Publish", trace.SpanKindClient},
		{"producer", trace.SpanKindInternal},
	}
	for i, d := range delivers {
		s := d
		for j, w := range want {
			if s == nil {
				t.Fatalf("attempt %d: the chain breaks before %s", i+1, w.name)
			}
			if s.Name() != w.name || s.SpanKind() != w.kind {
				t.Fatalf("attempt %d: ancestor %d is %s (%s), want %s (%s)", i+1, j, s.Name(), s.SpanKind(), w.name, w.kind)
			}
			if j < len(want)-1 {
				s = byID[s.Parent().SpanID()]
			}
		}
		attrs := map[string]string{}
		for _, kv := range d.Attributes() {
			attrs[string(kv.Key)] = kv.Value.Emit()
		}
		for k, v := range map[string]string{
			"hookwire.event.id": "evt_trace_e2e", "hookwire.event.type": "transaction.sale.success",
			"hookwire.subscription.id": subID, "hookwire.attempt": []string{"1", "2"}[i],
			"http.response.status_code": []string{"503", "200"}[i],
		} {
			if attrs[k] != v {
				t.Errorf("attempt %d: %s = %q, want %q", i+1, k, attrs[k], v)
			}
		}
	}
	if delivers[0].Parent().SpanID() != delivers[1].Parent().SpanID() {
		t.Error("the retry is not a child of the same fan-out as the first attempt")
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(got))
	}
	for i, h := range got {
		sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(h)))
		if sc.TraceID() != traceID || sc.SpanID() != delivers[i].SpanContext().SpanID() {
			t.Errorf("request %d traceparent %q, want trace %s span %s (its webhook.deliver)", i+1,
				h.Get("traceparent"), traceID, delivers[i].SpanContext().SpanID())
		}
	}
}
