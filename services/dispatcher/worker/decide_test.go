package worker

import (
	"errors"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	delays := []time.Duration{5 * time.Minute, 15 * time.Minute, 45 * time.Minute}
	at := func(step int, tr task.Trigger) task.Task {
		return task.Task{DeliveryID: "s_k", SubscriptionID: "s", EventID: "e", EventSeq: 1, Step: step, Trigger: tr}
	}
	tests := []struct {
		name   string
		res    deliver.Result
		t      task.Task
		action Action
		state  deliverylog.State
		wait   time.Duration // with Retry
	}{
		{"delivered", deliver.Result{Outcome: deliver.Delivered, Status: 200}, at(0, task.Scheduled), Done, deliverylog.Delivered, 0},
		{"first failure waits 5m", deliver.Result{Outcome: deliver.Retryable, Status: 500}, at(0, task.Scheduled), Retry, deliverylog.Pending, 5 * time.Minute},
		{"third failure waits 45m", deliver.Result{Outcome: deliver.Retryable, Status: 500}, at(2, task.Scheduled), Retry, deliverylog.Pending, 45 * time.Minute},
		{"fourth failure is final", deliver.Result{Outcome: deliver.Retryable, Status: 500}, at(3, task.Scheduled), Done, deliverylog.Failed, 0},
		{"replay retries", deliver.Result{Outcome: deliver.Retryable, Err: errors.New("timeout")}, at(0, task.Replay), Retry, deliverylog.Pending, 5 * time.Minute},
		{"redeliver is one-shot", deliver.Result{Outcome: deliver.Retryable, Status: 502}, at(0, task.Redeliver), Done, deliverylog.Failed, 0},
		{"throttled honours Retry-After", deliver.Result{Outcome: deliver.Throttled, Status: 429, RetryAfter: 30 * time.Second}, at(1, task.Scheduled), Retry, deliverylog.Pending, 30 * time.Second},
		{"throttled on the last step fails", deliver.Result{Outcome: deliver.Throttled, Status: 429, RetryAfter: time.Second}, at(3, task.Scheduled), Done, deliverylog.Failed, 0},
		{"gone parks", deliver.Result{Outcome: deliver.Gone, Status: 410}, at(1, task.Scheduled), Park, deliverylog.Pending, 0},
		{"refused fails at once", deliver.Result{Outcome: deliver.Refused, Err: deliver.ErrForbiddenAddress}, at(0, task.Scheduled), Done, deliverylog.Failed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.res, tt.t, delays, now, nil)
			if d.Action != tt.action || d.State != tt.state {
				t.Fatalf("Decide = action %d state %s, want %d %s", d.Action, d.State, tt.action, tt.state)
			}
			if d.Action == Retry {
				if got := d.At.Sub(now); got != tt.wait {
					t.Fatalf("retry after %s, want %s", got, tt.wait)
				}
				if d.Next.Step != tt.t.Step+1 || d.Next.DeliveryID != tt.t.DeliveryID {
					t.Fatalf("next task = %+v", d.Next)
				}
			}
		})
	}
}

func TestDecideJitterOnlyLengthensScheduledDelays(t *testing.T) {
	now := time.Unix(0, 0)
	j := func(d time.Duration) time.Duration { return d / 10 }
	tk := task.Task{Trigger: task.Scheduled}
	d := Decide(deliver.Result{Outcome: deliver.Retryable}, tk, []time.Duration{time.Minute}, now, j)
	if got := d.At.Sub(now); got != 66*time.Second {
		t.Fatalf("jittered wait = %s, want 66s", got)
	}
}
