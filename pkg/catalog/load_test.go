package catalog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/catalog"
	"github.com/hookwire/hookwire/pkg/testkit"
)

func TestReference(t *testing.T) {
	types, err := catalog.Reference()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, et := range types {
		if et.Description == "" {
			t.Errorf("%s has no description", et.Name)
		}
		names[et.Name] = true
	}
	for _, want := range []string{
		"cau.submitted", "ach.returned", "product.inventory.adjusted", "transaction.sale.success",
		"transaction.refund.voided", "settlement.batch.failure", "checkout.success", "checkout.dropout",
		"payment.authorized", "payment.cancelled", "vault.3ds_payment.success", "vault.recurring_payment.failure",
		"hookwire.subscription.suspended", "hookwire.subscription.recovered", "hookwire.delivery.exhausted", "hookwire.test",
	} {
		if !names[want] {
			t.Errorf("reference catalog lacks %s", want)
		}
	}
	ops, err := catalog.Operational()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 4 {
		t.Errorf("Operational() = %d types, want 4", len(ops))
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"ok", `[{"name":"a.b","description":"x"}]`, ""},
		{"bad json", `{`, "parse catalog"},
		{"bad name", `[{"name":"A.B"}]`, "entry 0"},
		{"duplicate", `[{"name":"a"},{"name":"a"}]`, "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := catalog.Parse([]byte(tt.in))
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Parse(%s) = %v, want error containing %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestLoadCreatesMissingOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n := testkit.StartNATS(t)
	_, js := n.Connect(t)
	c, err := catalog.Open(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, catalog.EventType{Name: "ach.returned", Description: "operator's own", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	types, err := catalog.Reference()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Load(ctx, types); err != nil {
		t.Fatal(err)
	}
	if err := c.Load(ctx, types); err != nil {
		t.Fatalf("second Load: %v", err)
	}
	got, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(types) {
		t.Fatalf("List = %d types, want %d", len(got), len(types))
	}
	et, err := c.Get(ctx, "ach.returned")
	if err != nil || et.Description != "operator's own" {
		t.Fatalf("Get(ach.returned) = %+v, %v; Load must not overwrite", et, err)
	}
}
