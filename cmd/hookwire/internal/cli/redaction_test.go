package cli

import (
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/cmd/hookwire/internal/dev"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// No secret, password, key or payload body reaches a log line: the whole
// stack logs at debug level while a subscription with basic auth and
// encryption is created and rotated, events are published and delivered,
// and one endpoint fails (error paths log too).
func TestLogsCarryNoSecretsOrBodies(t *testing.T) {
	var logs syncBuffer
	dir := t.TempDir()
	d := startDevWith(t, dev.Options{DataDir: dir, Logger: telemetry.NewLogger(&logs, slog.LevelDebug, "hookwire-dev")})
	rec := &recorder{}
	ok := httptest.NewServer(rec)
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
	}))
	defer failing.Close()
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "endpoint removed", http.StatusGone) // suspension: its log lines and notices
	}))
	defer gone.Close()

	const password = "pw-Zq8rT1-never-logged"
	const bodyMarker = "card-4111-body-never-logged"
	var created, other hookwirev1.CreateSubscriptionResponse
	d.hwJSON(t, &created, "subscriptions", "create", "--url", ok.URL+"/hooks", "--event-type", "transaction.sale.*",
		"--basic-user", "merchant", "--basic-password", password, "--encrypt")
	d.hwJSON(t, &other, "subscriptions", "create", "--url", failing.URL+"/hooks", "--event-type", "transaction.sale.*",
		"--basic-user", "merchant", "--basic-password", password, "--retry", "1s")
	var removed hookwirev1.CreateSubscriptionResponse
	d.hwJSON(t, &removed, "subscriptions", "create", "--url", gone.URL+"/hooks", "--event-type", "transaction.sale.*",
		"--basic-user", "merchant", "--basic-password", password, "--encrypt")
	var rotated hookwirev1.RotateSecretResponse
	d.hwJSON(t, &rotated, "subscriptions", "rotate-secret", created.GetSubscription().GetId())
	d.hw(t, "events", "publish", "--type", "transaction.sale.success", "--id", "evt_redact_1",
		"--data", `{"pan": "`+bodyMarker+`"}`)
	// An invalid event: its rejection is logged nowhere with its body either.
	d.try("events", "publish", "--type", "no.such.type", "--data", `{"pan": "`+bodyMarker+`"}`)
	testkit.Eventually(t, 30*time.Second, func() bool { return len(rec.all()) > 0 }, "delivery reaches the receiver")
	testkit.Eventually(t, 30*time.Second, func() bool { return strings.Contains(logs.String(), `"level":"`) },
		"the stack logged nothing")
	testkit.Eventually(t, 30*time.Second, func() bool { return strings.Contains(logs.String(), "subscription suspended") },
		"the 410 endpoint's subscription to be suspended")

	masterKey, err := os.ReadFile(filepath.Join(dir, seal.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	key := created.GetEncryptionKey()
	secrets := map[string]string{
		"signing secret":          created.GetSigningSecret(),
		"second signing secret":   other.GetSigningSecret(),
		"third signing secret":    removed.GetSigningSecret(),
		"third encryption key":    base64.StdEncoding.EncodeToString(removed.GetEncryptionKey()),
		"rotated signing secret":  rotated.GetSigningSecret(),
		"basic-auth password":     password,
		"basic-auth header value": base64.StdEncoding.EncodeToString([]byte("merchant:" + password)),
		"encryption key (base64)": base64.StdEncoding.EncodeToString(key),
		"encryption key (hex)":    hex.EncodeToString(key),
		"master key file":         strings.TrimSpace(string(masterKey)),
		"payload body":            bodyMarker,
	}
	out := logs.String()
	for what, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("%s %q is too short to search for", what, s)
		}
		if strings.Contains(out, s) {
			t.Errorf("a log line contains the %s", what)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", out)
	}
	t.Logf("%d log lines checked", strings.Count(out, "\n"))
}
