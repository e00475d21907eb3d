package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// TestDeliveriesFailing: `hookwire deliveries failing` ranks a subscription
// whose endpoint answers 503 with its failed attempts and last error.
func TestDeliveriesFailing(t *testing.T) {
	d := startDev(t, t.TempDir())
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer down.Close()
	var created hookwirev1.CreateSubscriptionResponse
	d.hwJSON(t, &created, "subscriptions", "create", "--url", down.URL+"/h", "--event-type", "transaction.sale.success",
		"--scope", "acquirers/7", "--label", "down")
	subID := created.GetSubscription().GetId()
	// Until the dispatcher has the new subscription an event matches
	// nothing: publish until one fails.
	var ranked hookwirev1.ListFailingSubscriptionsResponse
	n := 0
	testkit.Eventually(t, 30*time.Second, func() bool {
		n++
		d.hw(t, "events", "publish", "--type", "transaction.sale.success", "--scope", "acquirers/7", "--id", fmt.Sprintf("evt_failing_%d", n))
		ranked.Reset()
		d.hwJSON(t, &ranked, "deliveries", "failing", "--since", "10m")
		return len(ranked.GetSubscriptions()) == 1
	}, "the failing subscription is ranked")
	if s := ranked.GetSubscriptions()[0]; s.GetSubscriptionId() != subID || s.GetFailedAttempts() < 1 || s.GetLastHttpStatus() != 503 ||
		s.GetLastError() != "HTTP 503 Service Unavailable" {
		t.Fatalf("ranked %v, want %s with its 503s", s, subID)
	}
	table := d.hw(t, "deliveries", "failing", "--scope", "acquirers/7", "--limit", "5")
	if !strings.Contains(table, subID) || !strings.Contains(table, "HTTP 503 Service Unavailable") {
		t.Fatalf("deliveries failing table:\n%s", table)
	}
	if out, _, code := d.try("deliveries", "failing", "--since", "yesterday"); code != exitUsage {
		t.Fatalf("a bad --since: exit %d, %q", code, out)
	}
}
