package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/publisher"
)

// bench runs the workloads against a running stack.
type bench struct {
	cfg   config
	st    *stack
	reg   hookwirev1.RegistryServiceClient
	pub   *publisher.Client
	stats statsClient
	res   *Results
	store string // the delivery log store of st (storeEmbedded, storePostgres)
}

func (b *bench) url(i int, kind string) string {
	port := b.st.ports[i%len(b.st.ports)]
	return fmt.Sprintf("http://127.0.0.1:%d/%s/%d", port, kind, i)
}

// sync waits until the dispatcher's match index holds every subscription
// created so far: it creates a probe subscription after them and publishes
// probe events until one is delivered (the index follows the KV bucket in
// order, so the probe arriving means the earlier ones are in).
func (b *bench) sync(ctx context.Context, tag string) error {
	if _, err := createSubs(ctx, b.reg, []subSpec{{url: b.url(0, "probe"), tags: []string{tag}}}, 1); err != nil {
		return err
	}
	deadline := time.Now().Add(90 * time.Second)
	for i := 0; ; i++ {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := b.pub.Publish(cctx, event(tag, i, 64))
		cancel()
		if err != nil {
			return fmt.Errorf("sync %s: publish probe: %w", tag, err)
		}
		wait := time.Now().Add(500 * time.Millisecond)
		for time.Now().Before(wait) {
			s, err := b.stats.get(ctx, tag)
			if err != nil {
				return err
			}
			if s.Unique > 0 {
				return nil
			}
			time.Sleep(20 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sync %s: no probe delivered in 90s: is the dispatcher consuming? dispatcher log:\n%s", tag, tail(b.st.dispatch.log, 15))
		}
	}
}

// publishAll sends n events of tag over one PublishStream as fast as they
// are accepted and returns when all are answered.
func (b *bench) publishAll(ctx context.Context, tag string, n int) (accepted int, rejected int, err error) {
	s := b.pub.NewStream(ctx)
	pending := make([]*publisher.Pending, 0, n)
	for i := range n {
		p, err := s.Send(ctx, event(tag, i, b.cfg.payload))
		if err != nil {
			_ = s.Close(ctx)
			return 0, 0, fmt.Errorf("publish %s event %d: %w", tag, i, err)
		}
		pending = append(pending, p)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := s.Close(cctx); err != nil {
		return 0, 0, fmt.Errorf("close %s stream: %w", tag, err)
	}
	var firstErr error
	for _, p := range pending {
		if err := p.Result().Err; err != nil {
			rejected++
			if firstErr == nil {
				firstErr = err
			}
		} else {
			accepted++
		}
	}
	if firstErr != nil {
		logf("  %s: %d events rejected, first: %v", tag, rejected, firstErr)
	}
	return accepted, rejected, nil
}

// publishRate sends `rate` events/s of tag for d and returns how many were
// sent; each event carries its own send time.
func (b *bench) publishRate(ctx context.Context, tag string, rate int, d time.Duration) (int, error) {
	s := b.pub.NewStream(ctx)
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		next := start.Add(time.Duration(n) * interval)
		if w := time.Until(next); w > 0 {
			time.Sleep(w)
		}
		if _, err := s.Send(ctx, event(tag, n, b.cfg.payload)); err != nil {
			_ = s.Close(ctx)
			return n, fmt.Errorf("publish %s event %d: %w", tag, n, err)
		}
		n++
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := s.Close(cctx); err != nil {
		return n, fmt.Errorf("close %s stream: %w", tag, err)
	}
	return n, nil
}

// healthySubs creates the receivers' 10 subscriptions for W1, W2 and
// the healthy loads of W4 and W6.
func (b *bench) healthySubs(ctx context.Context) error {
	specs := make([]subSpec, b.cfg.subs)
	for i := range specs {
		specs[i] = subSpec{url: b.url(i, "ok"), tags: []string{"w1", "w2", "w4h", "w2b", "w6h"}}
	}
	if _, err := createSubs(ctx, b.reg, specs, 4); err != nil {
		return err
	}
	return b.sync(ctx, "sync1")
}

// failingSubs creates k subscriptions whose endpoint always answers 500,
// with a one-hour retry delay so that their retries wait in the schedule
// for the whole run.
func (b *bench) failingSubs(ctx context.Context, k int) error {
	for i := range k {
		_, err := b.reg.CreateSubscription(ctx, &hookwirev1.CreateSubscriptionRequest{Subscription: &hookwirev1.Subscription{
			Label: fmt.Sprintf("bench failing %d", i), Url: b.url(i, "fail"), EventTypes: []string{EventType},
			AttributeFilters: map[string]*hookwirev1.AttributeValues{"workload": {Values: []string{"w4f"}}},
			RetryPolicy:      &hookwirev1.RetryPolicy{Delays: []*durationpb.Duration{durationpb.New(time.Hour)}},
		}})
		if err != nil {
			return fmt.Errorf("create failing subscription %d: %w", i, err)
		}
	}
	return b.sync(ctx, "sync4")
}

var errMissing = errors.New("missing deliveries")
