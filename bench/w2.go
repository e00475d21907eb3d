package main

import (
	"context"
	"time"
)

// W2Result is a fixed offered load and its publish->receive latency.
type W2Result struct {
	Tag              string      `json:"tag"`
	EventsPerSec     int         `json:"offered_events_per_s"`
	DeliveriesPerSec int         `json:"offered_deliveries_per_s"`
	Seconds          float64     `json:"duration_s"`
	Events           int         `json:"events"`
	Expected         int64       `json:"expected_deliveries"`
	Delivered        int64       `json:"delivered_unique"`
	Missing          int64       `json:"missing"`
	Duplicates       int64       `json:"duplicates"`
	LatencyMS        Latency     `json:"latency_ms"`
	Processes        []ProcUsage `json:"processes"`
	Postgres         *pgWork     `json:"postgres,omitempty"`
}

// w2 offers cfg.w2Rate events/s (x subscriptions) for cfg.w2Duration under
// tag and measures latency on arrival.
func (b *bench) w2(ctx context.Context, tag string) (*W2Result, error) {
	r := &W2Result{Tag: tag, EventsPerSec: b.cfg.w2Rate, DeliveriesPerSec: b.cfg.w2Rate * b.cfg.subs, Seconds: b.cfg.w2Duration.Seconds()}
	logf("%s: %d events/s x %d subscriptions = %d deliveries/s for %s", tag, r.EventsPerSec, b.cfg.subs, r.DeliveriesPerSec, b.cfg.w2Duration)
	pg0 := b.pgCounters(ctx)
	av := b.startAutovacuumMeter()
	m := b.startMeter()
	n, err := b.publishRate(ctx, tag, b.cfg.w2Rate, b.cfg.w2Duration)
	if err != nil {
		return nil, err
	}
	r.Events = n
	r.Expected = int64(n * b.cfg.subs)
	s, err := b.stats.waitDeliveries(ctx, tag, r.Expected, b.cfg.stall, 2*time.Minute)
	if err != nil {
		return nil, err
	}
	r.Processes = m.stop()
	r.Postgres = pgWorkBetween(pg0, b.pgCounters(ctx), s.Unique)
	r.Postgres.setAutovacuum(av)
	r.Delivered, r.Duplicates, r.LatencyMS = s.Unique, s.Duplicates, s.LatencyMS
	r.Missing = r.Expected - s.Unique
	logf("  delivered %d of %d; latency ms p50 %.2f p90 %.2f p99 %.2f max %.2f", s.Unique, r.Expected,
		s.LatencyMS.P50, s.LatencyMS.P90, s.LatencyMS.P99, s.LatencyMS.Max)
	return r, nil
}
