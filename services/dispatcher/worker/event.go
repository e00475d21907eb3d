package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// errEventGone: the event is no longer in EVENTS (expired after the
// stream's max age, or purged); the delivery cannot be made.
var errEventGone = errors.New("event no longer stored in EVENTS")

// stored is an event read back from EVENTS.
type stored struct {
	meta        bus.Meta
	body        []byte
	traceparent string
}

// event reads t's event by sequence and checks it is the one the task
// names (a purged and reused sequence must never deliver another body).
func (w *Worker) event(ctx context.Context, t task.Task) (stored, error) {
	ev, err := w.cache.get(ctx, t.EventSeq, func(ctx context.Context) (stored, error) {
		return w.readEvent(ctx, t)
	})
	if err == nil && ev.meta.ID != t.EventID {
		return stored{}, fmt.Errorf("%w (sequence %d holds another event)", errEventGone, t.EventSeq)
	}
	return ev, err
}

// readEvent reads the event at t.EventSeq from EVENTS.
func (w *Worker) readEvent(ctx context.Context, t task.Task) (stored, error) {
	m, err := w.d.Events.GetMsg(ctx, t.EventSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return stored{}, fmt.Errorf("%w (sequence %d)", errEventGone, t.EventSeq)
	}
	if err != nil {
		return stored{}, fmt.Errorf("read event %s at %d: %w", t.EventID, t.EventSeq, err)
	}
	meta, err := bus.ReadMeta(m.Header)
	if err != nil {
		return stored{}, fmt.Errorf("%w (sequence %d holds another message)", errEventGone, t.EventSeq)
	}
	return stored{meta: meta, body: m.Data, traceparent: m.Header.Get("traceparent")}, nil
}

// Remember caches the event at seq as the fan-out read it from EVENTS, so
// that its deliveries need not read it back (one round trip per event on
// the latency path).
func (w *Worker) Remember(seq uint64, meta bus.Meta, body []byte, traceparent string) {
	w.cache.put(seq, stored{meta: meta, body: body, traceparent: traceparent})
}
