package deliveryapi_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

func TestBadInputNamesTheField(t *testing.T) {
	e := startEnv(t)
	c := e.client
	now := time.Now()
	ts := timestamppb.New
	list := func(r *hookwirev1.ListDeliveriesRequest) func(context.Context) error {
		return func(ctx context.Context) error { _, err := c.ListDeliveries(ctx, r); return err }
	}
	get := func(id string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := c.GetDelivery(ctx, &hookwirev1.GetDeliveryRequest{DeliveryId: id})
			return err
		}
	}
	redeliver := func(id string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := c.Redeliver(ctx, &hookwirev1.RedeliverRequest{DeliveryId: id})
			return err
		}
	}
	count := func(r *hookwirev1.CountDeliveriesRequest) func(context.Context) error {
		return func(ctx context.Context) error { _, err := c.CountDeliveries(ctx, r); return err }
	}
	replay := func(r *hookwirev1.ReplayRequest) func(context.Context) error {
		return func(ctx context.Context) error { _, err := c.Replay(ctx, r); return err }
	}
	for _, tc := range []struct {
		name  string
		call  func(context.Context) error
		field string
	}{
		{"list unknown status class", list(&hookwirev1.ListDeliveriesRequest{StatusClass: 99}), "status_class"},
		{"list window ends before it starts", list(&hookwirev1.ListDeliveriesRequest{StartTime: ts(now), EndTime: ts(now.Add(-time.Hour))}), "end_time"},
		{"count without start", count(&hookwirev1.CountDeliveriesRequest{}), "start_time"},
		{"count end before start", count(&hookwirev1.CountDeliveriesRequest{StartTime: ts(now), EndTime: ts(now.Add(-time.Hour))}), "end_time"},
		{"count bad subscription id", count(&hookwirev1.CountDeliveriesRequest{SubscriptionId: "a.b", StartTime: ts(now)}), "subscription_id"},
		{"list bad subscription id", list(&hookwirev1.ListDeliveriesRequest{SubscriptionId: "a.b"}), "subscription_id"},
		{"list long event id", list(&hookwirev1.ListDeliveriesRequest{EventId: strings.Repeat("e", 129)}), "event_id"},
		{"list unknown state", list(&hookwirev1.ListDeliveriesRequest{SubscriptionId: "s", State: 99}), "state"},
		{"list negative page size", list(&hookwirev1.ListDeliveriesRequest{SubscriptionId: "s", PageSize: -1}), "page_size"},
		{"list page size too big", list(&hookwirev1.ListDeliveriesRequest{SubscriptionId: "s", PageSize: 1001}), "page_size"},
		{"list garbage page token", list(&hookwirev1.ListDeliveriesRequest{SubscriptionId: "s", PageToken: "garbage"}), "page_token"},
		{"get without id", get(""), "delivery_id"},
		{"get malformed id", get("sub_123"), "delivery_id"},
		{"redeliver without id", redeliver(""), "delivery_id"},
		{"redeliver malformed id", redeliver("no-underscore"), "delivery_id"},
		{"replay without subscription", replay(&hookwirev1.ReplayRequest{StartTime: ts(now.Add(-time.Hour))}), "subscription_id"},
		{"replay bad subscription id", replay(&hookwirev1.ReplayRequest{SubscriptionId: "a*", StartTime: ts(now.Add(-time.Hour))}), "subscription_id"},
		{"replay without start", replay(&hookwirev1.ReplayRequest{SubscriptionId: "s"}), "start_time"},
		{"replay invalid start", replay(&hookwirev1.ReplayRequest{SubscriptionId: "s", StartTime: &timestamppb.Timestamp{Nanos: -1}}), "start_time"},
		{"replay invalid end", replay(&hookwirev1.ReplayRequest{SubscriptionId: "s", StartTime: ts(now.Add(-time.Hour)), EndTime: &timestamppb.Timestamp{Seconds: 1 << 62}}), "end_time"},
		{"replay end before start", replay(&hookwirev1.ReplayRequest{SubscriptionId: "s", StartTime: ts(now.Add(-time.Hour)), EndTime: ts(now.Add(-2 * time.Hour))}), "end_time"},
		{"replay start in the future", replay(&hookwirev1.ReplayRequest{SubscriptionId: "s", StartTime: ts(now.Add(time.Hour))}), "start_time"},
		{"replay window beyond EVENTS max age", replay(&hookwirev1.ReplayRequest{SubscriptionId: "s", StartTime: ts(now.Add(-25 * time.Hour))}), "start_time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(as(rootToken))
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("code %s (%v), want InvalidArgument", status.Code(err), err)
			}
			if fields := badrequest.FieldsOf(err); !slices.Contains(fields, tc.field) {
				t.Fatalf("fields %v, want %q", fields, tc.field)
			}
		})
	}
}
