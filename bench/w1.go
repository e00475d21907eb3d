package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// W1Result is the throughput workload and the ceiling measured in the same run.
type W1Result struct {
	Events            int         `json:"events"`
	Subscriptions     int         `json:"subscriptions"`
	PayloadBytes      int         `json:"payload_bytes"`
	Expected          int64       `json:"expected_deliveries"`
	Accepted          int         `json:"accepted"`
	Rejected          int         `json:"rejected"`
	AcceptSeconds     float64     `json:"accept_s"`
	EventsPerSec      float64     `json:"events_per_s_accepted"`
	Delivered         int64       `json:"delivered_unique"`
	Missing           int64       `json:"missing"`
	Duplicates        int64       `json:"duplicates"`
	LateDuplicates    int64       `json:"duplicates_at_end_of_run"`
	EndToEndSeconds   float64     `json:"end_to_end_s"`
	DeliveriesPerSec  float64     `json:"deliveries_per_s"`
	LatencyMS         Latency     `json:"latency_ms"`
	Processes         []ProcUsage `json:"processes"`
	PerDelivery       PerDelivery `json:"per_delivery"`
	CeilingDeliveries int64       `json:"ceiling_deliveries"`
	CeilingWorkers    int         `json:"ceiling_workers"`
	CeilingPerSec     float64     `json:"ceiling_per_s"`
	CeilingErrors     int64       `json:"ceiling_errors"`
	CeilingProcesses  []ProcUsage `json:"ceiling_processes"`
	Ratio             float64     `json:"ratio_pipeline_to_ceiling"`
	TasksHeld         float64     `json:"tasks_held"` // held in Redis on the way (the slow path)
	Postgres          *pgWork     `json:"postgres,omitempty"`
}

func (b *bench) w1(ctx context.Context) (*W1Result, error) {
	r := &W1Result{Events: b.cfg.w1Events, Subscriptions: b.cfg.subs, PayloadBytes: b.cfg.payload}
	r.Expected = int64(r.Events * r.Subscriptions)
	logf("W1: %d events x %d subscriptions = %d deliveries", r.Events, r.Subscriptions, r.Expected)
	c0, err := b.counters(ctx)
	if err != nil {
		return nil, err
	}
	held0 := b.tasksHeld(ctx)
	pg0 := b.pgCounters(ctx)
	b.resetStatements(ctx)
	av := b.startAutovacuumMeter()
	m := b.startMeter()
	start := time.Now()
	r.Accepted, r.Rejected, err = b.publishAll(ctx, "w1", r.Events)
	if err != nil {
		return nil, err
	}
	acceptDur := time.Since(start)
	r.AcceptSeconds = secs(acceptDur)
	r.EventsPerSec = round(float64(r.Accepted)/acceptDur.Seconds(), 0)
	logf("  accepted %d events in %.1fs (%.0f events/s)", r.Accepted, acceptDur.Seconds(), r.EventsPerSec)
	s, err := b.stats.waitDeliveries(ctx, "w1", int64(r.Accepted*r.Subscriptions), b.cfg.stall, b.cfg.w1Deadline)
	if err != nil {
		return nil, err
	}
	r.Processes = m.stop()
	if r.Postgres = pgWorkBetween(pg0, b.pgCounters(ctx), s.Unique); r.Postgres != nil {
		r.Postgres.Top = b.topStatements(ctx, 3)
	}
	r.Postgres.setAutovacuum(av)
	c1, err := b.counters(ctx)
	if err != nil {
		return nil, err
	}
	r.PerDelivery = perDelivery(c0, c1, r.Processes, s.Unique)
	r.TasksHeld = b.tasksHeld(ctx) - held0
	logf("  per delivery: %.2f NATS messages, %.2f Redis commands, CPU µs %v", r.PerDelivery.NATSMsgs, r.PerDelivery.RedisCommands, r.PerDelivery.CPUMicros)
	r.Delivered, r.Duplicates, r.LatencyMS = s.Unique, s.Duplicates, s.LatencyMS
	r.Missing = r.Expected - s.Unique
	if s.LastNS > 0 {
		e2e := time.Duration(s.LastNS - start.UnixNano())
		r.EndToEndSeconds = secs(e2e)
		r.DeliveriesPerSec = round(float64(s.Unique)/e2e.Seconds(), 0)
	}
	logf("  delivered %d (missing %d, duplicates %d) in %.1fs: %.0f deliveries/s", s.Unique, r.Missing, r.Duplicates, r.EndToEndSeconds, r.DeliveriesPerSec)

	logf("ceiling: plain Go HTTP client, %d workers, %d POSTs", b.cfg.ceilWorkers, r.Expected)
	m = b.startMeter()
	r.CeilingWorkers = b.cfg.ceilWorkers
	r.CeilingDeliveries, r.CeilingErrors, r.CeilingPerSec = b.ceiling(ctx, r.Expected)
	r.CeilingProcesses = m.stop()
	if r.CeilingPerSec > 0 {
		r.Ratio = round(r.DeliveriesPerSec/r.CeilingPerSec, 3)
	}
	logf("  ceiling %.0f deliveries/s (%d errors); pipeline/ceiling = %.3f", r.CeilingPerSec, r.CeilingErrors, r.Ratio)
	return r, nil
}

// ceiling POSTs n bodies like the pipeline's (same size, webhook-id
// header) to the same receivers with a keep-alive client and returns how
// many succeeded, failed, and the rate.
func (b *bench) ceiling(ctx context.Context, n int64) (ok, failed int64, perSec float64) {
	tr := &http.Transport{MaxIdleConns: b.cfg.ceilWorkers * 2, MaxIdleConnsPerHost: b.cfg.ceilWorkers, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	// The body a subscriber gets, built the way the pipeline builds it.
	var next, okN, failN atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range b.cfg.ceilWorkers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= n {
					return
				}
				body := fmt.Appendf(nil, `{"id":"ceil-%d","type":"%s","scope":"%s","occurred_at":"%s","data":%s}`,
					i, EventType, EventScope, time.Now().UTC().Format(time.RFC3339Nano), payload("ceil", b.cfg.payload))
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, b.url(int(i)+w, "ok"), bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("webhook-id", fmt.Sprintf("ceil_%d", i))
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode/100 != 2 {
					failN.Add(1)
				} else {
					okN.Add(1)
				}
				if resp != nil {
					resp.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	return okN.Load(), failN.Load(), round(float64(okN.Load())/el.Seconds(), 0)
}
