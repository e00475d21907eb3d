package dispatcher

import (
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/park"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// TestRerunFanoutAfterTheDuplicateWindowSendsNothingTwice: a fan-out re-run
// after the DELIVERIES duplicate window (simulated by publishing the same
// step-0 task, marked Rerun as such a fan-out marks it, under another
// Nats-Msg-Id) makes no second request, whether the delivery is finished
// or waiting for its retry; the retry still comes.
func TestRerunFanoutAfterTheDuplicateWindowSendsNothingTwice(t *testing.T) {
	tests := []struct {
		name     string
		failures int // first attempts answered 500
	}{
		{"delivered", 0},
		{"retry waiting", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 2*time.Minute)
			h.rcv.setRespond(func(_ string, n int) int {
				if n <= tt.failures {
					return http.StatusInternalServerError
				}
				return http.StatusOK
			})
			h.subscribe(subscription.Record{ID: "once", EventTypes: []string{"*"}})
			in := h.start()
			ack := h.publish("evt-rerun", "ach.returned", "acquirers/1", nil)
			waitCount(t, h, "once", 1)
			h.waitQuiet()
			id := deliverylog.ID("once", "acquirers/1", "evt-rerun")

			rerun := task.Task{DeliveryID: id, SubscriptionID: "once", EventID: "evt-rerun", EventSeq: ack.Sequence,
				Trigger: task.Scheduled, Rerun: true}
			b, err := rerun.Encode()
			if err != nil {
				t.Fatal(err)
			}
			m := nats.NewMsg(task.SubjectPrefix + "once")
			m.Data = b
			m.Header.Set(jetstream.MsgIDHeader, rerun.MsgID()+".after-the-window")
			if pa, err := h.js.PublishMsg(h.ctx, m); err != nil || pa.Duplicate {
				t.Fatalf("publish the re-run task: %v (duplicate %v)", err, pa != nil && pa.Duplicate)
			}
			h.waitQuiet()
			if n := h.rcv.count("once"); n != 1 {
				t.Fatalf("subscriber got %d requests, want 1: the re-run first attempt was sent", n)
			}
			if tt.failures > 0 {
				h.clock.Set(h.waitRetry())
				waitCount(t, h, "once", 2)
			}
			testkit.Eventually(t, 10*time.Second, func() bool {
				d, err := in.svc.DeliveryLog().Get(h.ctx, id)
				return err == nil && d.State == deliverylog.Delivered && len(d.Attempts) == tt.failures+1
			}, "delivery %s to be DELIVERED after %d attempts", id, tt.failures+1)
			h.waitQuiet()
			if n := h.rcv.count("once"); n != tt.failures+1 {
				t.Fatalf("subscriber got %d requests, want %d", n, tt.failures+1)
			}
		})
	}
}

// TestParkedCopyOfADeliveredTaskSendsNothingTwice: a second copy of a
// first attempt that was already delivered (a redelivered message whose
// ack was lost, a shared message sent again: same task, another
// Nats-Msg-Id, not marked Rerun by anyone) arrives while its subscription
// is paused, so it is parked. Released on Resume, it gets the same "already
// delivered?" check as a re-run (task.Task.SetAside marks it) and sends
// nothing; the delivery keeps its one attempt.
func TestParkedCopyOfADeliveredTaskSendsNothingTwice(t *testing.T) {
	h := newHarness(t, 2*time.Minute)
	h.subscribe(subscription.Record{ID: "twin", EventTypes: []string{"*"}})
	in := h.start()
	ack := h.publish("evt-twin", "ach.returned", "acquirers/1", nil)
	waitCount(t, h, "twin", 1)
	h.waitQuiet()
	id := deliverylog.ID("twin", "acquirers/1", "evt-twin")

	h.setStatus("twin", subscription.StatusPaused)
	h.waitIndexed("twin", subscription.StatusPaused)
	copyOf := task.Task{DeliveryID: id, SubscriptionID: "twin", EventID: "evt-twin", EventSeq: ack.Sequence, Trigger: task.Scheduled}
	b, err := copyOf.Encode()
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(task.SubjectPrefix + "twin")
	m.Data = b
	m.Header.Set(jetstream.MsgIDHeader, copyOf.MsgID()+".second-copy")
	if pa, err := h.js.PublishMsg(h.ctx, m); err != nil || pa.Duplicate {
		t.Fatalf("publish the second copy: %v (duplicate %v)", err, pa != nil && pa.Duplicate)
	}
	testkit.Eventually(t, 20*time.Second, func() bool {
		n, err := h.rdb.ZCard(h.ctx, park.KeyPrefix+"twin").Result()
		return err == nil && n == 1
	}, "the second copy to be parked")
	h.waitQuiet()

	h.setStatus("twin", subscription.StatusActive)
	testkit.Eventually(t, 20*time.Second, func() bool {
		n, err := h.rdb.Exists(h.ctx, park.KeyPrefix+"twin").Result()
		return err == nil && n == 0
	}, "the parked copy to be released")
	h.waitQuiet()
	if n := h.rcv.count("twin"); n != 1 {
		t.Fatalf("subscriber got %d requests, want 1: the parked copy of a delivered task was sent again", n)
	}
	d, err := in.svc.DeliveryLog().Get(h.ctx, id)
	if err != nil || d.State != deliverylog.Delivered || len(d.Attempts) != 1 {
		t.Fatalf("delivery %s = %+v, %v; want DELIVERED after its one attempt", id, d, err)
	}
}
