package registry_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/signing"
	"github.com/hookwire/hookwire/pkg/subscription"
)

func TestCRUD(t *testing.T) {
	e := start(t)
	full := validSub("acquirers/100/merchants/2000")
	full.AttributeFilters = map[string]*hookwirev1.AttributeValues{"payment_method": {Values: []string{"CARD", "BLIK"}}}
	full.Auth = &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{Basic: &hookwirev1.BasicAuth{Username: "hook", Password: "pw-secret-1"}}}
	full.RetryPolicy = &hookwirev1.RetryPolicy{Delays: []*durationpb.Duration{durationpb.New(time.Minute), durationpb.New(time.Hour)}}
	full.RateLimit = &hookwirev1.RateLimit{PerSecond: 5, Burst: 10}
	full.NotificationEmails = []string{"ops@example.com"}
	full.SupportEmail = "support@example.com"
	full.Metadata = map[string]string{"team": "payments"}
	full.Encryption = &hookwirev1.Encryption{Enabled: true}
	full.MaxInFlight = 4
	full.Timeout = durationpb.New(5 * time.Second)

	var header metadata.MD
	ctx := as(t, rootToken, "x-request-id", "req-crud-1", "x-user-id", "alice")
	cr, err := e.client.CreateSubscription(ctx, &hookwirev1.CreateSubscriptionRequest{Subscription: full}, grpc.Header(&header))
	if err != nil {
		t.Fatal(err)
	}
	if got := header.Get("x-request-id"); len(got) != 1 || got[0] != "req-crud-1" {
		t.Errorf("x-request-id header = %v, want echoed", got)
	}
	sub := cr.GetSubscription()
	if !strings.HasPrefix(sub.GetId(), "sub_") || len(sub.GetId()) != 4+26 {
		t.Errorf("id = %q, want sub_ + ULID", sub.GetId())
	}
	if signing.ValidateSecret(cr.GetSigningSecret()) != nil || len(cr.GetEncryptionKey()) != 32 {
		t.Errorf("create response lacks secret or generated key: %q, %d bytes", cr.GetSigningSecret(), len(cr.GetEncryptionKey()))
	}
	if sub.GetCreatedBy() != "alice" || sub.GetUpdatedBy() != "alice" || sub.GetStatus() != hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_ACTIVE {
		t.Errorf("created_by/updated_by/status = %q/%q/%s", sub.GetCreatedBy(), sub.GetUpdatedBy(), sub.GetStatus())
	}
	if sub.GetRevision() == 0 || sub.GetCreateTime() == nil || sub.GetSecretCreateTime() == nil {
		t.Errorf("output fields missing: %v", sub)
	}

	got, err := e.client.GetSubscription(as(t, rootToken), &hookwirev1.GetSubscriptionRequest{Id: sub.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	g := got.GetSubscription()
	if g.GetLabel() != "orders" || g.GetUrl() != full.GetUrl() || !slices.Equal(g.GetEventTypes(), full.GetEventTypes()) ||
		g.GetScope() != full.GetScope() || !slices.Equal(g.GetAttributeFilters()["payment_method"].GetValues(), []string{"CARD", "BLIK"}) ||
		g.GetAuth().GetBasic().GetUsername() != "hook" || !g.GetAuth().GetBasic().GetHasPassword() || g.GetAuth().GetBasic().GetPassword() != "" ||
		len(g.GetRetryPolicy().GetDelays()) != 2 || g.GetRateLimit().GetBurst() != 10 || g.GetNotificationEmails()[0] != "ops@example.com" ||
		g.GetSupportEmail() != "support@example.com" || g.GetMetadata()["team"] != "payments" ||
		!g.GetEncryption().GetEnabled() || g.GetEncryption().GetAlgorithm() != "AES-256-GCM" || len(g.GetEncryption().GetKey()) != 0 ||
		g.GetMaxInFlight() != 4 || g.GetTimeout().AsDuration() != 5*time.Second {
		t.Errorf("Get returned %v", g)
	}

	list, err := e.client.ListSubscriptions(as(t, rootToken), &hookwirev1.ListSubscriptionsRequest{Scope: "acquirers/100", IncludeDescendants: true})
	if err != nil || len(list.GetSubscriptions()) != 1 || list.GetSubscriptions()[0].GetId() != sub.GetId() {
		t.Fatalf("List = %v, %v", list, err)
	}

	up, err := e.client.UpdateSubscription(as(t, rootToken, "x-user-id", "bob"), &hookwirev1.UpdateSubscriptionRequest{
		Subscription: &hookwirev1.Subscription{Id: sub.GetId(), Label: "renamed"},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"label"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.GetSubscription().GetLabel() != "renamed" || up.GetSubscription().GetUpdatedBy() != "bob" || up.GetSubscription().GetCreatedBy() != "alice" {
		t.Errorf("Update = %v", up.GetSubscription())
	}

	if _, err := e.client.DeleteSubscription(as(t, rootToken), &hookwirev1.DeleteSubscriptionRequest{Id: sub.GetId(), Revision: sub.GetRevision()}); err != nil {
		wantCode(t, err, codes.Aborted) // stale revision
	} else {
		t.Fatal("Delete with a stale revision succeeded")
	}
	if _, err := e.client.DeleteSubscription(as(t, rootToken), &hookwirev1.DeleteSubscriptionRequest{Id: sub.GetId()}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetSubscription(as(t, rootToken), &hookwirev1.GetSubscriptionRequest{Id: sub.GetId()})
	wantCode(t, err, codes.NotFound)
	list, err = e.client.ListSubscriptions(as(t, rootToken), &hookwirev1.ListSubscriptionsRequest{IncludeDescendants: true})
	if err != nil || len(list.GetSubscriptions()) != 0 {
		t.Fatalf("List after delete (read-your-writes) = %v, %v", list, err)
	}
	_, err = e.client.DeleteSubscription(as(t, rootToken), &hookwirev1.DeleteSubscriptionRequest{Id: sub.GetId()})
	wantCode(t, err, codes.NotFound)
}

func TestUpdateFieldMask(t *testing.T) {
	e := start(t)
	base := validSub("acquirers/100")
	base.Auth = &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{Basic: &hookwirev1.BasicAuth{Username: "u", Password: "original-pw"}}}
	base.Metadata = map[string]string{"a": "1"}
	cr := create(t, e, rootToken, base)
	id := cr.GetSubscription().GetId()

	tests := []struct {
		name        string
		sub         *hookwirev1.Subscription
		paths       []string
		add, remove []string
		check       func(t *testing.T, got *hookwirev1.Subscription, key []byte, rec subscription.Record)
	}{
		{"url", &hookwirev1.Subscription{Url: "https://other.example.com/x", Label: "ignored"}, []string{"url"}, nil, nil,
			func(t *testing.T, got *hookwirev1.Subscription, _ []byte, _ subscription.Record) {
				if got.GetUrl() != "https://other.example.com/x" || got.GetLabel() != "orders" {
					t.Errorf("url/label = %q/%q: only masked fields may change", got.GetUrl(), got.GetLabel())
				}
			}},
		{"basic auth empty password keeps stored", &hookwirev1.Subscription{Auth: &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{Basic: &hookwirev1.BasicAuth{Username: "u2"}}}}, []string{"auth"}, nil, nil,
			func(t *testing.T, got *hookwirev1.Subscription, _ []byte, rec subscription.Record) {
				if got.GetAuth().GetBasic().GetUsername() != "u2" || open(t, rec.ID, subscription.FieldBasicPassword, rec.BasicPassword) != "original-pw" {
					t.Errorf("auth = %v, password %q", got.GetAuth(), open(t, rec.ID, subscription.FieldBasicPassword, rec.BasicPassword))
				}
			}},
		{"event types replaced", &hookwirev1.Subscription{EventTypes: []string{"settlement.batch.*"}}, []string{"event_types"}, nil, nil,
			func(t *testing.T, got *hookwirev1.Subscription, _ []byte, _ subscription.Record) {
				if !slices.Equal(got.GetEventTypes(), []string{"settlement.batch.*"}) {
					t.Errorf("event_types = %v", got.GetEventTypes())
				}
			}},
		{"add and remove event types", &hookwirev1.Subscription{}, nil, []string{"ach.settled", "cau.*"}, []string{"settlement.batch.*"},
			func(t *testing.T, got *hookwirev1.Subscription, _ []byte, _ subscription.Record) {
				if !slices.Equal(got.GetEventTypes(), []string{"ach.settled", "cau.*"}) {
					t.Errorf("event_types = %v", got.GetEventTypes())
				}
			}},
		{"filters, retry, rate, emails, metadata, timeout, in-flight", &hookwirev1.Subscription{
			AttributeFilters:   map[string]*hookwirev1.AttributeValues{"payment_method": {Values: []string{"CARD"}}},
			RetryPolicy:        &hookwirev1.RetryPolicy{Delays: []*durationpb.Duration{durationpb.New(time.Second)}},
			RateLimit:          &hookwirev1.RateLimit{PerSecond: 2.5},
			NotificationEmails: []string{"a@example.com", "b@example.com"},
			SupportEmail:       "s@example.com",
			Metadata:           map[string]string{"b": "2"},
			Timeout:            durationpb.New(30 * time.Second),
			MaxInFlight:        10,
		}, []string{"attribute_filters", "retry_policy", "rate_limit", "notification_emails", "support_email", "metadata", "timeout", "max_in_flight"}, nil, nil,
			func(t *testing.T, got *hookwirev1.Subscription, _ []byte, rec subscription.Record) {
				if rec.Filters["payment_method"][0] != "CARD" || rec.RetryDelays[0] != time.Second || rec.RateLimit.PerSecond != 2.5 ||
					len(rec.NotificationEmails) != 2 || rec.SupportEmail != "s@example.com" || rec.Metadata["b"] != "2" || rec.Metadata["a"] != "" ||
					rec.Timeout != 30*time.Second || rec.MaxInFlight != 10 {
					t.Errorf("stored record = %+v", rec)
				}
			}},
		{"clear retry policy and rate limit", &hookwirev1.Subscription{}, []string{"retry_policy", "rate_limit"}, nil, nil,
			func(t *testing.T, got *hookwirev1.Subscription, _ []byte, rec subscription.Record) {
				if rec.RetryDelays != nil || rec.RateLimit != nil || got.GetRetryPolicy() != nil {
					t.Errorf("not cleared: %+v", rec)
				}
			}},
		{"encryption generated", &hookwirev1.Subscription{Encryption: &hookwirev1.Encryption{Enabled: true}}, []string{"encryption"}, nil, nil,
			func(t *testing.T, got *hookwirev1.Subscription, key []byte, rec subscription.Record) {
				if len(key) != 32 || open(t, rec.ID, subscription.FieldEncryptionKey, rec.EncryptionKey) != string(key) || !got.GetEncryption().GetEnabled() {
					t.Errorf("key %d bytes, enabled %v", len(key), got.GetEncryption().GetEnabled())
				}
			}},
		{"encryption disabled", &hookwirev1.Subscription{}, []string{"encryption"}, nil, nil,
			func(t *testing.T, got *hookwirev1.Subscription, key []byte, rec subscription.Record) {
				if key != nil || rec.EncryptionKey != "" || got.GetEncryption().GetEnabled() {
					t.Errorf("encryption not disabled: %+v", rec)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sub.Id = id
			resp, err := e.client.UpdateSubscription(as(t, rootToken), &hookwirev1.UpdateSubscriptionRequest{
				Subscription: tt.sub, UpdateMask: &fieldmaskpb.FieldMask{Paths: tt.paths},
				AddEventTypes: tt.add, RemoveEventTypes: tt.remove,
			})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, resp.GetSubscription(), resp.GetEncryptionKey(), rawRecord(t, e, id))
		})
	}

	bad := []struct {
		name  string
		req   *hookwirev1.UpdateSubscriptionRequest
		field string
	}{
		{"scope immutable", &hookwirev1.UpdateSubscriptionRequest{Subscription: &hookwirev1.Subscription{Id: id, Scope: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"scope"}}}, "update_mask"},
		{"unknown path", &hookwirev1.UpdateSubscriptionRequest{Subscription: &hookwirev1.Subscription{Id: id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"colour"}}}, "update_mask"},
		{"output-only path", &hookwirev1.UpdateSubscriptionRequest{Subscription: &hookwirev1.Subscription{Id: id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}}, "update_mask"},
		{"empty mask", &hookwirev1.UpdateSubscriptionRequest{Subscription: &hookwirev1.Subscription{Id: id}}, "update_mask"},
		{"no id", &hookwirev1.UpdateSubscriptionRequest{Subscription: &hookwirev1.Subscription{Label: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"label"}}}, "subscription.id"},
		{"no subscription", &hookwirev1.UpdateSubscriptionRequest{}, "subscription"},
		{"masked field invalid", &hookwirev1.UpdateSubscriptionRequest{Subscription: &hookwirev1.Subscription{Id: id, Url: "ftp://x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"url"}}}, "subscription.url"},
		{"remove every type", &hookwirev1.UpdateSubscriptionRequest{Subscription: &hookwirev1.Subscription{Id: id}, RemoveEventTypes: []string{"ach.settled", "cau.*"}}, "remove_event_types"},
		{"add unknown exact type", &hookwirev1.UpdateSubscriptionRequest{Subscription: &hookwirev1.Subscription{Id: id}, AddEventTypes: []string{"no.such.type"}}, "add_event_types[0]"},
		{"add bad pattern", &hookwirev1.UpdateSubscriptionRequest{Subscription: &hookwirev1.Subscription{Id: id}, AddEventTypes: []string{"Bad"}}, "add_event_types[0]"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.UpdateSubscription(as(t, rootToken), tt.req)
			wantField(t, err, tt.field)
		})
	}
}

func TestConcurrentUpdateConflict(t *testing.T) {
	e := start(t)
	cr := create(t, e, rootToken, validSub(""))
	id, rev := cr.GetSubscription().GetId(), cr.GetSubscription().GetRevision()

	const writers = 8
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			_, err := e.client.UpdateSubscription(as(t, rootToken), &hookwirev1.UpdateSubscriptionRequest{
				Subscription: &hookwirev1.Subscription{Id: id, Revision: rev, Label: "writer " + string(rune('a'+i))},
				UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"label"}},
			})
			errs <- err
		}()
	}
	ok := 0
	for range writers {
		err := <-errs
		switch {
		case err == nil:
			ok++
		default:
			wantCode(t, err, codes.Aborted)
		}
	}
	if ok != 1 {
		t.Fatalf("%d updates at revision %d succeeded, want exactly 1", ok, rev)
	}
	// Without a revision the update applies to the latest record.
	if _, err := e.client.UpdateSubscription(as(t, rootToken), &hookwirev1.UpdateSubscriptionRequest{
		Subscription: &hookwirev1.Subscription{Id: id, Label: "last"},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"label"}},
	}); err != nil {
		t.Fatal(err)
	}
}

func TestRotateSecretKeepsBothWithExpiry(t *testing.T) {
	e := start(t)
	cr := create(t, e, rootToken, validSub(""))
	id, first := cr.GetSubscription().GetId(), cr.GetSigningSecret()

	before := time.Now()
	rot, err := e.client.RotateSecret(as(t, rootToken), &hookwirev1.RotateSecretRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	second := rot.GetSigningSecret()
	if second == first || signing.ValidateSecret(second) != nil {
		t.Fatalf("rotated secret %q", second)
	}
	exp := rot.GetPreviousSecretExpireTime().AsTime()
	if exp.Before(before.Add(24*time.Hour-time.Minute)) || exp.After(time.Now().Add(24*time.Hour+time.Minute)) {
		t.Errorf("previous secret expires %s, want ~24h from now", exp)
	}
	rec := rawRecord(t, e, id)
	if len(rec.Secrets) != 2 || open(t, id, subscription.FieldSigningSecret, rec.Secrets[0].Sealed) != second || !rec.Secrets[0].ExpiresAt.IsZero() ||
		open(t, id, subscription.FieldSigningSecret, rec.Secrets[1].Sealed) != first || !rec.Secrets[1].ExpiresAt.Equal(exp) {
		t.Fatalf("stored secrets = %+v", rec.Secrets)
	}
	if n := len(rec.SigningSecrets(time.Now())); n != 2 {
		t.Errorf("%d secrets sign now, want 2", n)
	}
	if n := len(rec.SigningSecrets(exp.Add(time.Second))); n != 1 {
		t.Errorf("%d secrets sign after expiry, want 1", n)
	}

	// A caller-supplied secret and TTL; 0s ends the previous one at once.
	own, _ := signing.NewSecret()
	rot, err = e.client.RotateSecret(as(t, rootToken), &hookwirev1.RotateSecretRequest{Id: id, SigningSecret: own, PreviousSecretTtl: durationpb.New(0)})
	if err != nil || rot.GetSigningSecret() != own {
		t.Fatalf("RotateSecret(own) = %v, %v", rot, err)
	}
	if rec := rawRecord(t, e, id); len(rec.Secrets) != 1 || open(t, id, subscription.FieldSigningSecret, rec.Secrets[0].Sealed) != own {
		t.Fatalf("after ttl 0: %+v", rec.Secrets)
	}
	rot, err = e.client.RotateSecret(as(t, rootToken), &hookwirev1.RotateSecretRequest{Id: id, PreviousSecretTtl: durationpb.New(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(rot.GetPreviousSecretExpireTime().AsTime()); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("ttl 1h gave expiry in %s", d)
	}

	bad := []struct {
		req   *hookwirev1.RotateSecretRequest
		field string
	}{
		{&hookwirev1.RotateSecretRequest{}, "id"},
		{&hookwirev1.RotateSecretRequest{Id: id, SigningSecret: "nope"}, "signing_secret"},
		{&hookwirev1.RotateSecretRequest{Id: id, PreviousSecretTtl: durationpb.New(-time.Second)}, "previous_secret_ttl"},
		{&hookwirev1.RotateSecretRequest{Id: id, PreviousSecretTtl: durationpb.New(31 * 24 * time.Hour)}, "previous_secret_ttl"},
	}
	for _, tt := range bad {
		_, err := e.client.RotateSecret(as(t, rootToken), tt.req)
		wantField(t, err, tt.field)
	}
}

func TestPauseResume(t *testing.T) {
	e := start(t)
	id := create(t, e, rootToken, validSub("")).GetSubscription().GetId()
	p, err := e.client.PauseSubscription(as(t, rootToken), &hookwirev1.PauseSubscriptionRequest{Id: id, Reason: "maintenance"})
	if err != nil || p.GetSubscription().GetStatus() != hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_PAUSED || p.GetSubscription().GetStatusReason() != "maintenance" {
		t.Fatalf("Pause = %v, %v", p, err)
	}
	list, err := e.client.ListSubscriptions(as(t, rootToken), &hookwirev1.ListSubscriptionsRequest{IncludeDescendants: true, Status: hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_PAUSED})
	if err != nil || len(list.GetSubscriptions()) != 1 {
		t.Fatalf("List(PAUSED) = %v, %v", list, err)
	}
	r, err := e.client.ResumeSubscription(as(t, rootToken), &hookwirev1.ResumeSubscriptionRequest{Id: id})
	if err != nil || r.GetSubscription().GetStatus() != hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_ACTIVE || r.GetSubscription().GetStatusReason() != "" {
		t.Fatalf("Resume = %v, %v", r, err)
	}

	// The dispatcher suspends by writing the record; Resume clears that too.
	st, err := subscription.Open(context.Background(), e.js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Update(context.Background(), id, 0, time.Now(), func(r *subscription.Record) error {
		r.Status, r.StatusReason = subscription.StatusSuspended, "410 Gone"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r, err = e.client.ResumeSubscription(as(t, rootToken), &hookwirev1.ResumeSubscriptionRequest{Id: id})
	if err != nil || r.GetSubscription().GetStatus() != hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_ACTIVE || r.GetSubscription().GetStatusReason() != "" {
		t.Fatalf("Resume after suspension = %v, %v", r, err)
	}

	_, err = e.client.PauseSubscription(as(t, rootToken), &hookwirev1.PauseSubscriptionRequest{})
	wantField(t, err, "id")
	_, err = e.client.PauseSubscription(as(t, rootToken), &hookwirev1.PauseSubscriptionRequest{Id: id, Reason: strings.Repeat("x", 256)})
	wantField(t, err, "reason")
	_, err = e.client.ResumeSubscription(as(t, rootToken), &hookwirev1.ResumeSubscriptionRequest{})
	wantField(t, err, "id")
	_, err = e.client.PauseSubscription(as(t, rootToken), &hookwirev1.PauseSubscriptionRequest{Id: "sub_missing"})
	wantCode(t, err, codes.NotFound)
}
