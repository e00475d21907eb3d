package fanout

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/dedup"
	"github.com/hookwire/hookwire/services/dispatcher/match"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// A fan-out that may run after the DELIVERIES duplicate window — its EVENTS
// message redelivered, or older than half the window — marks its tasks
// Rerun; a fresh first fan-out does not.
func TestRerunMarksTasksTheQueueMayNotDeduplicate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	events, err := bus.EnsureEvents(ctx, js, bus.EventsConfig(1, 2*time.Minute, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	q, err := task.OpenQueue(ctx, js, task.QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ix := match.New()
	ix.Put(&subscription.Record{ID: "s1", EventTypes: []string{"*"}, Status: subscription.StatusActive})
	dd := dedup.New(testkit.StartRedis(t).Client(t), time.Hour)
	cons, err := events.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "test", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	next := func() jetstream.Msg {
		t.Helper()
		b, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range b.Messages() {
			return m
		}
		t.Fatalf("no message: %v", b.Error())
		return nil
	}
	tests := []struct {
		name      string
		ahead     time.Duration // the fan-out's clock ahead of the server's
		redeliver bool
		want      bool
	}{
		{"fresh first fan-out", 0, false, false},
		{"redelivered event", 0, true, true},
		{"event older than half the window", 61 * time.Second, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(ix, dd, q, slog.New(slog.DiscardHandler), Options{
				DuplicateWindow: 2 * time.Minute,
				Now:             func() time.Time { return time.Now().Add(tt.ahead) },
			})
			m, err := bus.Message(bus.Event{ID: "evt-" + tt.name, Type: "ach.returned", Scope: "acquirers/1",
				OccurredAt: time.Now(), Data: []byte(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := js.PublishMsg(ctx, m); err != nil {
				t.Fatal(err)
			}
			msg := next()
			if tt.redeliver {
				_ = msg.Nak()
				msg = next()
			}
			f.Handle(ctx, msg)
			raw, err := q.Stream().GetLastMsgForSubject(ctx, task.SubjectPrefix+"s1")
			if err != nil {
				t.Fatal(err)
			}
			got, err := task.Decode(raw.Data)
			if err != nil || got.EventID != "evt-"+tt.name {
				t.Fatalf("last task = %+v, %v", got, err)
			}
			if got.Rerun != tt.want {
				t.Fatalf("task Rerun = %v, want %v", got.Rerun, tt.want)
			}
		})
	}
}
