package registry_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/hookwire/hookwire/pkg/envelope"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/pkg/signing"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/registry"
	"github.com/hookwire/hookwire/services/registry/idempotency"
	"github.com/hookwire/hookwire/services/registry/reseal"
)

// Master keys of the rotation test (K1 is the harness's).
var (
	k1 = testMasterKey
	k2 = strings.Repeat("22", 32)
	k3 = strings.Repeat("33", 32)
)

// keys configures the registry's current and previous master keys.
func keys(current string, previous ...string) func(*registry.Config) {
	return func(c *registry.Config) {
		c.MasterKey, c.MasterKeysPrevious = current, strings.Join(previous, ",")
	}
}

func boxOf(t *testing.T, current string, previous ...string) *seal.Box {
	t.Helper()
	box, _, err := seal.ResolveBox(current, strings.Join(previous, ","), false, "")
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// rotated is what the rotation test created, to check after each step.
type rotated struct {
	id        string
	req       *hookwirev1.CreateSubscriptionRequest
	requestID string
	created   *hookwirev1.CreateSubscriptionResponse
	secrets   []string // signing secrets in force
	key       []byte   // payload key
}

// TestMasterKeyRotation rotates the master key twice, K1 → K2 → K3, with
// the registry running on a real JetStream: after each reseal every sealed
// value is under the new key, the registry opens everything with only the
// new key and the keys still configured, and after the second reseal K1
// (and then K2) can be removed.
func TestMasterKeyRotation(t *testing.T) {
	n := testkit.StartNATS(t)
	rcv := newReceiver(t)

	e := startOn(t, n, loopback, keys(k1))
	first := createRotated(t, e, rcv.URL, "rotation-1")
	e.stop()

	// Step 1: K2 becomes current, K1 opens what is not resealed yet.
	e = startOn(t, n, loopback, keys(k2, k1))
	second := createRotated(t, e, rcv.URL, "rotation-2") // sealed under K2 already
	checkWorks(t, e, rcv, first, second)
	reports := resealAll(t, e, boxOf(t, k2, k1))
	// first: 2 signing secrets, password, payload key; second: nothing.
	// Remembered responses: first's (the one of second is under K2).
	wantReport(t, reports, 2, 1, 4, 1)
	wantReport(t, resealAll(t, e, boxOf(t, k2, k1)), 2, 0, 0, 0) // idempotent
	checkAllUnder(t, e, k2)
	e.stop()

	// K1 removed: everything opens with K2 alone.
	e = startOn(t, n, loopback, keys(k2))
	checkWorks(t, e, rcv, first, second)
	e.stop()

	// Step 2: K3 current, K2 previous; then K2 removed as well.
	e = startOn(t, n, loopback, keys(k3, k2))
	wantReport(t, resealAll(t, e, boxOf(t, k3, k2)), 2, 2, 8, 2)
	checkAllUnder(t, e, k3)
	e.stop()
	e = startOn(t, n, loopback, keys(k3))
	checkWorks(t, e, rcv, first, second)

	// Without the reseal, retiring a key would have lost the secrets: a
	// value under K2 no longer opens once only K3 is configured.
	sealed, err := boxOf(t, k2).Seal([]byte("whsec_c3RpbGwtdW5kZXItdGhlLW9sZC1rZXk="), subscription.Place(first.id, subscription.FieldSigningSecret))
	if err != nil {
		t.Fatal(err)
	}
	putSecret(t, e, first.id, sealed)
	_, err = e.client.TestEndpoint(as(t, rootToken), &hookwirev1.TestEndpointRequest{Target: &hookwirev1.TestEndpointRequest_SubscriptionId{SubscriptionId: first.id}})
	wantCode(t, err, codes.Internal)
}

// createRotated creates a subscription with basic auth, a generated payload
// key and an x-request-id, then rotates its secret so it holds two.
func createRotated(t *testing.T, e *env, url, requestID string) rotated {
	t.Helper()
	sub := validSub("acquirers/100")
	sub.Url = url
	sub.Auth = &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{Basic: &hookwirev1.BasicAuth{Username: "u", Password: "pw-" + requestID}}}
	sub.Encryption = &hookwirev1.Encryption{Enabled: true}
	req := &hookwirev1.CreateSubscriptionRequest{Subscription: sub}
	cr, err := e.client.CreateSubscription(as(t, rootToken, "x-request-id", requestID), req)
	if err != nil {
		t.Fatal(err)
	}
	rot, err := e.client.RotateSecret(as(t, rootToken), &hookwirev1.RotateSecretRequest{Id: cr.GetSubscription().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	return rotated{id: cr.GetSubscription().GetId(), req: req, requestID: requestID, created: cr,
		secrets: []string{rot.GetSigningSecret(), cr.GetSigningSecret()}, key: cr.GetEncryptionKey()}
}

// checkWorks: the registry opens every secret of each subscription (a test
// delivery is signed with both secrets, authenticated and encrypted with
// the payload key) and the remembered create response.
func checkWorks(t *testing.T, e *env, rcv *receiver, subs ...rotated) {
	t.Helper()
	for _, s := range subs {
		resp, err := e.client.TestEndpoint(as(t, rootToken), &hookwirev1.TestEndpointRequest{Target: &hookwirev1.TestEndpointRequest_SubscriptionId{SubscriptionId: s.id}})
		if err != nil || !resp.GetSuccess() {
			t.Fatalf("TestEndpoint %s = %v, %v", s.id, resp, err)
		}
		h, body := rcv.last()
		for _, secret := range s.secrets {
			if err := signing.Verify([]string{secret}, h, body, time.Now(), time.Minute); err != nil {
				t.Errorf("%s: a signing secret was lost: %v", s.id, err)
			}
		}
		if user, pw, ok := (&http.Request{Header: h}).BasicAuth(); !ok || user != "u" || pw != "pw-"+s.requestID {
			t.Errorf("%s: basic auth %q/%q", s.id, user, pw)
		}
		if _, err := envelope.Open(s.key, body); err != nil {
			t.Errorf("%s: body does not open with the payload key: %v", s.id, err)
		}
		again, err := e.client.CreateSubscription(as(t, rootToken, "x-request-id", s.requestID), s.req)
		if err != nil || again.GetSubscription().GetId() != s.id || again.GetSigningSecret() != s.created.GetSigningSecret() {
			t.Fatalf("remembered response of %s = %v, %v", s.requestID, again, err)
		}
	}
}

func resealAll(t *testing.T, e *env, box *seal.Box) []reseal.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	reports, err := reseal.All(ctx, e.js, box, reseal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return reports
}

// wantReport checks the subscriptions report (entries, rewritten, values)
// and how many remembered responses were rewritten.
func wantReport(t *testing.T, reports []reseal.Report, entries, rewritten, values, requests int) {
	t.Helper()
	s, r := reports[0], reports[1]
	if s.Bucket != subscription.Bucket || s.Entries != entries || s.Rewritten != rewritten || s.Values != values ||
		len(s.Failed) != 0 || r.Bucket != idempotency.Bucket || r.Rewritten != requests || len(r.Failed) != 0 {
		t.Fatalf("reseal reports %+v; want %d entries, %d rewritten, %d values, %d responses", reports, entries, rewritten, values, requests)
	}
}

// checkAllUnder: every sealed value in both buckets names the key.
func checkAllUnder(t *testing.T, e *env, key string) {
	t.Helper()
	k, _ := seal.ParseKey(key)
	want := seal.KeyID(k)
	ctx := context.Background()
	for _, bucket := range []string{subscription.Bucket, idempotency.Bucket} {
		kv, err := e.js.KeyValue(ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		names, err := kv.Keys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			entry, err := kv.Get(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			var sealed []string
			if bucket == subscription.Bucket {
				rec, err := subscription.Decode(entry.Value())
				if err != nil {
					t.Fatal(err)
				}
				sealed = append(sealed, rec.BasicPassword, rec.EncryptionKey)
				for _, s := range rec.Secrets {
					sealed = append(sealed, s.Sealed)
				}
			} else {
				_, s, _ := strings.Cut(string(entry.Value()), ":")
				sealed = append(sealed, s)
			}
			for _, s := range sealed {
				if id := seal.SealedKeyID(s); id != want {
					t.Errorf("%s/%s holds a value under key id %q, want %s", bucket, name, id, want)
				}
			}
		}
	}
}

// putSecret replaces a subscription's signing secrets in the bucket, as
// someone with write access to it could.
func putSecret(t *testing.T, e *env, id, sealed string) {
	t.Helper()
	ctx := context.Background()
	kv, err := e.js.KeyValue(ctx, subscription.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := kv.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := subscription.Decode(entry.Value())
	if err != nil {
		t.Fatal(err)
	}
	rec.Secrets = []subscription.Secret{{Sealed: sealed}}
	b, _ := json.Marshal(rec)
	if _, err := kv.Put(ctx, id, b); err != nil {
		t.Fatal(err)
	}
}

// TestMovedSecretDoesNotOpen: a sealed signing secret copied into another
// subscription's record, or a password copied into the signing secret, is
// refused; the error shows no secret.
func TestMovedSecretDoesNotOpen(t *testing.T) {
	e := start(t, loopback)
	rcv := newReceiver(t)
	a := createRotated(t, e, rcv.URL, "moved-a")
	b := createRotated(t, e, rcv.URL, "moved-b")
	for name, sealed := range map[string]string{
		"another subscription's secret": rawRecord(t, e, a.id).Secrets[0].Sealed,
		"its own password":              rawRecord(t, e, b.id).BasicPassword,
	} {
		putSecret(t, e, b.id, sealed)
		_, err := e.client.TestEndpoint(as(t, rootToken), &hookwirev1.TestEndpointRequest{Target: &hookwirev1.TestEndpointRequest_SubscriptionId{SubscriptionId: b.id}})
		wantCode(t, err, codes.Internal)
		for _, s := range append(a.secrets, "pw-moved-a", "pw-moved-b") {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%s: the error shows a secret", name)
			}
		}
	}
}
