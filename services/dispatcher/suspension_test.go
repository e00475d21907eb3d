package dispatcher

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/ops"
	"github.com/hookwire/hookwire/services/dispatcher/park"
	"github.com/hookwire/hookwire/services/dispatcher/streak"
)

// TestSuspensionAfterExhaustedDeliveries: five deliveries in a row that
// exhaust their retries suspend the subscription; its notification
// addresses get an e-mail, hookwire.subscription.suspended and
// hookwire.delivery.exhausted reach the subscriptions that asked for them
// (not a bare "*"), events published while it is suspended are kept, and
// after Resume every one of them arrives and hookwire.subscription.recovered
// is published.
func TestSuspensionAfterExhaustedDeliveries(t *testing.T) {
	h := newHarness(t, 2*time.Minute)
	mails := startSMTP(t)
	h.cfg.SMTP.Addr, h.cfg.SMTP.From = mails.addr(), "hookwire@example.com"
	const sc = "acquirers/1/merchants/2"
	failing := h.subscribe(subscription.Record{ID: "failing", Label: "Shop 2 orders", Scope: sc, EventTypes: []string{"*"},
		RetryDelays: []time.Duration{time.Second}, NotificationEmails: []string{"ops@shop2.example", "cto@shop2.example"}})
	h.subscribe(subscription.Record{ID: "status-watch", Scope: "acquirers/1", EventTypes: []string{"hookwire.subscription.*"}})
	h.subscribe(subscription.Record{ID: "exhausted-watch", EventTypes: []string{"hookwire.delivery.exhausted"}})
	h.subscribe(subscription.Record{ID: "catch-all", EventTypes: []string{"*"}})
	h.rcv.setRespond(func(path string, _ int) int {
		if path == "failing" {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	h.start()
	for i := range 5 {
		h.publish(fmt.Sprintf("evt-%d", i), "ach.returned", sc, nil)
	}
	var rec subscription.Record
	var rev uint64
	testkit.Eventually(t, 20*time.Second, func() bool {
		h.clock.Advance(time.Second) // each delivery: one attempt, one retry a second later
		var err error
		rec, rev, err = h.store.Get(h.ctx, "failing")
		return err == nil && rec.Status == subscription.StatusSuspended
	}, "the subscription to be suspended")
	if !strings.Contains(rec.StatusReason, "5 deliveries in a row") || rec.UpdatedBy != suspendedBy {
		t.Fatalf("status reason %q by %q", rec.StatusReason, rec.UpdatedBy)
	}
	if n := h.rcv.count("failing"); n != 10 {
		t.Fatalf("failing subscription got %d requests, want 10 (5 deliveries x 2 attempts)", n)
	}

	testkit.Eventually(t, 10*time.Second, func() bool { return len(mails.messages()) == 1 }, "one suspension e-mail")
	m := mails.messages()[0]
	if m.from != "hookwire@example.com" || !slices.Equal(m.to, failing.NotificationEmails) {
		t.Fatalf("mail from %q to %v", m.from, m.to)
	}
	for _, want := range []string{"failing", "Shop 2 orders", failing.URL, rec.StatusReason, "hookwire subscriptions resume failing"} {
		if !strings.Contains(m.data, want) {
			t.Errorf("mail lacks %q:\n%s", want, m.data)
		}
	}

	waitCount(t, h, "status-watch", 1)
	got := opsBody(t, h.rcv.requests("status-watch")[0].body)
	if got.ID != fmt.Sprintf("hookwire.subscription.suspended:failing:%d", rev) || got.Type != ops.TypeSuspended || got.Scope != sc {
		t.Fatalf("suspended event = %+v", got)
	}
	var change ops.StatusChange
	if err := json.Unmarshal(got.Data, &change); err != nil || change.SubscriptionID != "failing" || change.Label != "Shop 2 orders" ||
		change.URL != failing.URL || change.Reason != rec.StatusReason || change.SuspendedAt.IsZero() {
		t.Fatalf("suspended data = %s (%v)", got.Data, err)
	}
	waitCount(t, h, "exhausted-watch", 5)
	for _, r := range h.rcv.requests("exhausted-watch") {
		var x ops.Exhaustion
		b := opsBody(t, r.body)
		if err := json.Unmarshal(b.Data, &x); err != nil || b.Type != ops.TypeExhausted || x.SubscriptionID != "failing" ||
			x.Attempts != 2 || x.LastStatus != http.StatusInternalServerError || x.EventType != "ach.returned" {
			t.Errorf("exhausted event = %s %s (%v)", b.Type, b.Data, err)
		}
	}

	// Events arriving while suspended are fanned out and parked, not sent.
	for i := 5; i < 8; i++ {
		h.publish(fmt.Sprintf("evt-%d", i), "ach.returned", sc, nil)
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		n, err := h.rdb.ZCard(h.ctx, park.KeyPrefix+"failing").Result()
		return err == nil && n == 3
	}, "the 3 new deliveries to be parked")
	h.waitQuiet()
	if n := h.rcv.count("failing"); n != 10 {
		t.Fatalf("suspended subscription got %d requests, want still 10", n)
	}
	if n, _ := h.rdb.Exists(h.ctx, streak.KeyPrefix+"failing").Result(); n != 0 {
		t.Fatal("exhausted streak not reset by the suspension")
	}

	h.rcv.setRespond(func(string, int) int { return http.StatusOK })
	h.setStatus("failing", subscription.StatusActive) // as ResumeSubscription does
	waitCount(t, h, "failing", 13)
	waitCount(t, h, "status-watch", 2)
	h.waitQuiet()
	var after []string
	for _, r := range h.rcv.requests("failing")[10:] {
		after = append(after, opsBody(t, r.body).ID)
	}
	slices.Sort(after)
	if want := []string{"evt-5", "evt-6", "evt-7"}; !slices.Equal(after, want) {
		t.Fatalf("after resume the subscription got %v, want %v", after, want)
	}
	if b := opsBody(t, h.rcv.requests("status-watch")[1].body); b.Type != ops.TypeRecovered || !strings.HasPrefix(b.ID, "hookwire.subscription.recovered:failing:") {
		t.Fatalf("second status event = %s %s", b.Type, b.ID)
	}
	for _, r := range h.rcv.requests("catch-all") {
		if b := opsBody(t, r.body); ops.IsOperational(b.Type) {
			t.Errorf("a bare \"*\" subscription received operational event %s", b.ID)
		}
	}
	if n := h.rcv.count("catch-all"); n != 8 {
		t.Errorf("catch-all got %d requests, want the 8 events", n)
	}
	if n := len(mails.messages()); n != 1 {
		t.Errorf("%d e-mails, want 1", n)
	}
}

func opsBody(t testing.TB, b []byte) bus.Body {
	t.Helper()
	var body bus.Body
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
	return body
}
