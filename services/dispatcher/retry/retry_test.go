package retry

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

func TestReleaseMovesOnlyDueRetriesOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	q, err := task.OpenQueue(ctx, js, task.QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rdb := testkit.StartRedis(t).Client(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.NewFake(now)
	s := New(rdb, q, c, slog.New(slog.DiscardHandler), 0)
	mk := func(sub string, step int) task.Task {
		return task.Task{DeliveryID: sub + "_k", SubscriptionID: sub, EventID: "e", EventSeq: 1, Step: step, Trigger: task.Scheduled}
	}
	for _, r := range []struct {
		t   task.Task
		due time.Duration
	}{{mk("a", 1), 5 * time.Minute}, {mk("b", 2), 15 * time.Minute}, {mk("a", 1), 5 * time.Minute}} {
		if err := s.Schedule(ctx, r.t, now.Add(r.due)); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name     string
		at       time.Duration
		released int
		waiting  int64
		queued   uint64
	}{
		{"nothing due yet", 4 * time.Minute, 0, 2, 0},
		{"first due", 5 * time.Minute, 1, 1, 1},
		{"second due", time.Hour, 1, 0, 2},
	}
	for _, st := range steps {
		c.Set(now.Add(st.at))
		n, err := s.Release(ctx)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		waiting, _ := s.Waiting(ctx)
		info, _ := q.Stream().Info(ctx)
		if n != st.released || waiting != st.waiting || info.State.Msgs != st.queued {
			t.Fatalf("%s: released %d, waiting %d, queued %d; want %d, %d, %d",
				st.name, n, waiting, info.State.Msgs, st.released, st.waiting, st.queued)
		}
	}
	// A replica that crashed between publish and ZREM publishes again: the
	// queue's duplicate window keeps one task.
	if err := s.Schedule(ctx, mk("a", 1), now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if info, _ := q.Stream().Info(ctx); info.State.Msgs != 2 {
		t.Fatalf("re-published retry stored again: %d tasks, want 2", info.State.Msgs)
	}
}
