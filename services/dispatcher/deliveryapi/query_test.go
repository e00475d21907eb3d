package deliveryapi_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// TestListDeliveriesFiltersWithinTheCallersScope: the new filters (status
// class, creation window, none at all) list only deliveries of
// subscriptions the token's scope covers.
func TestListDeliveriesFiltersWithinTheCallersScope(t *testing.T) {
	e := startEnv(t)
	e.subscribe(t, "subA", "acquirers/100", []string{saleType}, nil)
	e.subscribe(t, "subB", "acquirers/200", []string{saleType}, nil)
	a := e.record(t, "subA", "evt-a", "acquirers/100", 1, deliverylog.Failed) // 500
	b := e.record(t, "subB", "evt-b", "acquirers/200", 2, deliverylog.Failed) // 500
	list := func(token string, req *hookwirev1.ListDeliveriesRequest) []string {
		t.Helper()
		resp, err := e.client.ListDeliveries(as(token), req)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range resp.GetDeliveries() {
			ids = append(ids, d.GetId())
		}
		slices.Sort(ids)
		return ids
	}
	five := &hookwirev1.ListDeliveriesRequest{StatusClass: hookwirev1.HttpStatusClass_HTTP_STATUS_CLASS_5XX}
	if got, want := list(rootToken, five), sorted(a.ID, b.ID); !slices.Equal(got, want) {
		t.Fatalf("root lists 5xx %v, want %v", got, want)
	}
	if got := list(acq100Token, five); !slices.Equal(got, []string{a.ID}) {
		t.Fatalf("acquirers/100 lists 5xx %v, want only its own %s", got, a.ID)
	}
	if got := list(acq200Token, &hookwirev1.ListDeliveriesRequest{}); !slices.Equal(got, []string{b.ID}) {
		t.Fatalf("acquirers/200 lists everything as %v, want only its own %s", got, b.ID)
	}
	if got := list(rootToken, &hookwirev1.ListDeliveriesRequest{StatusClass: hookwirev1.HttpStatusClass_HTTP_STATUS_CLASS_2XX}); len(got) != 0 {
		t.Fatalf("2xx lists %v, want none", got)
	}
	future := &hookwirev1.ListDeliveriesRequest{StartTime: timestamppb.New(time.Now().Add(time.Hour))}
	if got := list(rootToken, future); len(got) != 0 {
		t.Fatalf("a window in the future lists %v", got)
	}
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

func TestCountDeliveries(t *testing.T) {
	e := startEnv(t)
	e.subscribe(t, "subA", "acquirers/100", []string{saleType}, nil)
	e.subscribe(t, "subB", "acquirers/200", []string{saleType}, nil)
	e.record(t, "subA", "evt-1", "acquirers/100", 1, deliverylog.Failed)
	e.record(t, "subA", "evt-2", "acquirers/100", 2, deliverylog.Delivered)
	e.record(t, "subA", "evt-3", "acquirers/100", 3, deliverylog.Delivered)
	e.record(t, "subB", "evt-4", "acquirers/200", 4, deliverylog.Pending)
	window := &hookwirev1.CountDeliveriesRequest{StartTime: timestamppb.New(time.Now().Add(-time.Hour))}
	type row struct {
		sub   string
		state hookwirev1.DeliveryState
		n     int64
	}
	count := func(token string, req *hookwirev1.CountDeliveriesRequest) []row {
		t.Helper()
		resp, err := e.client.CountDeliveries(as(token), req)
		if err != nil {
			t.Fatal(err)
		}
		var rows []row
		for _, c := range resp.GetCounts() {
			rows = append(rows, row{c.GetSubscriptionId(), c.GetState(), c.GetCount()})
		}
		return rows
	}
	want := []row{
		{"subA", hookwirev1.DeliveryState_DELIVERY_STATE_DELIVERED, 2},
		{"subA", hookwirev1.DeliveryState_DELIVERY_STATE_FAILED, 1},
		{"subB", hookwirev1.DeliveryState_DELIVERY_STATE_PENDING, 1},
	}
	if got := count(readerToken, window); !slices.Equal(got, want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
	if got := count(acq100Token, window); !slices.Equal(got, want[:2]) {
		t.Fatalf("acquirers/100 counts %v, want its own %v", got, want[:2])
	}
	window.SubscriptionId = "subB"
	if _, err := e.client.CountDeliveries(as(acq100Token), window); status.Code(err) != codes.NotFound {
		t.Fatalf("acquirers/100 counting subB: %v, want NotFound", err)
	}
	window.StartTime = timestamppb.New(time.Now().Add(time.Hour))
	window.EndTime = timestamppb.New(time.Now().Add(2 * time.Hour))
	if got := count(rootToken, window); len(got) != 0 {
		t.Fatalf("a window with no deliveries counts %v", got)
	}
}
