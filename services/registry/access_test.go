package registry_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/registry/idempotency"
)

func TestSecretsNeverReturnedNorStoredInClear(t *testing.T) {
	e := start(t)
	const password = "basic-password-XYZ"
	key := []byte("0123456789abcdef0123456789abcdef")
	sub := validSub("")
	sub.Auth = &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{Basic: &hookwirev1.BasicAuth{Username: "u", Password: password}}}
	sub.Encryption = &hookwirev1.Encryption{Enabled: true, Key: key}
	cr, err := e.client.CreateSubscription(as(t, rootToken, "x-request-id", "secret-test"), &hookwirev1.CreateSubscriptionRequest{Subscription: sub})
	if err != nil {
		t.Fatal(err)
	}
	secret := cr.GetSigningSecret()
	if len(cr.GetEncryptionKey()) != 0 {
		t.Error("a supplied encryption key was returned")
	}
	rot, err := e.client.RotateSecret(as(t, rootToken), &hookwirev1.RotateSecretRequest{Id: cr.GetSubscription().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{
		secret, strings.TrimPrefix(secret, "whsec_"),
		rot.GetSigningSecret(), strings.TrimPrefix(rot.GetSigningSecret(), "whsec_"),
		password, string(key), base64.StdEncoding.EncodeToString(key),
	}
	mustNotContain := func(where, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains a secret (%q…)", where, s[:6])
			}
		}
	}

	got, err := e.client.GetSubscription(as(t, rootToken), &hookwirev1.GetSubscriptionRequest{Id: cr.GetSubscription().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	mustNotContain("GetSubscription", protojson.Format(got)+fmt.Sprint(got))
	list, err := e.client.ListSubscriptions(as(t, rootToken), &hookwirev1.ListSubscriptionsRequest{IncludeDescendants: true})
	if err != nil {
		t.Fatal(err)
	}
	mustNotContain("ListSubscriptions", protojson.Format(list)+fmt.Sprint(list))
	mustNotContain("bucket "+subscription.Bucket, rawValues(t, e, subscription.Bucket))
	mustNotContain("bucket "+idempotency.Bucket, rawValues(t, e, idempotency.Bucket))
	if rawValues(t, e, idempotency.Bucket) == "" {
		t.Error("the idempotent response was not stored")
	}
}

func TestIdempotentCreate(t *testing.T) {
	e := start(t)
	req := &hookwirev1.CreateSubscriptionRequest{Subscription: validSub("acquirers/100")}
	first, err := e.client.CreateSubscription(as(t, rootToken, "x-request-id", "req-1"), req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.client.CreateSubscription(as(t, rootToken, "x-request-id", "req-1"), req)
	if err != nil {
		t.Fatal(err)
	}
	if again.GetSubscription().GetId() != first.GetSubscription().GetId() || again.GetSigningSecret() != first.GetSigningSecret() {
		t.Fatalf("repeat returned %s/%q, want the first result %s", again.GetSubscription().GetId(), again.GetSigningSecret(), first.GetSubscription().GetId())
	}
	// The same id with a different request is refused, naming the metadata.
	changed := &hookwirev1.CreateSubscriptionRequest{Subscription: validSub("acquirers/100")}
	changed.Subscription.Label = "another label"
	if _, err := e.client.CreateSubscription(as(t, rootToken, "x-request-id", "req-1"), changed); status.Code(err) != codes.InvalidArgument || !slices.Equal(badrequest.FieldsOf(err), []string{"x-request-id"}) {
		t.Fatalf("reused request id with another request: %v", err)
	}
	// Another caller's identical request id is a different request.
	other, err := e.client.CreateSubscription(as(t, acq100Token, "x-request-id", "req-1"), req)
	if err != nil || other.GetSubscription().GetId() == first.GetSubscription().GetId() {
		t.Fatalf("other caller's create = %v, %v", other.GetSubscription().GetId(), err)
	}
	// Without a request id every call creates.
	plain1 := create(t, e, rootToken, validSub("acquirers/100"))
	plain2 := create(t, e, rootToken, validSub("acquirers/100"))
	if plain1.GetSubscription().GetId() == plain2.GetSubscription().GetId() {
		t.Fatal("creates without x-request-id were merged")
	}

	// Concurrent repeats: one subscription, one answer.
	const n = 6
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.client.CreateSubscription(as(t, rootToken, "x-request-id", "req-concurrent"), &hookwirev1.CreateSubscriptionRequest{Subscription: validSub("acquirers/200")})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- r.GetSubscription().GetId()
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	list, err := e.client.ListSubscriptions(as(t, rootToken), &hookwirev1.ListSubscriptionsRequest{Scope: "acquirers/200"})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || len(list.GetSubscriptions()) != 1 {
		t.Fatalf("concurrent repeats answered %v and stored %d subscriptions, want 1 and 1", seen, len(list.GetSubscriptions()))
	}
	if _, ok := seen[list.GetSubscriptions()[0].GetId()]; !ok {
		t.Fatalf("answered %v but stored %s", seen, list.GetSubscriptions()[0].GetId())
	}
}

func TestScopeIsolationBetweenTokens(t *testing.T) {
	e := start(t)
	a := create(t, e, acq100Token, validSub("acquirers/100/merchants/1")).GetSubscription()
	b := create(t, e, acq200Token, validSub("acquirers/200")).GetSubscription()
	root := create(t, e, rootToken, validSub("")).GetSubscription()

	// acq200 cannot see or touch acq100's subscription: it does not exist for it.
	_, err := e.client.GetSubscription(as(t, acq200Token), &hookwirev1.GetSubscriptionRequest{Id: a.GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = e.client.UpdateSubscription(as(t, acq200Token), &hookwirev1.UpdateSubscriptionRequest{
		Subscription: &hookwirev1.Subscription{Id: a.GetId(), Label: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"label"}}})
	wantCode(t, err, codes.NotFound)
	_, err = e.client.DeleteSubscription(as(t, acq200Token), &hookwirev1.DeleteSubscriptionRequest{Id: a.GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = e.client.RotateSecret(as(t, acq200Token), &hookwirev1.RotateSecretRequest{Id: a.GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = e.client.PauseSubscription(as(t, acq200Token), &hookwirev1.PauseSubscriptionRequest{Id: root.GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = e.client.TestEndpoint(as(t, acq200Token), &hookwirev1.TestEndpointRequest{Target: &hookwirev1.TestEndpointRequest_SubscriptionId{SubscriptionId: a.GetId()}})
	wantCode(t, err, codes.NotFound)

	// Creating outside its scope and listing another subtree are denied.
	_, err = e.client.CreateSubscription(as(t, acq200Token), &hookwirev1.CreateSubscriptionRequest{Subscription: validSub("acquirers/100")})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.client.ListSubscriptions(as(t, acq200Token), &hookwirev1.ListSubscriptionsRequest{Scope: "acquirers/100", IncludeDescendants: true})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.client.ListSubscriptions(as(t, acq200Token), &hookwirev1.ListSubscriptionsRequest{Scope: ""})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.client.CreateEventType(as(t, acq200Token), &hookwirev1.CreateEventTypeRequest{EventType: &hookwirev1.EventType{Name: "acq.thing"}})
	wantCode(t, err, codes.PermissionDenied)

	listIDs := func(token string) []string {
		t.Helper()
		resp, err := e.client.ListSubscriptions(as(t, token), &hookwirev1.ListSubscriptionsRequest{IncludeDescendants: true})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range resp.GetSubscriptions() {
			ids = append(ids, s.GetId())
		}
		return ids
	}
	if got := listIDs(acq100Token); fmt.Sprint(got) != fmt.Sprint([]string{a.GetId()}) {
		t.Errorf("acq100 lists %v, want only %s", got, a.GetId())
	}
	if got := listIDs(acq200Token); fmt.Sprint(got) != fmt.Sprint([]string{b.GetId()}) {
		t.Errorf("acq200 lists %v, want only %s", got, b.GetId())
	}
	if got := listIDs(rootToken); len(got) != 3 {
		t.Errorf("root lists %v, want all 3", got)
	}
	if _, err := e.client.GetSubscription(as(t, acq100Token), &hookwirev1.GetSubscriptionRequest{Id: a.GetId()}); err != nil {
		t.Errorf("owner Get: %v", err)
	}

	// Permissions and authentication.
	if got := listIDs(readerToken); len(got) != 3 {
		t.Errorf("reader lists %v", got)
	}
	_, err = e.client.CreateSubscription(as(t, readerToken), &hookwirev1.CreateSubscriptionRequest{Subscription: validSub("")})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.client.GetSubscription(as(t, ""), &hookwirev1.GetSubscriptionRequest{Id: a.GetId()})
	wantCode(t, err, codes.Unauthenticated)
	_, err = e.client.GetSubscription(as(t, "wrong-token"), &hookwirev1.GetSubscriptionRequest{Id: a.GetId()})
	wantCode(t, err, codes.Unauthenticated)
}
