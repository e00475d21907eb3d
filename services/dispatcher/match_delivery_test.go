package dispatcher

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/signing"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

func TestEventReachesExactlyTheMatchingSubscriptions(t *testing.T) {
	h := newHarness(t, 2*time.Minute)
	card := map[string][]string{"payment_method": {"CARD", "BLIK"}}
	subs := []struct {
		rec  subscription.Record
		want bool
	}{
		{subscription.Record{ID: "root-all", Scope: "", EventTypes: []string{"*"}}, true},
		{subscription.Record{ID: "acq-exact", Scope: "acquirers/100", EventTypes: []string{"transaction.sale.success"}}, true},
		{subscription.Record{ID: "merch-wild", Scope: "acquirers/100/merchants/2000", EventTypes: []string{"transaction.sale.*"}}, true},
		{subscription.Record{ID: "merch-card", Scope: "acquirers/100/merchants/2000", EventTypes: []string{"transaction.*"}, Filters: card}, true},
		{subscription.Record{ID: "merch-ach-only", Scope: "acquirers/100/merchants/2000", EventTypes: []string{"*"}, Filters: map[string][]string{"payment_method": {"ACH"}}}, false},
		{subscription.Record{ID: "other-type", Scope: "acquirers/100", EventTypes: []string{"transaction.refund.*", "ach.returned"}}, false},
		{subscription.Record{ID: "other-acquirer", Scope: "acquirers/101", EventTypes: []string{"*"}}, false},
		{subscription.Record{ID: "below-event", Scope: "acquirers/100/merchants/2000/terminals/31", EventTypes: []string{"*"}}, false},
		{subscription.Record{ID: "paused", Scope: "acquirers/100", EventTypes: []string{"*"}, Status: subscription.StatusPaused}, false},
		{subscription.Record{ID: "suspended", Scope: "", EventTypes: []string{"*"}, Status: subscription.StatusSuspended}, false},
	}
	for _, s := range subs {
		h.subscribe(s.rec)
	}
	h.start()
	h.publish("evt-1", "transaction.sale.success", "acquirers/100/merchants/2000", map[string]string{"payment_method": "CARD"})

	for _, s := range subs {
		if s.want {
			waitCount(t, h, s.rec.ID, 1)
		}
	}
	h.waitQuiet()
	for _, s := range subs {
		got := h.rcv.requests(s.rec.ID)
		want := 0
		if s.want {
			want = 1
		}
		if len(got) != want {
			t.Errorf("subscription %s received %d requests, want %d", s.rec.ID, len(got), want)
			continue
		}
		if want == 1 {
			var body bus.Body
			if err := json.Unmarshal(got[0].body, &body); err != nil || body.ID != "evt-1" || body.Type != "transaction.sale.success" {
				t.Errorf("subscription %s body = %s (%v)", s.rec.ID, got[0].body, err)
			}
		}
	}
}

func waitCount(t testing.TB, h *harness, path string, n int) {
	t.Helper()
	testkit.Eventually(t, 20*time.Second, func() bool { return h.rcv.count(path) >= n },
		"%s to receive %d requests", path, n)
}

func TestDeliveredRequestIsSignedAndAuthenticated(t *testing.T) {
	h := newHarness(t, 2*time.Minute)
	newer, older := mustSecret(t), mustSecret(t)
	h.subscribe(subscription.Record{ID: "rotating", EventTypes: []string{"*"}, BasicUser: "merchant", BasicPassword: "s3cret"}, newer, older)
	h.subscribe(subscription.Record{ID: "plain", EventTypes: []string{"*"}}, newer)
	h.start()
	h.publish("evt-sig", "ach.returned", "acquirers/7", nil)
	waitCount(t, h, "rotating", 1)
	waitCount(t, h, "plain", 1)

	tests := []struct {
		path      string
		verifyAll [][]string // each secret set must verify the request
		basic     bool
	}{
		{"rotating", [][]string{{newer}, {older}, {newer, older}}, true},
		{"plain", [][]string{{newer}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := h.rcv.requests(tt.path)[0]
			for _, secrets := range tt.verifyAll {
				if err := signing.Verify(secrets, r.header, r.body, r.at, 5*time.Minute); err != nil {
					t.Errorf("Verify with %d secret(s): %v", len(secrets), err)
				}
			}
			if got, want := r.header.Get("webhook-id"), deliverylog.ID(tt.path, "acquirers/7", "evt-sig"); got != want {
				t.Errorf("webhook-id = %q, want delivery id %q", got, want)
			}
			// X-Signature carries one value per secret during the rotation.
			for _, secrets := range tt.verifyAll {
				if err := signing.VerifyXSignature(secrets, r.header.Get("X-Signature"), r.body); err != nil {
					t.Errorf("X-Signature with %d secret(s): %v", len(secrets), err)
				}
			}
			req := &http.Request{Header: r.header}
			user, pass, ok := req.BasicAuth()
			if tt.basic && (!ok || user != "merchant" || pass != "s3cret") {
				t.Errorf("basic auth = %q %q %v, want merchant s3cret", user, pass, ok)
			}
			if !tt.basic && ok {
				t.Errorf("unexpected basic auth for %s", tt.path)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if !strings.HasPrefix(r.header.Get("User-Agent"), "Hookwire/") {
				t.Errorf("User-Agent = %q", r.header.Get("User-Agent"))
			}
		})
	}
}

func mustSecret(t *testing.T) string {
	t.Helper()
	s, err := signing.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMalformedEventMessageReachesNobody(t *testing.T) {
	h := newHarness(t, 2*time.Minute)
	h.subscribe(subscription.Record{ID: "all", EventTypes: []string{"*"}})
	h.start()
	if _, err := h.js.Publish(h.ctx, bus.EventsSubjectPrefix+"ach.returned", []byte(`{"id":"no-headers"}`)); err != nil {
		t.Fatal(err)
	}
	h.publish("evt-good", "ach.returned", "acquirers/1", nil)
	waitCount(t, h, "all", 1)
	h.waitQuiet()
	if n := h.rcv.count("all"); n != 1 {
		t.Fatalf("subscriber received %d requests, want only the well-formed event", n)
	}
}
