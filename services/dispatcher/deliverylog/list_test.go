package deliverylog_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// pageAll lists every page and fails on a duplicate id.
func pageAll(t *testing.T, l *deliverylog.Log, f deliverylog.Filter, size int) map[string]deliverylog.Delivery {
	t.Helper()
	seen := map[string]deliverylog.Delivery{}
	token := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		ds, next, err := l.List(context.Background(), f, size, token)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) > size {
			t.Fatalf("page of %d, asked %d", len(ds), size)
		}
		for _, d := range ds {
			if _, dup := seen[d.ID]; dup {
				t.Fatalf("delivery %s listed twice", d.ID)
			}
			seen[d.ID] = d
		}
		if next == "" {
			return seen
		}
		token = next
	}
}

func TestListPagination(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, defaultConfig())
	// 250 deliveries of subA over 250 events, a third of them failed; the
	// first 10 events also went to subB.
	want := map[string]map[string]bool{} // filter name -> ids
	add := func(name, id string) {
		if want[name] == nil {
			want[name] = map[string]bool{}
		}
		want[name][id] = true
	}
	for i := range 250 {
		ev := fmt.Sprintf("evt-%03d", i)
		st := deliverylog.Delivered
		if i%3 == 0 {
			st = deliverylog.Failed
		}
		d, err := l.RecordAttempt(ctx, identity("subA", ev), deliverylog.Attempt{Number: 1, Status: 200}, st, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		add("subA", d.ID)
		add("subA-"+string(st), d.ID)
		if i < 10 {
			add("evt-"+ev, d.ID)
			d, err := l.RecordAttempt(ctx, identity("subB", ev), deliverylog.Attempt{Number: 1}, deliverylog.Pending, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			add("subB", d.ID)
			add("evt-"+ev, d.ID)
		}
	}
	for _, tc := range []struct {
		name string
		f    deliverylog.Filter
		size int
		want string
	}{
		{"by subscription", deliverylog.Filter{SubscriptionID: "subA"}, 40, "subA"},
		{"by subscription, one page", deliverylog.Filter{SubscriptionID: "subB"}, 100, "subB"},
		{"by subscription and state", deliverylog.Filter{SubscriptionID: "subA", State: deliverylog.Failed}, 40, "subA-FAILED"},
		{"by subscription and other state", deliverylog.Filter{SubscriptionID: "subA", State: deliverylog.Delivered}, 7, "subA-DELIVERED"},
		{"by event", deliverylog.Filter{EventID: "evt-004"}, 1, "evt-evt-004"},
		{"by subscription and event", deliverylog.Filter{SubscriptionID: "subB", EventID: "evt-004"}, 10, ""},
		{"nothing matches", deliverylog.Filter{SubscriptionID: "subC"}, 10, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pageAll(t, l, tc.f, tc.size)
			wantIDs := want[tc.want]
			if tc.want == "" {
				wantIDs = map[string]bool{deliverylog.ID("subB", "acquirers/100", "evt-004"): true}
			}
			if len(got) != len(wantIDs) {
				t.Errorf("listed %d deliveries, want %d", len(got), len(wantIDs))
			}
			for id := range wantIDs {
				if _, ok := got[id]; !ok {
					t.Errorf("gap: %s not listed", id)
				}
			}
		})
	}
}

func TestListStateScanIsBounded(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, defaultConfig())
	// 1,100 delivered then 1 failed: a page with a state filter reads at most
	// 1,000 records, so the failed one comes on a later page.
	for i := range 1101 {
		st := deliverylog.Delivered
		if i == 1100 {
			st = deliverylog.Failed
		}
		if _, err := l.RecordAttempt(ctx, identity("subA", fmt.Sprint(i)), deliverylog.Attempt{Number: 1}, st, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	ds, next, err := l.List(ctx, deliverylog.Filter{SubscriptionID: "subA", State: deliverylog.Failed}, 10, "")
	if err != nil || len(ds) != 0 || next == "" {
		t.Fatalf("first page: %d deliveries, next %q, err %v; want a short page with a token", len(ds), next, err)
	}
	ds, next, err = l.List(ctx, deliverylog.Filter{SubscriptionID: "subA", State: deliverylog.Failed}, 10, next)
	if err != nil || len(ds) != 1 || next != "" {
		t.Fatalf("second page: %d deliveries, next %q, err %v", len(ds), next, err)
	}
}

func TestListRejectsForeignToken(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, defaultConfig())
	for i := range 3 {
		if _, err := l.RecordAttempt(ctx, identity("subA", fmt.Sprint(i)), deliverylog.Attempt{Number: 1}, deliverylog.Delivered, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	_, next, err := l.List(ctx, deliverylog.Filter{SubscriptionID: "subA"}, 1, "")
	if err != nil || next == "" {
		t.Fatalf("first page: next %q, err %v", next, err)
	}
	for _, tc := range []struct {
		name  string
		f     deliverylog.Filter
		token string
		want  error
	}{
		{"other subscription", deliverylog.Filter{SubscriptionID: "subB"}, next, deliverylog.ErrBadPageToken},
		{"other state", deliverylog.Filter{SubscriptionID: "subA", State: deliverylog.Failed}, next, deliverylog.ErrBadPageToken},
		{"garbage", deliverylog.Filter{SubscriptionID: "subA"}, "!!!", deliverylog.ErrBadPageToken},
		{"bad subscription id", deliverylog.Filter{SubscriptionID: "a.b"}, "", deliverylog.ErrBadFilter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := l.List(ctx, tc.f, 10, tc.token); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
