package registry_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// TestPaginationAcross1000 creates 1,000 subscriptions through the RPC and
// pages through them with an odd page size: every id once, in id order.
func TestPaginationAcross1000(t *testing.T) {
	e := start(t)
	const total = 1000
	scopes := []string{"acquirers/100", "acquirers/100/merchants/7", "acquirers/200"}
	var (
		mu   sync.Mutex
		want []string
		wg   sync.WaitGroup
		work = make(chan int)
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				resp, err := e.client.CreateSubscription(as(t, rootToken), &hookwirev1.CreateSubscriptionRequest{Subscription: validSub(scopes[i%len(scopes)])})
				if err != nil {
					t.Error(err)
					continue
				}
				mu.Lock()
				want = append(want, resp.GetSubscription().GetId())
				mu.Unlock()
			}
		}()
	}
	for i := range total {
		work <- i
	}
	close(work)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	slices.Sort(want)

	page := func(req *hookwirev1.ListSubscriptionsRequest) []string {
		t.Helper()
		var got []string
		for pages := 0; ; pages++ {
			if pages > total {
				t.Fatal("pagination does not end")
			}
			resp, err := e.client.ListSubscriptions(as(t, rootToken), req)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetSubscriptions()) > int(req.GetPageSize()) && req.GetPageSize() > 0 {
				t.Fatalf("page of %d, page_size %d", len(resp.GetSubscriptions()), req.GetPageSize())
			}
			for _, s := range resp.GetSubscriptions() {
				got = append(got, s.GetId())
			}
			if resp.GetNextPageToken() == "" {
				return got
			}
			req.PageToken = resp.GetNextPageToken()
		}
	}
	got := page(&hookwirev1.ListSubscriptionsRequest{IncludeDescendants: true, PageSize: 37})
	if !slices.Equal(got, want) {
		t.Fatalf("paged %d ids (sorted: %v), want %d in id order without duplicates or gaps", len(got), slices.IsSorted(got), len(want))
	}

	// Filters page the same way; exact scope vs subtree.
	sub100 := page(&hookwirev1.ListSubscriptionsRequest{Scope: "acquirers/100", IncludeDescendants: true, PageSize: 50})
	exact100 := page(&hookwirev1.ListSubscriptionsRequest{Scope: "acquirers/100", PageSize: 50})
	if wantSub, wantExact := 667, 334; len(sub100) != wantSub || len(exact100) != wantExact {
		t.Errorf("acquirers/100 subtree %d, exact %d; want %d and %d", len(sub100), len(exact100), wantSub, wantExact)
	}

	// Default and maximum page sizes.
	resp, err := e.client.ListSubscriptions(as(t, rootToken), &hookwirev1.ListSubscriptionsRequest{IncludeDescendants: true})
	if err != nil || len(resp.GetSubscriptions()) != 100 || resp.GetNextPageToken() == "" {
		t.Errorf("default page: %d items, token %q, %v", len(resp.GetSubscriptions()), resp.GetNextPageToken(), err)
	}
	resp, err = e.client.ListSubscriptions(as(t, rootToken), &hookwirev1.ListSubscriptionsRequest{IncludeDescendants: true, PageSize: 5000})
	if err != nil || len(resp.GetSubscriptions()) != 1000 || resp.GetNextPageToken() != "" {
		t.Errorf("page_size 5000 clamps to 1000: %d items, token %q, %v", len(resp.GetSubscriptions()), resp.GetNextPageToken(), err)
	}
}

func TestListFilters(t *testing.T) {
	e := start(t)
	mk := func(sc string, types ...string) string {
		s := validSub(sc)
		s.EventTypes = types
		return create(t, e, rootToken, s).GetSubscription().GetId()
	}
	all := mk("a", "*")
	sales := mk("a/b", "transaction.sale.*")
	ach := mk("a/b/c", "ach.returned")
	other := mk("z", "ach.*")
	if _, err := e.client.PauseSubscription(as(t, rootToken), &hookwirev1.PauseSubscriptionRequest{Id: ach}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  *hookwirev1.ListSubscriptionsRequest
		want []string
	}{
		{"exact scope", &hookwirev1.ListSubscriptionsRequest{Scope: "a/b"}, []string{sales}},
		{"subtree", &hookwirev1.ListSubscriptionsRequest{Scope: "a", IncludeDescendants: true}, []string{all, sales, ach}},
		{"everything", &hookwirev1.ListSubscriptionsRequest{IncludeDescendants: true}, []string{all, sales, ach, other}},
		{"root exact", &hookwirev1.ListSubscriptionsRequest{}, nil},
		{"event type exact", &hookwirev1.ListSubscriptionsRequest{IncludeDescendants: true, EventType: "ach.returned"}, []string{all, ach, other}},
		{"event type wildcard match", &hookwirev1.ListSubscriptionsRequest{IncludeDescendants: true, EventType: "transaction.sale.voided"}, []string{all, sales}},
		{"status paused", &hookwirev1.ListSubscriptionsRequest{IncludeDescendants: true, Status: hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_PAUSED}, []string{ach}},
		{"status active in subtree", &hookwirev1.ListSubscriptionsRequest{Scope: "a", IncludeDescendants: true, Status: hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_ACTIVE}, []string{all, sales}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := e.client.ListSubscriptions(as(t, rootToken), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range resp.GetSubscriptions() {
				got = append(got, s.GetId())
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
