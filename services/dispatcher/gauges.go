package dispatcher

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/fanout"
)

const instrumentation = "github.com/hookwire/hookwire/services/dispatcher"

// gaugeEvery is how often the gauges' sources (JetStream consumer info,
// Redis counts, the index) are read at most: a burst of scrapes is served
// from the last reading.
const gaugeEvery = 5 * time.Second

// gauges are the dispatcher's observable gauges: consumer lag, ack-pending
// and redelivered messages, the age of the oldest unsettled message,
// retries waiting, tasks set aside, suspended subscriptions.
type gauges struct {
	s *Service

	mu      sync.Mutex
	at      time.Time
	reading reading
}

// reading is one sample of every gauge. A source that cannot be read has
// no value in it (ok false, or no map entry): its gauges are not reported
// rather than stale, and hookwire_gauge_source_up says which source is
// down.
type reading struct {
	pending   map[string]int64 // consumer name -> messages not yet delivered to it
	acks      map[string]int64 // consumer name -> messages delivered, not yet settled (any replica)
	again     map[string]int64 // consumer name -> of them, delivered more than once
	oldest    float64          // seconds the oldest message this process owns has been unsettled
	redisOK   bool             // the Redis counts below were read
	retries   int64
	overdue   float64 // seconds the earliest retry is past due
	parked    int64
	held      int64
	suspended int64
}

// register creates the gauges on the global meter provider; the returned
// registration must be unregistered when the service stops.
func (g *gauges) register() (metric.Registration, error) {
	m := otel.Meter(instrumentation)
	lag, err1 := m.Int64ObservableGauge("hookwire.consumer.pending",
		metric.WithDescription("Messages of a JetStream consumer not yet delivered to a dispatcher (consumer: fanout, deliver, deliver-later)."),
		metric.WithUnit("{message}"))
	retries, err2 := m.Int64ObservableGauge("hookwire.retries.waiting",
		metric.WithDescription("Delivery retries waiting for their due time in the Redis schedule."),
		metric.WithUnit("{task}"))
	aside, err3 := m.Int64ObservableGauge("hookwire.tasks.set_aside",
		metric.WithDescription("Delivery tasks set aside in Redis, by reason: parked (subscription paused or suspended), held (subscription at its in-flight cap)."),
		metric.WithUnit("{task}"))
	suspended, err4 := m.Int64ObservableGauge("hookwire.subscriptions.suspended",
		metric.WithDescription("Subscriptions SUSPENDED by the dispatcher (410 Gone or exhausted deliveries), as its index sees them."),
		metric.WithUnit("{subscription}"))
	ackPending, err5 := m.Int64ObservableGauge("hookwire.consumer.ack_pending",
		metric.WithDescription("Messages of a JetStream consumer delivered to a dispatcher (any replica) and not yet settled (consumer: fanout, deliver, deliver-later)."),
		metric.WithUnit("{message}"))
	redelivered, err6 := m.Int64ObservableGauge("hookwire.consumer.redelivered",
		metric.WithDescription("Unsettled messages of a JetStream consumer that were delivered more than once (a replica died or handed them back)."),
		metric.WithUnit("{message}"))
	oldest, err7 := m.Float64ObservableGauge("hookwire.deliveries.oldest_unsettled",
		metric.WithDescription("How long the oldest DELIVERIES message this dispatcher owns has been unsettled (0 with none)."),
		metric.WithUnit("s"))
	overdue, err8 := m.Float64ObservableGauge("hookwire.retries.overdue",
		metric.WithDescription("How long the earliest retry in the Redis schedule has been past its due time (0: none due); grows when retries are not released."),
		metric.WithUnit("s"))
	up, err9 := m.Int64ObservableGauge("hookwire.gauge.source.up",
		metric.WithDescription("1 when the gauges' source (jetstream, redis) answered at the last reading, else 0: the gauges it feeds are then not reported rather than stale."))
	for _, err := range []error{err1, err2, err3, err4, err5, err6, err7, err8, err9} {
		if err != nil {
			return nil, err
		}
	}
	source := func(name string) metric.ObserveOption {
		return metric.WithAttributeSet(attribute.NewSet(attribute.String("source", name)))
	}
	flag := func(ok bool) int64 {
		if ok {
			return 1
		}
		return 0
	}
	return m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		r := g.read(ctx)
		for name, n := range r.pending {
			by := metric.WithAttributeSet(attribute.NewSet(attribute.String("consumer", name)))
			o.ObserveInt64(lag, n, by)
			o.ObserveInt64(ackPending, r.acks[name], by)
			o.ObserveInt64(redelivered, r.again[name], by)
		}
		o.ObserveInt64(up, flag(len(r.pending) == 3), source("jetstream"))
		o.ObserveInt64(up, flag(r.redisOK), source("redis"))
		o.ObserveFloat64(oldest, r.oldest)
		if r.redisOK {
			o.ObserveInt64(retries, r.retries)
			o.ObserveFloat64(overdue, r.overdue)
			o.ObserveInt64(aside, r.parked, metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "parked"))))
			o.ObserveInt64(aside, r.held, metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "held"))))
		}
		o.ObserveInt64(suspended, r.suspended)
		return nil
	}, lag, retries, aside, suspended, ackPending, redelivered, oldest, overdue, up)
}

// read returns the last reading, refreshed when older than gaugeEvery.
func (g *gauges) read(ctx context.Context) reading {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.at.IsZero() && time.Since(g.at) < gaugeEvery {
		return g.reading
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s := g.s
	r := reading{pending: map[string]int64{}, acks: map[string]int64{}, again: map[string]int64{}}
	for name, c := range map[string]jetstream.Consumer{fanout.Consumer: s.fanCons, DeliverConsumer: s.delCons, RetryConsumer: s.retCons} {
		if info, err := c.Info(ctx); err == nil {
			r.pending[name] = int64(info.NumPending)
			r.acks[name] = int64(info.NumAckPending)
			r.again[name] = int64(info.NumRedelivered)
		}
	}
	var errs [4]error
	r.retries, errs[0] = s.retries.Waiting(ctx)
	var overdue time.Duration
	overdue, errs[1] = s.retries.Overdue(ctx)
	r.overdue = overdue.Seconds()
	r.parked, errs[2] = s.lot.Total(ctx)
	r.held, errs[3] = s.held.Total(ctx)
	r.redisOK = errors.Join(errs[:]...) == nil
	r.suspended = int64(s.index.CountByStatus()[subscription.StatusSuspended])
	r.oldest = s.lanes.Stats().Oldest.Seconds()
	g.reading, g.at = r, time.Now()
	return r
}
