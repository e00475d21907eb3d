package registry_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/hookwire/hookwire/pkg/catalog"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/services/registry"
)

func TestEventTypes(t *testing.T) {
	e := start(t)
	ctx := as(t, rootToken)

	// An unknown exact type is rejected until it is catalogued.
	s := validSub("")
	s.EventTypes = []string{"loyalty.points.earned"}
	_, err := e.client.CreateSubscription(ctx, &hookwirev1.CreateSubscriptionRequest{Subscription: s})
	wantField(t, err, "subscription.event_types[0]")
	ct, err := e.client.CreateEventType(ctx, &hookwirev1.CreateEventTypeRequest{EventType: &hookwirev1.EventType{Name: "loyalty.points.earned", Description: "Points earned"}})
	if err != nil || ct.GetEventType().GetCreateTime() == nil {
		t.Fatalf("CreateEventType = %v, %v", ct, err)
	}
	create(t, e, rootToken, s)
	_, err = e.client.CreateEventType(ctx, &hookwirev1.CreateEventTypeRequest{EventType: &hookwirev1.EventType{Name: "loyalty.points.earned"}})
	wantCode(t, err, codes.AlreadyExists)

	// Prefix filter.
	sales, err := e.client.ListEventTypes(ctx, &hookwirev1.ListEventTypesRequest{Prefix: "transaction.sale."})
	if err != nil || len(sales.GetEventTypes()) != 7 || sales.GetNextPageToken() != "" {
		t.Fatalf("ListEventTypes(transaction.sale.) = %d types, %v", len(sales.GetEventTypes()), err)
	}

	// Pagination: every catalogued type once, in name order.
	ref, _ := catalog.Reference()
	var got []string
	req := &hookwirev1.ListEventTypesRequest{PageSize: 5}
	for {
		resp, err := e.client.ListEventTypes(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, et := range resp.GetEventTypes() {
			got = append(got, et.GetName())
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if len(got) != len(ref)+1 || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Fatalf("paged %d names (sorted %v), want %d unique sorted", len(got), slices.IsSorted(got), len(ref)+1)
	}
}

func TestOperationalTypesAlwaysEnsured(t *testing.T) {
	e := start(t, func(c *registry.Config) { c.CatalogFile = "" })
	resp, err := e.client.ListEventTypes(as(t, rootToken), &hookwirev1.ListEventTypesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, et := range resp.GetEventTypes() {
		names = append(names, et.GetName())
	}
	want := []string{"hookwire.delivery.exhausted", "hookwire.subscription.recovered", "hookwire.subscription.suspended", "hookwire.test"}
	if !slices.Equal(names, want) {
		t.Fatalf("without a catalog file: %v, want only %v", names, want)
	}
}

func TestDevLoadsReferenceCatalog(t *testing.T) {
	e := start(t, func(c *registry.Config) { c.CatalogFile, c.Dev = "", true })
	resp, err := e.client.ListEventTypes(as(t, rootToken), &hookwirev1.ListEventTypesRequest{Prefix: "checkout."})
	if err != nil || len(resp.GetEventTypes()) != 4 {
		t.Fatalf("dev catalog checkout.* = %v, %v", resp, err)
	}
	for _, et := range resp.GetEventTypes() {
		if !strings.Contains(et.GetDescription(), "CHECKOUT_") {
			t.Errorf("%s description %q lost the original name", et.GetName(), et.GetDescription())
		}
	}
}

func TestAuthRulesCoverEveryMethod(t *testing.T) {
	svcRules := startRules(t)
	for _, m := range hookwirev1.RegistryService_ServiceDesc.Methods {
		full := "/" + hookwirev1.RegistryService_ServiceDesc.ServiceName + "/" + m.MethodName
		if _, ok := svcRules[full]; !ok {
			t.Errorf("no auth rule for %s", full)
		}
	}
}
