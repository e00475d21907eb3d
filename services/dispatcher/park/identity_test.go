package park

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Two copies of one task set aside at different times (a lost ack, a
// redelivered shared message) are one member, released once. The old
// stamp of the time set aside made them two members: two releases, two
// retry chains.
func TestSettingAsideTwiceKeepsOneMember(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	q, err := task.OpenQueue(ctx, js, task.QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rdb := testkit.StartRedis(t).Client(t)
	c := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	lot := New(rdb, q, c, slog.New(slog.DiscardHandler))

	tk := task.Task{DeliveryID: "s1_k", SubscriptionID: "s1", EventID: "e", EventSeq: 1, Trigger: task.Scheduled}
	redelivered := tk
	redelivered.Rerun = true
	for _, copy := range []task.Task{tk, redelivered} {
		if err := lot.Park(ctx, copy.SetAside()); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Minute)
	}
	if n, err := lot.Count(ctx, "s1"); err != nil || n != 1 {
		t.Fatalf("%d members for two copies of one task (%v), want 1", n, err)
	}
	if n, err := lot.Release(ctx, "s1"); err != nil || n != 1 {
		t.Fatalf("Release = %d, %v; want 1", n, err)
	}
	info, err := q.Stream().Info(ctx)
	if err != nil || info.State.Msgs != 1 {
		t.Fatalf("queue holds %d messages (%v), want the one released task", info.State.Msgs, err)
	}
}
