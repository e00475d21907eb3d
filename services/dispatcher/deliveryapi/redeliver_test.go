package deliveryapi_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

func TestRedeliver(t *testing.T) {
	e := startEnv(t)
	e.subscribe(t, "subA", "acquirers/100", []string{saleType}, nil)
	for _, tc := range []struct {
		state deliverylog.State
		want  codes.Code
	}{
		{deliverylog.Failed, codes.OK},
		{deliverylog.Delivered, codes.OK},
		{deliverylog.Discarded, codes.OK},
		{deliverylog.Pending, codes.FailedPrecondition},
	} {
		t.Run(string(tc.state), func(t *testing.T) {
			d := e.record(t, "subA", "evt-"+string(tc.state), "acquirers/100", 42, tc.state)
			before := len(e.tasks(t))
			resp, err := e.client.Redeliver(as(acq100Token), &hookwirev1.RedeliverRequest{DeliveryId: d.ID})
			if status.Code(err) != tc.want {
				t.Fatalf("Redeliver: %v, want %s", err, tc.want)
			}
			tasks := e.tasks(t)[before:]
			if tc.want != codes.OK {
				if len(tasks) != 0 {
					t.Fatalf("refused redeliver queued %v", tasks)
				}
				return
			}
			if resp.GetDelivery().GetState() != hookwirev1.DeliveryState_DELIVERY_STATE_PENDING {
				t.Errorf("state after Redeliver: %s", resp.GetDelivery().GetState())
			}
			if len(tasks) != 1 {
				t.Fatalf("%d tasks queued, want 1: %v", len(tasks), tasks)
			}
			tk := tasks[0]
			if tk.DeliveryID != d.ID || tk.SubscriptionID != "subA" || tk.EventID != d.EventID || tk.EventSeq != 42 ||
				tk.Step != 0 || tk.Trigger != task.Redeliver || tk.Run == "" {
				t.Errorf("task %+v", tk)
			}
			// Now pending: a second Redeliver is refused until the attempt is recorded.
			_, err = e.client.Redeliver(as(acq100Token), &hookwirev1.RedeliverRequest{DeliveryId: d.ID})
			if status.Code(err) != codes.FailedPrecondition {
				t.Errorf("second Redeliver: %v, want FailedPrecondition", err)
			}
			if n := len(e.tasks(t)) - before; n != 1 {
				t.Errorf("%d tasks after the second Redeliver, want 1", n)
			}
		})
	}
}

func TestRedeliverRefusals(t *testing.T) {
	e := startEnv(t)
	e.subscribe(t, "subA", "acquirers/100", []string{saleType}, nil)
	gone := e.record(t, "subGone", "evt-1", "acquirers/100", 1, deliverylog.Failed)
	noSeq := e.record(t, "subA", "evt-noseq", "acquirers/100", 0, deliverylog.Failed)
	for _, tc := range []struct {
		name, id, token string
		want            codes.Code
	}{
		{"unknown delivery", deliverylog.ID("subA", "acquirers/100", "nope"), acq100Token, codes.NotFound},
		{"deleted subscription", gone.ID, rootToken, codes.FailedPrecondition},
		{"deleted root subscription, from its events' scope", gone.ID, acq100Token, codes.NotFound},
		{"no event sequence", noSeq.ID, acq100Token, codes.FailedPrecondition},
		{"read-only token", noSeq.ID, readerToken, codes.PermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.Redeliver(as(tc.token), &hookwirev1.RedeliverRequest{DeliveryId: tc.id})
			if status.Code(err) != tc.want {
				t.Fatalf("Redeliver: %v, want %s", err, tc.want)
			}
		})
	}
	if n := len(e.tasks(t)); n != 0 {
		t.Fatalf("%d tasks queued by refused calls", n)
	}
}
