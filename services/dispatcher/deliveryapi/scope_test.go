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

func TestScopeIsolation(t *testing.T) {
	e := startEnv(t)
	e.subscribe(t, "subA", "acquirers/100", []string{saleType}, nil)
	e.subscribe(t, "subB", "acquirers/200", []string{saleType}, nil)
	// One event went to subA and subB (published at the root). Deleted
	// subscriptions left deliveries of events under acquirers/200: subGone
	// was at acquirers/200, subGoneParent at the root.
	a := e.record(t, "subA", "shared", "", 1, deliverylog.Failed)
	b := e.record(t, "subB", "shared", "", 1, deliverylog.Failed)
	gone := e.recordOwned(t, "subGone", "shared", "acquirers/200/merchants/9", "acquirers/200")
	goneParent := e.recordOwned(t, "subGoneParent", "shared", "acquirers/200/merchants/9", "")

	listByEvent := func(token string) []string {
		t.Helper()
		resp, err := e.client.ListDeliveries(as(token), &hookwirev1.ListDeliveriesRequest{EventId: "shared"})
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
	for _, tc := range []struct {
		token string
		want  []string
	}{
		{acq100Token, []string{a.ID}},
		{acq200Token, []string{b.ID, gone.ID}},
		{rootToken, []string{a.ID, b.ID, gone.ID, goneParent.ID}},
	} {
		want := slices.Sorted(slices.Values(tc.want))
		if got := listByEvent(tc.token); !slices.Equal(got, want) {
			t.Errorf("%s lists %v by event, want %v", tc.token, got, want)
		}
	}

	hour := timestamppb.New(time.Now().Add(-time.Hour))
	for _, tc := range []struct {
		name  string
		token string
		call  func(token string) error
		want  codes.Code
	}{
		{"get own", acq100Token, func(tok string) error {
			_, err := e.client.GetDelivery(as(tok), &hookwirev1.GetDeliveryRequest{DeliveryId: a.ID})
			return err
		}, codes.OK},
		{"get other scope", acq100Token, func(tok string) error {
			_, err := e.client.GetDelivery(as(tok), &hookwirev1.GetDeliveryRequest{DeliveryId: b.ID})
			return err
		}, codes.NotFound},
		{"get deleted subscription's, other scope", acq100Token, func(tok string) error {
			_, err := e.client.GetDelivery(as(tok), &hookwirev1.GetDeliveryRequest{DeliveryId: gone.ID})
			return err
		}, codes.NotFound},
		{"get deleted subscription's, own scope", acq200Token, func(tok string) error {
			_, err := e.client.GetDelivery(as(tok), &hookwirev1.GetDeliveryRequest{DeliveryId: gone.ID})
			return err
		}, codes.OK},
		{"get deleted parent subscription's from the event's scope", acq200Token, func(tok string) error {
			_, err := e.client.GetDelivery(as(tok), &hookwirev1.GetDeliveryRequest{DeliveryId: goneParent.ID})
			return err
		}, codes.NotFound},
		{"list other subscription", acq100Token, func(tok string) error {
			_, err := e.client.ListDeliveries(as(tok), &hookwirev1.ListDeliveriesRequest{SubscriptionId: "subB"})
			return err
		}, codes.NotFound},
		{"list other subscription and event", acq100Token, func(tok string) error {
			_, err := e.client.ListDeliveries(as(tok), &hookwirev1.ListDeliveriesRequest{SubscriptionId: "subB", EventId: "shared"})
			return err
		}, codes.NotFound},
		{"redeliver other scope", acq100Token, func(tok string) error {
			_, err := e.client.Redeliver(as(tok), &hookwirev1.RedeliverRequest{DeliveryId: b.ID})
			return err
		}, codes.NotFound},
		{"replay other scope", acq100Token, func(tok string) error {
			_, err := e.client.Replay(as(tok), &hookwirev1.ReplayRequest{SubscriptionId: "subB", StartTime: hour})
			return err
		}, codes.NotFound},
		{"replay unknown subscription", rootToken, func(tok string) error {
			_, err := e.client.Replay(as(tok), &hookwirev1.ReplayRequest{SubscriptionId: "nope", StartTime: hour})
			return err
		}, codes.NotFound},
		{"replay needs manage", readerToken, func(tok string) error {
			_, err := e.client.Replay(as(tok), &hookwirev1.ReplayRequest{SubscriptionId: "subA", StartTime: hour})
			return err
		}, codes.PermissionDenied},
		{"no token", "", func(string) error {
			_, err := e.client.GetDelivery(t.Context(), &hookwirev1.GetDeliveryRequest{DeliveryId: a.ID})
			return err
		}, codes.Unauthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(tc.token); status.Code(err) != tc.want {
				t.Fatalf("%v, want %s", err, tc.want)
			}
		})
	}
	if n := len(e.tasks(t)); n != 0 {
		t.Fatalf("%d tasks queued by refused calls", n)
	}
}
