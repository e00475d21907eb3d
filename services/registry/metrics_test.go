package registry_test

import (
	"context"
	"io"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// hookwire_subscriptions{status} follows the index.
func TestSubscriptionsGauge(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	prov, shutdown, err := telemetry.Setup(context.Background(), "registry-test", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	e := start(t)
	create(t, e, rootToken, validSub("acquirers/100"))
	paused := create(t, e, rootToken, validSub("acquirers/100"))
	if _, err := e.client.PauseSubscription(as(t, rootToken), &hookwirev1.PauseSubscriptionRequest{Id: paused.GetSubscription().GetId()}); err != nil {
		t.Fatal(err)
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`hookwire_subscriptions{[^}]*status="ACTIVE"} 1\n`),
		regexp.MustCompile(`hookwire_subscriptions{[^}]*status="PAUSED"} 1\n`),
		regexp.MustCompile(`hookwire_subscriptions{[^}]*status="SUSPENDED"} 0\n`),
	}
	var body []byte
	testkit.Eventually(t, 10*time.Second, func() bool {
		rr := httptest.NewRecorder()
		prov.Metrics.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
		body, _ = io.ReadAll(rr.Body)
		for _, re := range want {
			if !re.Match(body) {
				return false
			}
		}
		return true
	}, "hookwire_subscriptions not 1 active, 1 paused, 0 suspended")
}
