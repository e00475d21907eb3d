package dispatcher

import (
	"fmt"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
)

// BenchmarkPipeline: events published straight to EVENTS, delivered to 10
// matching subscriptions on a local receiver; one op is one delivery. A
// smoke figure for the dispatcher alone (no ingest, -race off); `make
// bench` measures the whole system.
func BenchmarkPipeline(b *testing.B) {
	const subs = 10
	h := newHarness(b, 2*time.Minute)
	h.cfg.DeliveryWorkers, h.cfg.FanoutWorkers = 256, 16
	for i := range subs {
		h.subscribe(subscription.Record{ID: fmt.Sprintf("bench-%d", i), EventTypes: []string{"*"}})
	}
	h.start()
	events := max(b.N/subs, 1)
	b.ResetTimer()
	start := time.Now()
	for i := range events {
		m := h.message(fmt.Sprintf("evt-%d", i))
		if _, err := h.js.PublishMsgAsync(m); err != nil {
			b.Fatal(err)
		}
	}
	for i := range subs {
		waitCount(b, h, fmt.Sprintf("bench-%d", i), events)
	}
	b.ReportMetric(float64(events*subs)/time.Since(start).Seconds(), "deliveries/s")
}
