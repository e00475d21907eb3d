package worker

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// TestEventAcceptedIsOneTimeWhereverItIsRead checks what the delivery log
// relies on to find a delivery in one partition: its CreatedAt, the
// event's acceptance, is the same whoever writes it. The fan-out takes it
// from the consumed EVENTS message's metadata (Remember); a retry, a hold
// or another replica reads the event back by sequence (readEvent), from
// any replica of the stream. Both must give the same instant, to the
// nanosecond, on every server of a cluster.
func TestEventAcceptedIsOneTimeWhereverItIsRead(t *testing.T) {
	conns := taggedCluster(t, []string{"events", "events", "events"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	js, err := jetstream.New(conns[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bus.EnsureStream(ctx, js, bus.EventsConfig(3, time.Minute, time.Hour)); err != nil {
		t.Fatal(err)
	}
	m, err := bus.Message(bus.Event{ID: "evt-1", Type: "payment.captured", Scope: "acquirers/1", OccurredAt: time.Now(), Data: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.PublishMsg(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.CreateConsumer(ctx, bus.EventsStream, jetstream.ConsumerConfig{AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(30 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	md, err := msg.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	fanout := md.Timestamp
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tk := task.Task{DeliveryID: "d-1", SubscriptionID: "sub-1", EventID: "evt-1", EventSeq: ack.Sequence}
	for i, nc := range conns {
		jsi, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		events, err := jsi.Stream(ctx, bus.EventsStream)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 { // direct gets go to any replica
			w := New(Deps{Events: events, Logger: logger}, Options{})
			ev, err := w.event(ctx, tk)
			if err != nil {
				t.Fatalf("server %d: %v", i, err)
			}
			if !ev.accepted.Equal(fanout) {
				t.Fatalf("server %d read the event accepted at %s; the fan-out saw %s", i, ev.accepted.Format(time.RFC3339Nano), fanout.Format(time.RFC3339Nano))
			}
		}
	}
}
