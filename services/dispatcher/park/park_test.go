package park

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// TestReleasedTaskIsNotTakenForADuplicate: a task consumed and parked within
// the queue's duplicate window is still stored again on release, because
// its MsgID carries the parking time.
func TestReleasedTaskIsNotTakenForADuplicate(t *testing.T) {
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
	if err := q.Enqueue(ctx, tk); err != nil { // first time on the queue
		t.Fatal(err)
	}
	for range 2 { // parking twice at one time keeps one entry
		if err := lot.Park(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if ids, _ := lot.Subscriptions(ctx); len(ids) != 1 || ids[0] != "s1" {
		t.Fatalf("Subscriptions = %v, want [s1]", ids)
	}
	n, err := lot.Release(ctx, "s1")
	if err != nil || n != 1 {
		t.Fatalf("Release = %d, %v; want 1", n, err)
	}
	info, _ := q.Stream().Info(ctx)
	if info.State.Msgs != 2 {
		t.Fatalf("queue holds %d tasks, want the original and the released one", info.State.Msgs)
	}
	if cnt, _ := lot.Count(ctx, "s1"); cnt != 0 {
		t.Fatalf("%d tasks still parked", cnt)
	}
	if ids, _ := lot.Subscriptions(ctx); len(ids) != 0 {
		t.Fatalf("Subscriptions after release = %v, want none", ids)
	}
}

// repark is the worker of a subscription paused again while its release
// runs: every task released to the queue comes straight back to the lot.
type repark struct {
	q     *task.Queue
	lot   *Lot
	clock *clock.Fake
}

func (r *repark) EnqueueAll(ctx context.Context, ts []task.Task) error {
	if err := r.q.EnqueueAll(ctx, ts); err != nil {
		return err
	}
	r.clock.Advance(time.Millisecond)
	return r.lot.ParkAll(ctx, ts)
}

// TestReleaseEndsWhenTheSubscriptionIsPausedAgain: a release moves only the
// tasks parked when it started; those parked again meanwhile stay for the
// next release instead of being released in a loop.
func TestReleaseEndsWhenTheSubscriptionIsPausedAgain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	q, err := task.OpenQueue(ctx, js, task.QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rdb := testkit.StartRedis(t).Client(t)
	c := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r := &repark{q: q, clock: c}
	lot := New(rdb, r, c, slog.New(slog.DiscardHandler))
	r.lot = lot
	var ts []task.Task
	for i := range 3 * batch / 2 { // more than one batch
		ts = append(ts, task.Task{DeliveryID: fmt.Sprintf("s1_%d", i), SubscriptionID: "s1", EventID: fmt.Sprint(i), EventSeq: 1, Trigger: task.Scheduled})
	}
	if err := lot.ParkAll(ctx, ts); err != nil {
		t.Fatal(err)
	}
	n, err := lot.Release(ctx, "s1")
	if err != nil || n != len(ts) {
		t.Fatalf("Release = %d, %v; want %d tasks released once", n, err, len(ts))
	}
	if cnt, _ := lot.Count(ctx, "s1"); cnt != int64(len(ts)) {
		t.Fatalf("%d tasks parked again, want %d", cnt, len(ts))
	}
	if ids, _ := lot.Subscriptions(ctx); len(ids) != 1 {
		t.Fatalf("Subscriptions = %v, want s1 still listed", ids)
	}
}
