package dispatcher

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
)

// BenchmarkIsolation: 10 subscriptions get every event; in the hanging
// cases 2 of them (20 %) hang until their 2 s attempt timeout. One op is
// one delivery to a healthy subscription; it reports the healthy
// deliveries per second and their latency from publish to receipt, p50
// and p99. "uncapped" lifts the per-subscription cap to show what it buys.
//
//	go test -run '^$' -bench BenchmarkIsolation -benchtime 8000x
func BenchmarkIsolation(b *testing.B) {
	cases := []struct {
		name     string
		hanging  int
		capacity int
	}{
		{"hanging=0%", 0, 10},
		{"hanging=20%", 2, 10},
		{"hanging=20%,uncapped", 2, 10_000},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { benchIsolation(b, c.hanging, c.capacity) })
	}
}

func benchIsolation(b *testing.B, hanging, capacity int) {
	const subs = 10
	h := newHarness(b, 2*time.Minute)
	h.cfg.DeliveryWorkers, h.cfg.FanoutWorkers, h.cfg.MaxInFlight = 256, 16, capacity
	h.cfg.AckWait = 30 * time.Second
	newHangs(b, h, func(path string) bool { return strings.HasPrefix(path, "hang-") })
	var healthy []string
	for i := range subs {
		id := fmt.Sprintf("ok-%d", i)
		if i < hanging {
			id = fmt.Sprintf("hang-%d", i)
		} else {
			healthy = append(healthy, id)
		}
		h.subscribe(subscription.Record{ID: id, EventTypes: []string{"*"}, Timeout: 2 * time.Second})
	}
	h.start()
	events := max(b.N/len(healthy), 1)
	published := make([]time.Time, events)
	b.ResetTimer()
	start := time.Now()
	for i := range events {
		published[i] = time.Now()
		if _, err := h.js.PublishMsgAsync(h.message(fmt.Sprintf("evt-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	for _, id := range healthy {
		waitCount(b, h, id, events)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	var lat []time.Duration
	for _, id := range healthy {
		for _, r := range h.rcv.requests(id) {
			var body struct{ ID string }
			var n int
			if json.Unmarshal(r.body, &body) == nil {
				if _, err := fmt.Sscanf(body.ID, "evt-%d", &n); err == nil {
					lat = append(lat, r.wall.Sub(published[n]))
				}
			}
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(events*len(healthy))/elapsed.Seconds(), "healthy-deliveries/s")
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
}
