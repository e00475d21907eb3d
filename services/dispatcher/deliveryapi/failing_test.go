package deliveryapi_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// TestListFailingSubscriptions: the ranking counts failed attempts of the
// window within the caller's scope, deleted subscriptions judged by the
// scope their deliveries recorded, and never one that exists elsewhere.
func TestListFailingSubscriptions(t *testing.T) {
	e := startEnv(t)
	e.subscribe(t, "subA", "acquirers/100", []string{saleType}, nil)
	e.subscribe(t, "subB", "acquirers/200", []string{saleType}, nil)
	e.subscribe(t, "subMoved", "acquirers/200", []string{saleType}, nil)
	now := time.Now().UTC()
	attempts := func(sub, subScope, event string, statuses ...int) {
		t.Helper()
		d := deliverylog.Delivery{SubscriptionID: sub, EventID: event, EventType: saleType, Scope: subScope, SubscriptionScope: subScope, EventSeq: 1}
		for i, st := range statuses {
			a := deliverylog.Attempt{Number: i + 1, StartedAt: now.Add(time.Duration(i-len(statuses)) * time.Minute), Status: st}
			if st == 0 {
				a.Error = "context deadline exceeded"
			}
			if _, err := e.log.RecordAttempt(context.Background(), d, a, deliverylog.Pending, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	attempts("subA", "acquirers/100", "evt-1", 500, 0, 200)
	attempts("subB", "acquirers/200", "evt-2", 503)
	attempts("subGone", "acquirers/100/merchants/7", "evt-3", 500, 500, 500) // deleted since
	// Its deliveries say acquirers/100, the subscription is elsewhere now:
	// not shown to acquirers/100.
	attempts("subMoved", "acquirers/100", "evt-4", 404, 404, 404, 404)
	rank := func(token string, req *hookwirev1.ListFailingSubscriptionsRequest) ([]string, []*hookwirev1.SubscriptionFailures) {
		t.Helper()
		resp, err := e.client.ListFailingSubscriptions(as(token), req)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range resp.GetSubscriptions() {
			ids = append(ids, s.GetSubscriptionId())
		}
		return ids, resp.GetSubscriptions()
	}
	hour := timestamppb.New(now.Add(-time.Hour))
	ids, got := rank(readerToken, &hookwirev1.ListFailingSubscriptionsRequest{StartTime: hour})
	if want := []string{"subMoved", "subGone", "subA", "subB"}; !slices.Equal(ids, want) {
		t.Fatalf("reader ranks %v, want %v", ids, want)
	}
	if a := got[2]; a.GetFailedAttempts() != 2 || a.GetLastHttpStatus() != 0 || a.GetLastError() != "context deadline exceeded" ||
		!a.GetLastFailureTime().AsTime().Equal(now.Add(-2*time.Minute).Truncate(time.Microsecond)) {
		t.Fatalf("subA: %v", a)
	}
	if b := got[3]; b.GetFailedAttempts() != 1 || b.GetLastHttpStatus() != 503 || b.GetLastError() != "HTTP 503 Service Unavailable" {
		t.Fatalf("subB: %v", b)
	}
	if ids, _ := rank(acq100Token, &hookwirev1.ListFailingSubscriptionsRequest{StartTime: hour}); !slices.Equal(ids, []string{"subGone", "subA"}) {
		t.Fatalf("acquirers/100 ranks %v, want its own subGone, subA", ids)
	}
	if ids, _ := rank(rootToken, &hookwirev1.ListFailingSubscriptionsRequest{StartTime: hour, Scope: "acquirers/200"}); !slices.Equal(ids, []string{"subB"}) {
		t.Fatalf("root under acquirers/200 ranks %v, want subB", ids)
	}
	if ids, _ := rank(rootToken, &hookwirev1.ListFailingSubscriptionsRequest{StartTime: hour, Limit: 1}); !slices.Equal(ids, []string{"subMoved"}) {
		t.Fatalf("limit 1 ranks %v", ids)
	}
	// The store ranks subMoved first under acquirers/100; hidden from the
	// caller, it does not take a place of the limit.
	for limit, want := range map[int32][]string{1: {"subGone"}, 2: {"subGone", "subA"}} {
		if ids, _ := rank(acq100Token, &hookwirev1.ListFailingSubscriptionsRequest{StartTime: hour, Limit: limit}); !slices.Equal(ids, want) {
			t.Fatalf("acquirers/100, limit %d, ranks %v, want %v", limit, ids, want)
		}
	}
	// The last 150 s: two failures each of subGone and subMoved (a tie at
	// the same last time: by id), one of subB (the latest) and subA.
	recent := timestamppb.New(now.Add(-150 * time.Second))
	if ids, _ := rank(rootToken, &hookwirev1.ListFailingSubscriptionsRequest{StartTime: recent}); !slices.Equal(ids, []string{"subGone", "subMoved", "subB", "subA"}) {
		t.Fatalf("the last 150 s rank %v", ids)
	}
	for _, tc := range []struct {
		name  string
		token string
		req   *hookwirev1.ListFailingSubscriptionsRequest
		code  codes.Code
	}{
		{"no start", rootToken, &hookwirev1.ListFailingSubscriptionsRequest{}, codes.InvalidArgument},
		{"empty window", rootToken, &hookwirev1.ListFailingSubscriptionsRequest{StartTime: hour, EndTime: hour}, codes.InvalidArgument},
		{"limit", rootToken, &hookwirev1.ListFailingSubscriptionsRequest{StartTime: hour, Limit: 5000}, codes.InvalidArgument},
		{"window over a day", readerToken, &hookwirev1.ListFailingSubscriptionsRequest{StartTime: timestamppb.New(time.Unix(0, 0))}, codes.InvalidArgument},
		{"window over a day before its end", readerToken, &hookwirev1.ListFailingSubscriptionsRequest{
			StartTime: timestamppb.New(now.Add(-49 * time.Hour)), EndTime: timestamppb.New(now.Add(-24 * time.Hour))}, codes.InvalidArgument},
		{"bad scope", rootToken, &hookwirev1.ListFailingSubscriptionsRequest{StartTime: hour, Scope: "/x//"}, codes.InvalidArgument},
		{"another's scope", acq100Token, &hookwirev1.ListFailingSubscriptionsRequest{StartTime: hour, Scope: "acquirers/200"}, codes.PermissionDenied},
	} {
		if _, err := e.client.ListFailingSubscriptions(as(tc.token), tc.req); status.Code(err) != tc.code {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.code)
		}
	}
	_, err := e.client.ListFailingSubscriptions(as(readerToken), &hookwirev1.ListFailingSubscriptionsRequest{StartTime: timestamppb.New(time.Unix(0, 0))})
	if fields := badrequest.FieldsOf(err); !slices.Equal(fields, []string{"start_time"}) {
		t.Fatalf("a window from 1970 names %v, want start_time (%v)", fields, err)
	}
}

// TestListFailingSubscriptionsTruncated: a ranking the store cut at its
// scan budget says so.
func TestListFailingSubscriptionsTruncated(t *testing.T) {
	e := startEnv(t, deliverylog.WithScanBudget(2))
	now := time.Now().UTC()
	for _, ev := range []string{"evt-1", "evt-2", "evt-3"} {
		d := deliverylog.Delivery{SubscriptionID: "subA", EventID: ev, EventType: saleType, Scope: "acquirers/100", SubscriptionScope: "acquirers/100", EventSeq: 1}
		if _, err := e.log.RecordAttempt(context.Background(), d, deliverylog.Attempt{Number: 1, StartedAt: now.Add(-time.Minute), Status: 503},
			deliverylog.Pending, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := e.client.ListFailingSubscriptions(as(rootToken), &hookwirev1.ListFailingSubscriptionsRequest{StartTime: timestamppb.New(now.Add(-time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.GetTruncated() || len(resp.GetSubscriptions()) != 1 || resp.GetSubscriptions()[0].GetFailedAttempts() != 2 {
		t.Fatalf("got %v, want subA's 2 newest failures, truncated", resp)
	}
}
