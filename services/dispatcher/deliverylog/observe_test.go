package deliverylog_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// collected is what a reader holds now: the oldest waiting write's age
// (-1 when not reported) and how many record_attempt writes the
// histogram counted, both for store "postgres".
func collected(t *testing.T, r *sdkmetric.ManualReader) (oldest float64, writes uint64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	oldest = -1
	pg := attribute.String("store", "postgres")
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Gauge[float64]:
				for _, p := range data.DataPoints {
					if v, _ := p.Attributes.Value("store"); m.Name == "hookwire.delivery_log.oldest_write" && v == pg.Value {
						oldest = p.Value
					}
				}
			case metricdata.Histogram[float64]:
				for _, p := range data.DataPoints {
					op, _ := p.Attributes.Value("op")
					if v, _ := p.Attributes.Value("store"); m.Name == "hookwire.delivery_log.write.duration" && v == pg.Value && op.AsString() == "record_attempt" {
						writes += p.Count
					}
				}
			}
		}
	}
	return oldest, writes
}

// While PostgreSQL is down a write waits, and the oldest waiting write's
// age grows (the signal that deliveries are paused on the delivery log);
// once it is back the write completes, its time is in the histogram, and
// the gauge is 0 again.
func TestObservedStoreReportsWaitingWrites(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(metricnoop.NewMeterProvider()) })
	pg := testkit.StartPostgres(t)
	cfg := defaultConfig()
	cfg.URL = pg.NewDatabase(t)
	p, err := deliverylog.OpenPostgres(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := deliverylog.Observe(p, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ctx := context.Background()
	now := time.Now()
	record(t, s, delivery("sub1", 1, "acquirers/1"), 200, deliverylog.Delivered)
	if oldest, writes := collected(t, reader); oldest != 0 || writes != 1 {
		t.Fatalf("after one write: oldest waiting %v s, %d writes counted; want 0 and 1", oldest, writes)
	}

	pg.Stop()
	done := make(chan error, 1)
	go func() {
		_, err := s.RecordAttempt(ctx, delivery("sub1", 2, "acquirers/1"), attempt(200, now), deliverylog.Delivered, time.Time{})
		done <- err
	}()
	var first float64
	testkit.Eventually(t, 20*time.Second, func() bool { first, _ = collected(t, reader); return first > 0 }, "a waiting write reported")
	testkit.Eventually(t, 20*time.Second, func() bool { o, _ := collected(t, reader); return o > first }, "the wait growing")
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if oldest, writes := collected(t, reader); oldest != 0 || writes != 2 {
		t.Fatalf("after the outage: oldest waiting %v s, %d writes counted; want 0 and 2", oldest, writes)
	}
}
