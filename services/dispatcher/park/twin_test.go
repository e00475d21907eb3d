package park

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Two replicas woken by one Resume release the same parked tasks at once
// on a 3-node cluster. Where their publishes of one member meet ("duplicate
// message id is in process"), each tries again shortly instead of giving
// up, so when both calls return nothing is left parked (before, the rest
// waited for the 30 s sweep) and every task was put back once.
func TestTwinReleasesLeaveNothingParked(t *testing.T) {
	urls := testkit.StartCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rdb := testkit.StartRedis(t).Client(t)
	c := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var lots []*Lot
	var q0 *task.Queue
	for i := range 2 {
		_, js := testkit.ConnectURL(t, urls[i])
		q, err := task.OpenQueue(ctx, js, task.QueueConfig{Replicas: 3})
		if err != nil {
			t.Fatal(err)
		}
		if q0 == nil {
			q0 = q
		}
		lots = append(lots, New(rdb, q, c, slog.New(slog.DiscardHandler)))
	}
	const rounds, perRound = 6, 2000 // several release batches (512) each
	for r := range rounds {
		sub := fmt.Sprintf("s%d", r)
		var ts []task.Task
		for i := range perRound {
			ts = append(ts, task.Task{DeliveryID: fmt.Sprintf("%s_k%d", sub, i), SubscriptionID: sub, EventID: fmt.Sprintf("e%d", i),
				EventSeq: uint64(i + 1), Trigger: task.Scheduled})
		}
		if err := lots[0].ParkAll(ctx, ts); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(lots))
		for i, l := range lots {
			wg.Go(func() { _, errs[i] = l.Release(ctx, sub) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: replica %d: %v", r, i, err)
			}
		}
		if n, err := lots[0].Count(ctx, sub); err != nil || n != 0 {
			t.Fatalf("round %d: %d tasks still parked after both releases returned (%v)", r, n, err)
		}
	}
	info, err := q0.Stream().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != rounds*perRound {
		t.Fatalf("queue holds %d tasks, want %d released once each", info.State.Msgs, rounds*perRound)
	}
}
