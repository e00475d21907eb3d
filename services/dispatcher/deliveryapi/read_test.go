package deliveryapi_test

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

func TestGetDelivery(t *testing.T) {
	e := startEnv(t)
	e.subscribe(t, "subA", "acquirers/100", []string{saleType}, nil)
	d := e.record(t, "subA", "evt-1", "acquirers/100", 3, deliverylog.Failed)

	resp, err := e.client.GetDelivery(as(readerToken), &hookwirev1.GetDeliveryRequest{DeliveryId: d.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := resp.GetDelivery()
	if got.GetId() != d.ID || got.GetEventId() != "evt-1" || got.GetSubscriptionId() != "subA" ||
		got.GetState() != hookwirev1.DeliveryState_DELIVERY_STATE_FAILED || got.GetEventSequence() != 3 ||
		len(got.GetAttempts()) != 1 || got.GetAttempts()[0].GetHttpStatus() != 500 ||
		got.GetAttempts()[0].GetTrigger() != hookwirev1.AttemptTrigger_ATTEMPT_TRIGGER_SCHEDULED {
		t.Fatalf("GetDelivery = %v", got)
	}
	_, err = e.client.GetDelivery(as(readerToken), &hookwirev1.GetDeliveryRequest{DeliveryId: deliverylog.ID("subA", "nope")})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("unknown delivery: %v, want NotFound", err)
	}
}

func TestListDeliveriesPages(t *testing.T) {
	e := startEnv(t)
	e.subscribe(t, "subA", "acquirers/100", []string{saleType}, nil)
	failed := map[string]bool{}
	for i := range 25 {
		st := deliverylog.Delivered
		if i%4 == 0 {
			st = deliverylog.Failed
		}
		d := e.record(t, "subA", fmt.Sprintf("evt-%d", i), "acquirers/100", uint64(i+1), st)
		if st == deliverylog.Failed {
			failed[d.ID] = true
		}
	}
	for _, tc := range []struct {
		name  string
		state hookwirev1.DeliveryState
		want  int
	}{
		{"all", hookwirev1.DeliveryState_DELIVERY_STATE_UNSPECIFIED, 25},
		{"failed", hookwirev1.DeliveryState_DELIVERY_STATE_FAILED, len(failed)},
		{"pending", hookwirev1.DeliveryState_DELIVERY_STATE_PENDING, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			req := &hookwirev1.ListDeliveriesRequest{SubscriptionId: "subA", State: tc.state, PageSize: 10}
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("pagination does not end")
				}
				resp, err := e.client.ListDeliveries(as(acq100Token), req)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range resp.GetDeliveries() {
					if seen[d.GetId()] {
						t.Fatalf("%s listed twice", d.GetId())
					}
					if tc.state != 0 && d.GetState() != tc.state {
						t.Fatalf("%s in state %s", d.GetId(), d.GetState())
					}
					seen[d.GetId()] = true
				}
				if resp.GetNextPageToken() == "" {
					break
				}
				req.PageToken = resp.GetNextPageToken()
			}
			if len(seen) != tc.want {
				t.Fatalf("listed %d, want %d", len(seen), tc.want)
			}
		})
	}
}
