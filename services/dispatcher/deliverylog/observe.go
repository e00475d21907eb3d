package deliverylog

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/hookwire/hookwire/pkg/telemetry"
)

const instrumentation = "github.com/hookwire/hookwire/services/dispatcher/deliverylog"

// observed is a Store whose writes are measured: how long each took
// (hookwire.delivery_log.write.duration, by store and operation) and how
// long the oldest write still waiting has waited
// (hookwire.delivery_log.oldest_write). A worker's task stays
// unacknowledged until its record is durable, and a store that cannot
// write (PostgreSQL down) keeps its callers waiting, so that gauge is the
// SRE's direct signal that deliveries are paused on the delivery log; it
// is 0 when no write is waiting.
type observed struct {
	Store
	now      func() time.Time
	duration metric.Float64Histogram
	ops      map[string]metric.MeasurementOption // op -> its attribute set with the store's
	reg      metric.Registration

	mu      sync.Mutex
	next    uint64
	waiting map[uint64]time.Time // write -> when it started
}

// writeOps are the operations measured (their "op" attribute).
var writeOps = []string{"record_attempt", "hold", "set_state", "update"}

// Observe returns s with its writes measured on the global meter provider,
// the store attribute naming it ("postgres", "jetstream"). Close stops
// reporting.
func Observe(s Store, store string) (Store, error) {
	m := otel.Meter(instrumentation)
	duration, err := m.Float64Histogram("hookwire.delivery_log.write.duration",
		metric.WithDescription("Time a delivery log write took until it was durable (group commit and any wait for the store to come back included), by store and op."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(telemetry.LatencyBuckets...))
	if err != nil {
		return nil, err
	}
	oldest, err := m.Float64ObservableGauge("hookwire.delivery_log.oldest_write",
		metric.WithDescription("How long the oldest delivery log write still waiting has waited (0: none); grows while the store cannot write, and deliveries wait with it."),
		metric.WithUnit("s"))
	if err != nil {
		return nil, err
	}
	o := &observed{Store: s, now: time.Now, duration: duration, ops: map[string]metric.MeasurementOption{}, waiting: map[uint64]time.Time{}}
	for _, op := range writeOps {
		o.ops[op] = metric.WithAttributeSet(attribute.NewSet(attribute.String("store", store), attribute.String("op", op)))
	}
	by := metric.WithAttributeSet(attribute.NewSet(attribute.String("store", store)))
	o.reg, err = m.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		obs.ObserveFloat64(oldest, o.oldest().Seconds(), by)
		return nil
	}, oldest)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// oldest is how long the oldest write in progress has waited.
func (o *observed) oldest() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	var first time.Time
	for _, at := range o.waiting {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	if first.IsZero() {
		return 0
	}
	return o.now().Sub(first)
}

// measure runs write as operation op, tracked while it waits.
func (o *observed) measure(ctx context.Context, op string, write func() (Delivery, error)) (Delivery, error) {
	start := o.now()
	o.mu.Lock()
	o.next++
	id := o.next
	o.waiting[id] = start
	o.mu.Unlock()
	d, err := write()
	o.mu.Lock()
	delete(o.waiting, id)
	o.mu.Unlock()
	o.duration.Record(ctx, o.now().Sub(start).Seconds(), o.ops[op])
	return d, err
}

func (o *observed) RecordAttempt(ctx context.Context, d Delivery, a Attempt, state State, next time.Time) (Delivery, error) {
	return o.measure(ctx, "record_attempt", func() (Delivery, error) { return o.Store.RecordAttempt(ctx, d, a, state, next) })
}

func (o *observed) Hold(ctx context.Context, d Delivery, reason HoldReason) (Delivery, error) {
	return o.measure(ctx, "hold", func() (Delivery, error) { return o.Store.Hold(ctx, d, reason) })
}

func (o *observed) SetState(ctx context.Context, id string, state State, next time.Time) (Delivery, error) {
	return o.measure(ctx, "set_state", func() (Delivery, error) { return o.Store.SetState(ctx, id, state, next) })
}

func (o *observed) Update(ctx context.Context, id string, change func(*Delivery) error) (Delivery, error) {
	return o.measure(ctx, "update", func() (Delivery, error) { return o.Store.Update(ctx, id, change) })
}

// Close stops reporting and closes the store.
func (o *observed) Close() {
	_ = o.reg.Unregister()
	o.Store.Close()
}
