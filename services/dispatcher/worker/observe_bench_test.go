package worker

import (
	"context"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// BenchmarkObserve is the observer's share of one delivered attempt, over
// the providers the dispatcher installs (telemetry.Setup, no exporter).
func BenchmarkObserve(b *testing.B) {
	_, shutdown, err := telemetry.Setup(context.Background(), "bench", "dev")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = shutdown(context.Background()) })
	o := newObserver()
	t := task.Task{DeliveryID: "sub_0123456789abcdef01234567", SubscriptionID: "sub", EventID: "evt-1", EventSeq: 1, Trigger: task.Scheduled}
	ev := stored{meta: bus.Meta{ID: "evt-1", Type: "ach.returned"}}
	res := deliver.Result{Outcome: deliver.Delivered, Status: 200, Latency: time.Millisecond}
	dec := Decision{Action: Done, State: deliverylog.Delivered}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		actx, span := o.start(ctx, t, ev)
		o.end(span, t, ev, res, dec)
		o.attempted(actx, dec, res.Latency)
	}
}
