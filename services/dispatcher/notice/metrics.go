package notice

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

const instrumentation = "github.com/hookwire/hookwire/services/dispatcher/notice"

// readEvery is how often the pending gauge reads Redis at most.
const readEvery = 5 * time.Second

// metrics are the outbox's counters and its pending gauge.
type metrics struct {
	sent, failed metric.Int64Counter

	mu      sync.Mutex
	at      time.Time
	pending int64
}

func newMetrics() *metrics {
	m := otel.Meter(instrumentation)
	var errs [2]error
	out := &metrics{}
	out.sent, errs[0] = m.Int64Counter("hookwire.notices.sent",
		metric.WithDescription("Notice e-mails (suspended, recovered) the SMTP server accepted."),
		metric.WithUnit("{notice}"))
	out.failed, errs[1] = m.Int64Counter("hookwire.notices.failed",
		metric.WithDescription("Attempts to send a notice e-mail that failed (each is tried again with back-off)."),
		metric.WithUnit("{attempt}"))
	for _, err := range errs {
		if err != nil { // only on an invalid instrument definition
			otel.Handle(fmt.Errorf("notice metrics: %w", err))
		}
	}
	out.sent.Add(context.Background(), 0) // both series exist from the start, at 0
	out.failed.Add(context.Background(), 0)
	return out
}

// register creates the pending gauge, read from box; the registration must
// be unregistered when the runner stops.
func (m *metrics) register(box *Outbox) (metric.Registration, error) {
	meter := otel.Meter(instrumentation)
	pending, err := meter.Int64ObservableGauge("hookwire.notices.pending",
		metric.WithDescription("Notice e-mails recorded in the outbox and not yet accepted by the SMTP server."),
		metric.WithUnit("{notice}"))
	if err != nil {
		return nil, err
	}
	return meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		o.ObserveInt64(pending, m.readPending(ctx, box))
		return nil
	}, pending)
}

// readPending is the last count, refreshed when older than readEvery (an
// error keeps the previous value).
func (m *metrics) readPending(ctx context.Context, box *Outbox) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.at.IsZero() && time.Since(m.at) < readEvery {
		return m.pending
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if n, err := box.Pending(ctx); err == nil {
		m.pending, m.at = n, time.Now()
	}
	return m.pending
}
