package consoletest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// What the page audit of issue 12 fixed, on a dev stack: a text search
// finds a subscription beyond the first page; "Send test event" answers
// with a redirect (reload and back send no second one) and its result is
// shown once; a missing subscription is a 404 page; an input the API
// refused is marked for assistive technology.
func TestConsoleAuditFixes(t *testing.T) {
	s := startStack(t, false)
	rcv := newReceiver(t)
	for i := range 60 {
		s.createSub(t, &hookwirev1.Subscription{Label: fmt.Sprintf("filler %02d", i), Url: rcv.URL + "/f", EventTypes: []string{"*"}})
	}
	needle := s.createSub(t, &hookwirev1.Subscription{Label: "The needle", Url: rcv.URL + "/needle", EventTypes: []string{"*"}}).GetSubscription()
	c := newClient(t, s.console)
	list := c.get("subscriptions")
	csrf := csrfOf(t, list)
	if strings.Contains(list.body, "The needle") || !strings.Contains(list.body, `rel="next"`) {
		t.Fatal("the needle is on the first page of 61 subscriptions: the search below proves nothing")
	}
	t.Run("text search reads on", func(t *testing.T) {
		if p := c.get("subscriptions?q=needle"); p.code != http.StatusOK || !strings.Contains(p.body, "The needle") || strings.Contains(p.body, "filler") {
			t.Fatalf("a text search does not find the subscription beyond the first page:\n%.2500s", p.body)
		}
	})
	t.Run("test event redirects", func(t *testing.T) { auditTestEvent(t, c, csrf, "subscriptions/"+needle.GetId()) })
	t.Run("not found is 404", func(t *testing.T) {
		if p := c.get("subscriptions/sub_missing"); p.code != http.StatusNotFound || !strings.Contains(p.body, "not found") {
			t.Fatalf("a missing subscription = %d, want a 404 page", p.code)
		}
	})
	t.Run("refused input is described", func(t *testing.T) {
		bad := c.post("subscriptions", url.Values{"csrf": {csrf}, "label": {"x"}, "url": {"ftp://x"}})
		if !strings.Contains(bad.body, `id="url" name="url" aria-invalid="true" aria-describedby="url-error"`) ||
			!strings.Contains(bad.body, `<p class="field-error" id="url-error"`) || strings.Contains(bad.body, `id="label" name="label" aria-invalid`) {
			t.Fatalf("the refused URL input is not marked invalid and described by its message:\n%.4000s", bad.body)
		}
	})
}

func auditTestEvent(t *testing.T, c *client, csrf, subPath string) {
	t.Helper()
	p := c.post(subPath+"/test", url.Values{"csrf": {csrf}})
	if p.code != http.StatusSeeOther || p.location != "/console/"+subPath {
		t.Fatalf("send test event = %d %q, want a redirect to the subscription's page", p.code, p.location)
	}
	if got := c.get(subPath); !strings.Contains(got.body, `id="test-result"`) || !strings.Contains(got.body, "204") {
		t.Fatalf("the subscription's page after the test shows no result:\n%.2500s", got.body)
	}
	if again := c.get(subPath); strings.Contains(again.body, `id="test-result"`) {
		t.Fatal("the test result is shown again on a reload")
	}
}
