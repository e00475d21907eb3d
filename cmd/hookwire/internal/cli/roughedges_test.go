package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// TestSubscriptionsTestExitCode: a failed endpoint test exits 1 (scripts
// and CI checks read the exit code), a passing one 0.
func TestSubscriptionsTestExitCode(t *testing.T) {
	d := startDev(t, t.TempDir())
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer bad.Close()

	if out, errOut, code := d.try("subscriptions", "test", "--url", ok.URL); code != exitOK {
		t.Fatalf("test of a 204 endpoint: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := d.try("subscriptions", "test", "--url", bad.URL)
	if code != exitError {
		t.Fatalf("test of a 500 endpoint: exit %d, want %d\n%s%s", code, exitError, out, errOut)
	}
	if !strings.Contains(out, "500") || !strings.Contains(errOut, "the endpoint test failed: HTTP 500") {
		t.Fatalf("want the table and one error line naming the status; stdout:\n%s\nstderr:\n%s", out, errOut)
	}
}

// TestSubscriptionsListShowsVisibleTree: with no --scope, list shows every
// subscription the caller may see, not only the root scope's.
func TestSubscriptionsListShowsVisibleTree(t *testing.T) {
	d := startDev(t, t.TempDir())
	for _, sc := range []string{"", "acquirers/100", "acquirers/100/merchants/2000"} {
		d.hw(t, "subscriptions", "create", "--url", "http://127.0.0.1:9/hook", "--event-type", "transaction.*", "--scope", sc, "--label", "at "+sc)
	}
	var all hookwirev1.ListSubscriptionsResponse
	d.hwJSON(t, &all, "subscriptions", "list")
	if n := len(all.GetSubscriptions()); n != 3 {
		t.Fatalf("list without flags: %d subscriptions, want all 3", n)
	}
	var one hookwirev1.ListSubscriptionsResponse
	d.hwJSON(t, &one, "subscriptions", "list", "--scope", "acquirers/100")
	if n := len(one.GetSubscriptions()); n != 1 {
		t.Fatalf("list --scope acquirers/100: %d subscriptions, want exactly its own 1", n)
	}
}

// TestPublishErrorSaidOnce: a failed publish names the event once.
func TestPublishErrorSaidOnce(t *testing.T) {
	d := startDev(t, t.TempDir())
	_, errOut, code := d.try("events", "publish", "--id", "evt_once", "--type", "no.such.type", "--data", "{}")
	if code != exitError {
		t.Fatalf("publish of an unknown type: exit %d, want %d\n%s", code, exitError, errOut)
	}
	if n := strings.Count(errOut, "evt_once"); n != 1 {
		t.Fatalf("the event id appears %d times in the error, want once:\n%s", n, errOut)
	}
}
