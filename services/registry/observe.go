package registry

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/registry/index"
)

const instrumentation = "github.com/hookwire/hookwire/services/registry"

// statuses are reported even when no subscription has them, so a dashboard
// sees 0 rather than no data.
var statuses = []subscription.Status{subscription.StatusActive, subscription.StatusPaused, subscription.StatusSuspended}

// observeSubscriptions registers the gauge hookwire.subscriptions{status}
// (Prometheus hookwire_subscriptions) read from idx once it is synced, on
// the global meter provider. RPC counts and latencies come from otelgrpc.
func observeSubscriptions(idx *index.Index) (metric.Registration, error) {
	meter := otel.Meter(instrumentation)
	gauge, err := meter.Int64ObservableGauge("hookwire.subscriptions",
		metric.WithDescription("Subscriptions by status (ACTIVE, PAUSED, SUSPENDED), as this registry's index sees them."),
		metric.WithUnit("{subscription}"))
	if err != nil {
		return nil, fmt.Errorf("registry metrics: %w", err)
	}
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		select {
		case <-idx.Ready():
		default:
			return nil // partial counts during the initial replay would mislead
		}
		counts := idx.CountByStatus()
		for _, st := range statuses {
			o.ObserveInt64(gauge, int64(counts[st]), metric.WithAttributeSet(attribute.NewSet(attribute.String("status", string(st)))))
		}
		return nil
	}, gauge)
	if err != nil {
		return nil, fmt.Errorf("registry metrics: %w", err)
	}
	return reg, nil
}
