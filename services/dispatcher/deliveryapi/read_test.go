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
	_, err = e.client.GetDelivery(as(readerToken), &hookwirev1.GetDeliveryRequest{DeliveryId: deliverylog.ID("subA", "acquirers/100", "nope")})
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

// Listing by state alone spans subscriptions, and a scoped token sees only
// the deliveries of subscriptions in its scope.
func TestListDeliveriesByStateOnly(t *testing.T) {
	e := startEnv(t)
	e.subscribe(t, "subA", "acquirers/100", []string{saleType}, nil)
	e.subscribe(t, "subB", "acquirers/200", []string{saleType}, nil)
	for i := range 6 {
		st := deliverylog.Failed
		if i%2 == 0 {
			st = deliverylog.Delivered
		}
		e.record(t, "subA", fmt.Sprintf("a-%d", i), "acquirers/100", uint64(i+1), st)
		e.record(t, "subB", fmt.Sprintf("b-%d", i), "acquirers/200", uint64(i+10), st)
	}
	count := func(token string) map[string]int {
		bySub := map[string]int{}
		req := &hookwirev1.ListDeliveriesRequest{State: hookwirev1.DeliveryState_DELIVERY_STATE_FAILED, PageSize: 2}
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("pagination does not end")
			}
			resp, err := e.client.ListDeliveries(as(token), req)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range resp.GetDeliveries() {
				if d.GetState() != hookwirev1.DeliveryState_DELIVERY_STATE_FAILED {
					t.Fatalf("%s in state %s", d.GetId(), d.GetState())
				}
				bySub[d.GetSubscriptionId()]++
			}
			if resp.GetNextPageToken() == "" {
				return bySub
			}
			req.PageToken = resp.GetNextPageToken()
		}
	}
	if got := count(rootToken); got["subA"] != 3 || got["subB"] != 3 {
		t.Fatalf("root sees %v, want 3 failed of each", got)
	}
	if got := count(acq100Token); got["subA"] != 3 || got["subB"] != 0 {
		t.Fatalf("acquirers/100 token sees %v, want only subA's 3", got)
	}
}
