package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// A restart of `hookwire dev` over the same data dir keeps subscriptions
// and their sealed secrets: TestEndpoint can still sign with the secret.
func TestDevKeepsDataAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()

	first := startDev(t, dir)
	var created hookwirev1.CreateSubscriptionResponse
	first.hwJSON(t, &created, "subscriptions", "create", "--url", srv.URL, "--event-type", "ach.returned",
		"--basic-user", "u", "--basic-password", "p")
	first.stop()

	second := startDev(t, dir)
	var got hookwirev1.GetSubscriptionResponse
	second.hwJSON(t, &got, "subscriptions", "get", created.GetSubscription().GetId())
	if got.GetSubscription().GetUrl() != srv.URL || !got.GetSubscription().GetAuth().GetBasic().GetHasPassword() {
		t.Fatalf("after restart: %v", got.GetSubscription())
	}
	out := second.hw(t, "subscriptions", "test", created.GetSubscription().GetId())
	if !strings.Contains(out, "SUCCESS      true") || hits.Load() != 1 {
		t.Fatalf("test after restart (hits %d):\n%s", hits.Load(), out)
	}
}
