package main

import (
	"context"
	"time"
)

// W3Result is one event fanned out to many subscriptions.
type W3Result struct {
	Subscriptions     int         `json:"subscriptions"`
	Ports             int         `json:"receiver_ports"`
	CreateSeconds     float64     `json:"create_s"`
	CreatePerSec      float64     `json:"creates_per_s"`
	Delivered         int64       `json:"delivered_unique"`
	Missing           int64       `json:"missing"`
	Duplicates        int64       `json:"duplicates"`
	FirstDeliverySecs float64     `json:"first_delivery_s"`
	LastDeliverySecs  float64     `json:"last_delivery_s"`
	Processes         []ProcUsage `json:"processes"`
}

func (b *bench) w3(ctx context.Context) (*W3Result, error) {
	r := &W3Result{Subscriptions: b.cfg.w3Subs, Ports: len(b.st.ports)}
	logf("W3: creating %d subscriptions through the registry", r.Subscriptions)
	specs := make([]subSpec, r.Subscriptions)
	for i := range specs {
		specs[i] = subSpec{url: b.url(i, "w3"), tags: []string{"w3"}}
	}
	start := time.Now()
	if _, err := createSubs(ctx, b.reg, specs, 16); err != nil {
		return nil, err
	}
	r.CreateSeconds = secs(time.Since(start))
	r.CreatePerSec = round(float64(r.Subscriptions)/time.Since(start).Seconds(), 0)
	logf("  created in %.1fs (%.0f/s); waiting for the dispatcher's index", r.CreateSeconds, r.CreatePerSec)
	if err := b.sync(ctx, "sync3"); err != nil {
		return nil, err
	}
	m := b.startMeter()
	start = time.Now()
	if _, err := b.pub.Publish(ctx, event("w3", 0, b.cfg.payload)); err != nil {
		return nil, err
	}
	s, err := b.stats.waitDeliveries(ctx, "w3", int64(r.Subscriptions), b.cfg.stall, 3*time.Minute)
	if err != nil {
		return nil, err
	}
	r.Processes = m.stop()
	r.Delivered, r.Duplicates = s.Unique, s.Duplicates
	r.Missing = int64(r.Subscriptions) - s.Unique
	if s.LastNS > 0 {
		r.FirstDeliverySecs = secs(time.Duration(s.FirstNS - start.UnixNano()))
		r.LastDeliverySecs = secs(time.Duration(s.LastNS - start.UnixNano()))
	}
	logf("  %d of %d delivered; first after %.3fs, last after %.3fs", s.Unique, r.Subscriptions, r.FirstDeliverySecs, r.LastDeliverySecs)
	return r, nil
}
