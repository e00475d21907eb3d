package registry_test

import (
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// TestAuditRecordsPrincipal: created_by/updated_by are the caller-chosen
// x-user-id; created_by_principal/updated_by_principal are the token that
// was authenticated, whatever x-user-id claims, and are kept in the record.
func TestAuditRecordsPrincipal(t *testing.T) {
	e := start(t)
	resp, err := e.client.CreateSubscription(as(t, acq100Token, "x-user-id", "root"),
		&hookwirev1.CreateSubscriptionRequest{Subscription: validSub("acquirers/100")})
	if err != nil {
		t.Fatal(err)
	}
	sub := resp.GetSubscription()
	if sub.GetCreatedBy() != "root" || sub.GetCreatedByPrincipal() != "acq100" || sub.GetUpdatedByPrincipal() != "acq100" {
		t.Fatalf("created by %q (principal %q), updated by principal %q; want root, acq100, acq100",
			sub.GetCreatedBy(), sub.GetCreatedByPrincipal(), sub.GetUpdatedByPrincipal())
	}

	up, err := e.client.UpdateSubscription(as(t, rootToken, "x-user-id", "acq100"), &hookwirev1.UpdateSubscriptionRequest{
		Subscription: &hookwirev1.Subscription{Id: sub.GetId(), Label: "renamed"},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"label"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := up.GetSubscription(); s.GetUpdatedBy() != "acq100" || s.GetUpdatedByPrincipal() != "root" || s.GetCreatedByPrincipal() != "acq100" {
		t.Fatalf("after update: updated by %q (principal %q), created by principal %q", s.GetUpdatedBy(), s.GetUpdatedByPrincipal(), s.GetCreatedByPrincipal())
	}

	p, err := e.client.PauseSubscription(as(t, acq100Token), &hookwirev1.PauseSubscriptionRequest{Id: sub.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if p.GetSubscription().GetUpdatedByPrincipal() != "acq100" || p.GetSubscription().GetUpdatedBy() != "" {
		t.Fatalf("after pause: updated by %q (principal %q)", p.GetSubscription().GetUpdatedBy(), p.GetSubscription().GetUpdatedByPrincipal())
	}
	got, err := e.client.GetSubscription(as(t, readerToken), &hookwirev1.GetSubscriptionRequest{Id: sub.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if g := got.GetSubscription(); g.GetCreatedByPrincipal() != "acq100" || g.GetUpdatedByPrincipal() != "acq100" {
		t.Fatalf("read back: %v", g)
	}
	if rec := rawRecord(t, e, sub.GetId()); rec.CreatedByPrincipal != "acq100" || rec.UpdatedByPrincipal != "acq100" {
		t.Fatalf("stored record: %q, %q", rec.CreatedByPrincipal, rec.UpdatedByPrincipal)
	}
}
