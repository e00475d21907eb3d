package dispatcher

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// logLines parses the JSON log lines with message msg.
func logLines(t *testing.T, logs *lockedBuffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q (%v)", sc.Text(), err)
		}
		if msg == "" || rec["msg"] == msg { // "": every line
			out = append(out, rec)
		}
	}
	return out
}

// A delivery that ends FAILED, the suspension it causes and the recovery
// after a Resume each log one line with the delivery, its attempts, its
// last status and its trace, across two replicas; the attempt spans say the
// delivery's outcome after each attempt in the words of the metrics
// (retrying with the next attempt's time, failed, delivered).
func TestFinalOutcomeLoggedAndTraced(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })

	h := newHarness(t, time.Minute)
	var logs lockedBuffer
	h.logs, h.logJSON = &logs, true
	h.cfg.SuspendAfter = 1
	h.subscribe(subscription.Record{ID: "flaky", EventTypes: []string{"*"}, RetryDelays: []time.Duration{time.Second}})
	h.subscribe(subscription.Record{ID: "good", EventTypes: []string{"payment.*"}})
	h.rcv.setRespond(func(path string, _ int) int {
		if path == "flaky" {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	h.start()
	h.start() // a second replica: each line still comes once
	h.publish("evt-1", "payment.settled", "", nil)
	testkit.Eventually(t, 20*time.Second, func() bool {
		h.clock.Advance(time.Second)
		rec, _, err := h.store.Get(h.ctx, "flaky")
		return err == nil && rec.Status == subscription.StatusSuspended
	}, "flaky to be suspended")
	h.waitQuiet()

	var attemptTrace string
	byOutcome := map[string]int{}
	for _, s := range spans.GetSpans() {
		if s.Name != "webhook.deliver" {
			continue
		}
		attrs := map[string]string{}
		for _, kv := range s.Attributes {
			attrs[string(kv.Key)] = kv.Value.Emit()
		}
		byOutcome[attrs["hookwire.subscription.id"]+"/"+attrs["hookwire.outcome"]]++
		if attrs["hookwire.subscription.id"] != "flaky" {
			continue
		}
		attemptTrace = s.SpanContext.TraceID().String()
		if attrs["hookwire.attempt.result"] != "retryable" {
			t.Errorf("attempt result %q, want retryable", attrs["hookwire.attempt.result"])
		}
		next, hasNext := attrs["hookwire.next_attempt_at"]
		switch attrs["hookwire.outcome"] {
		case "retrying":
			if at, err := time.Parse(time.RFC3339Nano, next); err != nil || at.Before(t0) {
				t.Errorf("retrying span's next attempt %q (%v)", next, err)
			}
		case "failed":
			if hasNext {
				t.Errorf("failed span has a next attempt %q", next)
			}
		}
	}
	if byOutcome["flaky/retrying"] != 1 || byOutcome["flaky/failed"] != 1 || byOutcome["good/delivered"] != 1 {
		t.Fatalf("attempt spans by subscription/outcome = %v, want flaky retrying 1, failed 1, good delivered 1", byOutcome)
	}

	check := func(msg, level string, want map[string]any) {
		t.Helper()
		lines := logLines(t, &logs, msg)
		if len(lines) != 1 {
			t.Fatalf("%d %q lines, want 1:\n%s", len(lines), msg, logs.String())
		}
		l := lines[0]
		if l["level"] != level {
			t.Errorf("%q at %v, want %s", msg, l["level"], level)
		}
		for k, v := range want {
			if l[k] != v {
				t.Errorf("%q: %s = %v, want %v", msg, k, l[k], v)
			}
		}
	}
	failed := logLines(t, &logs, "delivery failed")
	if len(failed) != 1 {
		t.Fatalf("%d FAILED lines, want 1:\n%s", len(failed), logs.String())
	}
	id := failed[0]["delivery_id"]
	check("delivery failed", "WARN", map[string]any{"subscription_id": "flaky", "attempts": 2.0, "last_status": 503.0,
		"event_id": "evt-1", "trace_id": attemptTrace, "last_error": "HTTP 503 Service Unavailable"})
	check("subscription suspended", "WARN", map[string]any{"subscription_id": "flaky", "delivery_id": id, "attempts": 2.0,
		"last_status": 503.0, "trace_id": attemptTrace})

	h.setStatus("flaky", subscription.StatusActive)
	testkit.Eventually(t, 10*time.Second, func() bool { return len(logLines(t, &logs, "subscription recovered")) > 0 },
		"the recovery to be logged")
	h.waitQuiet()
	check("subscription recovered", "INFO", map[string]any{"subscription_id": "flaky"})
	for _, msg := range []string{"delivery attempt", "delivery delivered"} {
		if n := len(logLines(t, &logs, msg)); n != 0 {
			t.Errorf("%d %q lines at INFO: attempts are logged at debug only", n, msg)
		}
	}
}

// A Redeliver runs in the operator's trace and links to the event's trace,
// where the publish and the delivery's first attempts are.
func TestRedeliverLinksToTheEventTrace(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	otel.SetTracerProvider(tp)
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{}) // as telemetry.Setup does
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()); otel.SetTextMapPropagator(prev) })

	h := newHarness(t, time.Minute)
	h.subscribe(subscription.Record{ID: "shop", EventTypes: []string{"*"}})
	in := h.start()
	const eventTrace, operatorTrace = "0af7651916cd43dd8448eb211c80319c", "4bf92f3577b34da6a3ce929d0e0e4736"
	m, err := bus.Message(bus.Event{ID: "evt-1", Type: "ach.returned", OccurredAt: t0, Data: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	m.Header.Set("traceparent", "00-"+eventTrace+"-b7ad6b7169203331-01")
	if _, err := h.js.PublishMsg(h.ctx, m); err != nil {
		t.Fatal(err)
	}
	id := deliverylog.ID("shop", "", "evt-1")
	testkit.Eventually(t, 20*time.Second, func() bool {
		d, err := in.svc.DeliveryLog().Get(h.ctx, id)
		return err == nil && d.State == deliverylog.Delivered
	}, "the first delivery")
	if _, err := in.svc.DeliveryLog().SetState(h.ctx, id, deliverylog.Pending, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	rt := task.Task{DeliveryID: id, SubscriptionID: "shop", EventID: "evt-1", EventSeq: 1, Trigger: task.Redeliver, Run: "r1",
		TP: "00-" + operatorTrace + "-00f067aa0ba902b7-01"}
	if err := in.svc.Queue().Enqueue(h.ctx, rt); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() bool { return h.rcv.count("shop") == 2 }, "the redelivery")
	h.waitQuiet()

	var first, again int
	for _, s := range spans.GetSpans() {
		if s.Name != "webhook.deliver" {
			continue
		}
		switch s.SpanContext.TraceID().String() {
		case eventTrace:
			first++
			if len(s.Links) != 0 {
				t.Errorf("the first attempt links %v: it is in the event's trace already", s.Links)
			}
		case operatorTrace:
			again++
			if len(s.Links) != 1 || s.Links[0].SpanContext.TraceID().String() != eventTrace {
				t.Errorf("the redelivery's links %+v, want one to the event's trace %s", s.Links, eventTrace)
			}
		}
	}
	if first != 1 || again != 1 {
		t.Fatalf("attempt spans: %d in the event's trace, %d in the operator's; want 1 and 1", first, again)
	}
}
