package registry_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/signing"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/registry"
)

// TestDataSurvivesRestart stops the registry and NATS, starts both again
// over the same store and checks subscriptions, secrets, event types and
// remembered requests are all still there.
func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t)
	e := startOn(t, testkit.StartNATSAt(t, dir), loopback)
	sub := validSub("acquirers/100")
	sub.Url = rcv.URL
	req := &hookwirev1.CreateSubscriptionRequest{Subscription: sub}
	cr, err := e.client.CreateSubscription(as(t, rootToken, "x-request-id", "before-restart"), req)
	if err != nil {
		t.Fatal(err)
	}
	id := cr.GetSubscription().GetId()
	rot, err := e.client.RotateSecret(as(t, rootToken), &hookwirev1.RotateSecretRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	up, err := e.client.UpdateSubscription(as(t, rootToken), &hookwirev1.UpdateSubscriptionRequest{
		Subscription: &hookwirev1.Subscription{Id: id, Label: "after update"},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"label"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateEventType(as(t, rootToken), &hookwirev1.CreateEventTypeRequest{EventType: &hookwirev1.EventType{Name: "custom.persisted"}}); err != nil {
		t.Fatal(err)
	}
	e.stop()
	e.nats.Stop()

	e2 := startOn(t, testkit.StartNATSAt(t, dir), loopback)
	got, err := e2.client.GetSubscription(as(t, rootToken), &hookwirev1.GetSubscriptionRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetSubscription().GetLabel() != "after update" || got.GetSubscription().GetRevision() != up.GetSubscription().GetRevision() {
		t.Fatalf("after restart: %v", got.GetSubscription())
	}
	list, err := e2.client.ListSubscriptions(as(t, rootToken), &hookwirev1.ListSubscriptionsRequest{IncludeDescendants: true})
	if err != nil || len(list.GetSubscriptions()) != 1 {
		t.Fatalf("List after restart = %v, %v", list, err)
	}
	again, err := e2.client.CreateSubscription(as(t, rootToken, "x-request-id", "before-restart"), req)
	if err != nil || again.GetSubscription().GetId() != id || again.GetSigningSecret() != cr.GetSigningSecret() {
		t.Fatalf("idempotent replay after restart = %v, %v", again, err)
	}
	types, err := e2.client.ListEventTypes(as(t, rootToken), &hookwirev1.ListEventTypesRequest{Prefix: "custom."})
	if err != nil || len(types.GetEventTypes()) != 1 {
		t.Fatalf("event types after restart = %v, %v", types, err)
	}
	// Both secrets still open and sign.
	resp, err := e2.client.TestEndpoint(as(t, rootToken), &hookwirev1.TestEndpointRequest{Target: &hookwirev1.TestEndpointRequest_SubscriptionId{SubscriptionId: id}})
	if err != nil || !resp.GetSuccess() {
		t.Fatalf("TestEndpoint after restart = %v, %v", resp, err)
	}
	h, body := rcv.last()
	for _, s := range []string{cr.GetSigningSecret(), rot.GetSigningSecret()} {
		if err := signing.Verify([]string{s}, h, body, time.Now(), time.Minute); err != nil {
			t.Errorf("secret lost across restart: %v", err)
		}
	}
}

// TestDevMasterKeyFile: dev mode without a master key keeps one in the data
// dir, so sealed secrets still open after a restart.
func TestDevMasterKeyFile(t *testing.T) {
	dataDir, storeDir := t.TempDir(), t.TempDir()
	dev := func(c *registry.Config) {
		c.MasterKey, c.Dev, c.DataDir, c.TokensFile = "", true, dataDir, ""
	}
	e := startOn(t, testkit.StartNATSAt(t, storeDir), dev)
	id := create(t, e, rootToken, validSub("")).GetSubscription().GetId()
	info, err := os.Stat(filepath.Join(dataDir, "master.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("dev key file: %v, %v", info, err)
	}
	e.stop()
	e.nats.Stop()

	e2 := startOn(t, testkit.StartNATSAt(t, storeDir), dev)
	// TestEndpoint opens the sealed secret before sending (and the send is
	// refused: 10.0.0.1 is not allowed); a wrong key would be INTERNAL.
	if _, err := e2.client.UpdateSubscription(as(t, rootToken), &hookwirev1.UpdateSubscriptionRequest{
		Subscription: &hookwirev1.Subscription{Id: id, Url: "http://10.0.0.1:9/"},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"url"}},
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := e2.client.TestEndpoint(as(t, rootToken), &hookwirev1.TestEndpointRequest{Target: &hookwirev1.TestEndpointRequest_SubscriptionId{SubscriptionId: id}})
	if err != nil || resp.GetSuccess() || resp.GetError() == "" {
		t.Fatalf("TestEndpoint = %v, %v (secret unreadable after restart?)", resp, err)
	}
}
