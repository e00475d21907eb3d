package dispatcher

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/park"
	"github.com/hookwire/hookwire/services/dispatcher/retry"
)

// TestMetrics: /metrics shows deliveries by outcome, attempt latency,
// consumer lag, retries waiting, parked tasks, suspended subscriptions and
// rate-limited deliveries, with no subscription id among the labels.
func TestMetrics(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	prov, shutdown, err := telemetry.Setup(context.Background(), "dispatcher-test", "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = shutdown(context.Background())
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
	})
	h := newHarness(t, 2*time.Minute)
	h.rcv.setRespond(func(path string, _ int) int {
		if path == "failing" {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	h.subscribe(subscription.Record{ID: "ok", Scope: "acquirers/1", EventTypes: []string{"*"},
		RateLimit: &subscription.RateLimit{PerSecond: 20, Burst: 1}})
	h.subscribe(subscription.Record{ID: "failing", Scope: "acquirers/2", EventTypes: []string{"*"}})
	h.subscribe(subscription.Record{ID: "paused", Scope: "acquirers/3", EventTypes: []string{"*"}, Status: subscription.StatusPaused})
	h.subscribe(subscription.Record{ID: "gone", Scope: "acquirers/4", EventTypes: []string{"*"}, Status: subscription.StatusSuspended})
	h.start()
	for i := range 3 {
		h.publish(fmt.Sprintf("evt-ok-%d", i), "ach.returned", "acquirers/1", nil)
	}
	h.publish("evt-failing", "ach.returned", "acquirers/2", nil)
	h.publish("evt-paused", "ach.returned", "acquirers/3", nil)
	waitCount(t, h, "ok", 3)
	testkit.Eventually(t, 10*time.Second, func() bool {
		r, _ := h.rdb.ZCard(h.ctx, retry.Key).Result()
		p, _ := h.rdb.ZCard(h.ctx, park.KeyPrefix+"paused").Result()
		return r == 1 && p == 1
	}, "a retry waiting and a parked task")
	h.waitQuiet()

	rr := httptest.NewRecorder()
	prov.Metrics.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rr.Body)
	for _, want := range []string{
		`hookwire_deliveries_total{[^}]*outcome="delivered"[^}]*} 3`,
		`hookwire_deliveries_total{[^}]*outcome="retrying"[^}]*} 1`,
		`hookwire_delivery_attempt_duration_seconds_count{[^}]*outcome="delivered"[^}]*} 3`,
		`hookwire_delivery_attempt_duration_seconds_bucket{[^}]*le="0.1"[^}]*}`,
		`hookwire_consumer_pending{[^}]*consumer="deliver"[^}]*} 0`,
		`hookwire_consumer_pending{[^}]*consumer="fanout"[^}]*} 0`,
		`hookwire_consumer_pending{[^}]*consumer="deliver-later"[^}]*} 0`,
		`hookwire_consumer_ack_pending{[^}]*consumer="deliver"[^}]*} 0`,
		`hookwire_consumer_redelivered{[^}]*consumer="fanout"[^}]*} 0`,
		`hookwire_deliveries_oldest_unsettled_seconds{[^}]*} 0`,
		`hookwire_retries_waiting{[^}]*} 1`,
		`hookwire_tasks_set_aside{[^}]*reason="parked"[^}]*} 1`,
		`hookwire_tasks_set_aside{[^}]*reason="held"[^}]*} 0`,
		`hookwire_subscriptions_suspended{[^}]*} 1`,
		`hookwire_deliveries_rate_limited_total{[^}]*} [1-9]`,
		`hookwire_delivery_latency_seconds_count{[^}]*} 3\b`, // the failing one is retrying
		`hookwire_delivery_latency_seconds_bucket{[^}]*le="86400"[^}]*} 3\b`,
		// Series that exist from the start, at 0:
		`hookwire_deliveries_total{[^}]*outcome="skipped"[^}]*} 0\b`,
		`hookwire_deliveries_total{[^}]*outcome="failed"[^}]*} 0\b`,
		`hookwire_tasks_held_total{[^}]*} 0\b`,
		`hookwire_retries_overdue_seconds{[^}]*} 0\b`, // the failing one's retry is not due yet
		`hookwire_gauge_source_up{[^}]*source="redis"[^}]*} 1\b`,
		`hookwire_gauge_source_up{[^}]*source="jetstream"[^}]*} 1\b`,
	} {
		if !regexp.MustCompile(want).Match(body) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if regexp.MustCompile(`(?m)^hookwire_.*(subscription_id|delivery_id|"ok"|"failing")`).Match(body) {
		t.Error("a hookwire metric is labelled with a subscription or delivery")
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", regexp.MustCompile(`(?m)^hookwire_.*$`).FindAll(body, -1))
	}

	// Redis down: its gauges are not reported (no stale value), and the
	// source gauge says why.
	restart := h.redis.Outage(t)
	scrape := func() []byte {
		rr := httptest.NewRecorder()
		prov.Metrics.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
		b, _ := io.ReadAll(rr.Body)
		return b
	}
	down := regexp.MustCompile(`hookwire_gauge_source_up{[^}]*source="redis"[^}]*} 0\b`)
	testkit.Eventually(t, 20*time.Second, func() bool { return down.Match(scrape()) }, "the redis source to be reported down")
	if b := scrape(); regexp.MustCompile(`(?m)^hookwire_(retries_waiting|retries_overdue_seconds|tasks_set_aside)\{`).Match(b) {
		t.Errorf("Redis gauges still reported while Redis is down:\n%s", regexp.MustCompile(`(?m)^hookwire_(retries|tasks_set_aside).*$`).FindAll(b, -1))
	}
	restart()
	up := regexp.MustCompile(`hookwire_retries_waiting{[^}]*} 1\b`)
	testkit.Eventually(t, 20*time.Second, func() bool { return up.Match(scrape()) }, "the Redis gauges to come back")
}
