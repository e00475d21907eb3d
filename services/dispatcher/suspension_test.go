package dispatcher

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/notice"
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
	pm := parseMail(t, m.data)
	for _, want := range []string{"failing", "Shop 2 orders", failing.URL, rec.StatusReason, "hookwire subscriptions resume failing",
		"5 deliveries in a row ended FAILED", "hookwire deliveries redeliver", "hookwire deliveries replay --subscription failing --start ",
		"keeps each event 1 hour after receiving it"} {
		if !strings.Contains(pm.text, want) {
			t.Errorf("mail text lacks %q:\n%s", want, pm.text)
		}
	}
	for _, lie := range []string{"No event is lost", "sent once it is resumed"} {
		if strings.Contains(m.data, lie) {
			t.Errorf("mail still says %q", lie)
		}
	}
	suspendedID := pm.header.Get("Message-ID")

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
	testkit.Eventually(t, 10*time.Second, func() bool { return len(mails.messages()) == 2 }, "the recovered e-mail")
	rm := parseMail(t, mails.messages()[1].data)
	if rm.subject != "Webhook active again: Shop 2 orders" || rm.header.Get("In-Reply-To") != suspendedID ||
		rm.header.Get("Message-ID") == suspendedID {
		t.Errorf("recovered e-mail: subject %q, In-Reply-To %q, Message-ID %q (suspension's %q)",
			rm.subject, rm.header.Get("In-Reply-To"), rm.header.Get("Message-ID"), suspendedID)
	}
	for _, want := range []string{"is active again", "The 5 deliveries that ended FAILED stay FAILED", "hookwire deliveries redeliver"} {
		if !strings.Contains(rm.text, want) {
			t.Errorf("recovered text lacks %q:\n%s", want, rm.text)
		}
	}
	if n := len(mails.readAll()); n != 2 {
		t.Errorf("%d e-mails, want 2", n)
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

// urlToken is a secret a merchant put in the query string of a webhook URL.
const urlToken = "tok_9f8e7d6c5b4a"

// noticeHarness has an SMTP server and one subscription, "gone", whose
// endpoint answers 410 Gone (one event suspends it) and whose URL carries
// urlToken; "status-watch" receives the status events.
func noticeHarness(t *testing.T, label string) (*harness, *smtpd, subscription.Record) {
	t.Helper()
	h := newHarness(t, 2*time.Minute)
	mails := startSMTP(t)
	h.cfg.SMTP.Addr, h.cfg.SMTP.From = mails.addr(), "hookwire@alerts.psp.example"
	h.cfg.Notices.ConsoleURL = "https://psp.example/console/"
	h.subscribe(subscription.Record{ID: "gone", Label: label, Scope: "acquirers/1", EventTypes: []string{"*"},
		NotificationEmails: []string{"ops@shop.example"}, SupportEmail: "support@psp.example"})
	h.subscribe(subscription.Record{ID: "status-watch", EventTypes: []string{"hookwire.subscription.*"}})
	rec, _, err := h.store.Update(h.ctx, "gone", 0, h.clock.Now(), func(r *subscription.Record) error {
		r.URL += "?token=" + urlToken
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.rcv.setRespond(func(path string, _ int) int {
		if path == "gone" {
			return http.StatusGone
		}
		return http.StatusOK
	})
	return h, mails, rec
}

// suspendGone publishes an event, waits until "gone" is suspended and
// returns the ID of its suspension notice.
func suspendGone(t *testing.T, h *harness) string {
	t.Helper()
	h.publish("evt-1", "ach.returned", "acquirers/1", nil)
	var rev uint64
	testkit.Eventually(t, 20*time.Second, func() bool {
		rec, r, err := h.store.Get(h.ctx, "gone")
		rev = r
		return err == nil && rec.Status == subscription.StatusSuspended
	}, "the subscription to be suspended")
	return fmt.Sprintf("suspended:gone:%d", rev)
}

// waitSent waits until notice id is marked sent and nothing is left to send.
func waitSent(t *testing.T, h *harness, id string) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, func() bool {
		st, err := h.rdb.HGet(h.ctx, notice.KeyPrefix+id, "state").Result()
		n, err2 := h.rdb.ZCard(h.ctx, notice.QueueKey).Result()
		return err == nil && err2 == nil && st == "sent" && n == 0
	}, "notice %s to be marked sent", id)
}

// TestSuspensionNoticeSurvivesSMTPOutage: with the SMTP server down when
// the subscription is suspended, the notice is kept and tried again with
// back-off; once the server is back, exactly one e-mail arrives.
func TestSuspensionNoticeSurvivesSMTPOutage(t *testing.T) {
	h, mails, _ := noticeHarness(t, "Shop orders")
	mails.stop()
	h.start()
	id := suspendGone(t, h)
	testkit.Eventually(t, 20*time.Second, func() bool {
		h.clock.Advance(time.Second)
		n, err := h.rdb.HGet(h.ctx, notice.KeyPrefix+id, "attempts").Int()
		return err == nil && n >= 3
	}, "three failed attempts while the server is down")
	mails.start()
	testkit.Eventually(t, 20*time.Second, func() bool {
		h.clock.Advance(10 * time.Second)
		return len(mails.messages()) == 1
	}, "the e-mail once the server is back")
	waitSent(t, h, id)
	if n := len(mails.readAll()); n != 1 {
		t.Fatalf("%d e-mails, want 1", n)
	}
	if got := parseMail(t, mails.messages()[0].data).subject; !strings.Contains(got, "Shop orders") {
		t.Fatalf("subject %q", got)
	}
}

// TestSuspensionNoticeSentOnceAfterCrash: a dispatcher killed after the
// notice was recorded and claimed, while its SMTP conversation had not got
// past the greeting, sends nothing; the next dispatcher sends it once its
// lease has run out, exactly once.
func TestSuspensionNoticeSentOnceAfterCrash(t *testing.T) {
	h, mails, _ := noticeHarness(t, "Shop orders")
	mails.setHold(true)
	first := h.start()
	id := suspendGone(t, h)
	testkit.Eventually(t, 10*time.Second, func() bool { return mails.heldConns() >= 1 }, "the dispatcher to be mid-send")
	first.crash()
	mails.setHold(false)
	if n := len(mails.readAll()); n != 0 {
		t.Fatalf("%d e-mails before the restart", n)
	}
	h.start()
	testkit.Eventually(t, 20*time.Second, func() bool {
		h.clock.Advance(10 * time.Second)
		return len(mails.messages()) == 1
	}, "the e-mail from the restarted dispatcher")
	waitSent(t, h, id)
	if n := len(mails.readAll()); n != 1 {
		t.Fatalf("%d e-mails, want 1", n)
	}
}

// TestSuspensionNoticeForm: a message whose acknowledgement is lost is sent
// again under the same Message-ID; the message parses as multipart/
// alternative, its non-ASCII subject is RFC 2047 encoded, the whole message
// is 7-bit, the URL's token appears nowhere (nor in the suspended event),
// HTML escapes the label, and the text says what the merchant must know.
// With HOOKWIRE_NOTIFY_RECOVERED off, Resume e-mails nothing.
func TestSuspensionNoticeForm(t *testing.T) {
	const label = "Boutique Élodie <b>commandes</b>"
	h, mails, rec := noticeHarness(t, label)
	h.cfg.Notices.Recovered = false
	mails.dropMessages(1)
	h.start()
	id := suspendGone(t, h)
	testkit.Eventually(t, 20*time.Second, func() bool {
		h.clock.Advance(10 * time.Second)
		return len(mails.messages()) == 1
	}, "the e-mail, sent again after the lost acknowledgement")
	waitSent(t, h, id)
	read := mails.readAll()
	if len(read) != 2 {
		t.Fatalf("the server read %d messages, want 2 (one dropped, one accepted)", len(read))
	}
	first, m := parseMail(t, read[0].data), parseMail(t, read[1].data)
	msgID := m.header.Get("Message-ID")
	if want := "<hookwire.suspended=3agone=3a" + strings.TrimPrefix(id, "suspended:gone:") + "@alerts.psp.example>"; msgID != want ||
		first.header.Get("Message-ID") != msgID {
		t.Errorf("Message-IDs %q and %q, want both %q", first.header.Get("Message-ID"), msgID, want)
	}
	if want := "Webhook suspended: " + label + " — its events are held, not sent"; m.subject != want {
		t.Errorf("subject %q, want %q", m.subject, want)
	}
	if raw := m.header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?q?") {
		t.Errorf("raw subject %q is not an RFC 2047 encoded word", raw)
	}
	for i, c := range []byte(read[1].data) {
		if c >= 0x80 {
			t.Fatalf("8-bit byte at %d of the message", i)
		}
	}
	if _, err := m.header.Date(); err != nil {
		t.Errorf("Date %q: %v", m.header.Get("Date"), err)
	}
	for k, want := range map[string]string{
		"Auto-Submitted": "auto-generated", "MIME-Version": "1.0", "To": "ops@shop.example",
		"From":             "hookwire@alerts.psp.example",
		"List-Unsubscribe": "<https://psp.example/console/subscriptions/gone>",
	} {
		if got := m.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	shown := strings.TrimSuffix(rec.URL, "?token="+urlToken)
	for _, want := range []string{label, "gone", shown + "  (credentials, query string and fragment not shown)", "endpoint answered 410 Gone",
		"No delivery had ended FAILED", "Held now:", "hookwire subscriptions resume gone", "keeps each event 1 hour",
		"https://psp.example/console/subscriptions/gone", "Questions: support@psp.example"} {
		if !strings.Contains(m.text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.text)
		}
	}
	if !strings.Contains(m.html, "Boutique Élodie &lt;b&gt;commandes&lt;/b&gt;") || strings.Contains(m.html, "<b>commandes") {
		t.Errorf("html does not escape the label:\n%s", m.html)
	}
	for _, r := range read {
		if strings.Contains(r.data, urlToken) || strings.Contains(r.data, "token=") {
			t.Fatal("the URL's token is in the e-mail")
		}
	}
	waitCount(t, h, "status-watch", 1)
	ev := h.rcv.requests("status-watch")[0].body
	var change ops.StatusChange
	if err := json.Unmarshal(opsBody(t, ev).Data, &change); err != nil || change.URL != shown || strings.Contains(string(ev), urlToken) {
		t.Fatalf("suspended event %s (%v): URL not redacted to %q", ev, err, shown)
	}

	h.rcv.setRespond(func(string, int) int { return http.StatusOK }) // fixed: the held delivery goes out on Resume
	h.setStatus("gone", subscription.StatusActive)
	waitCount(t, h, "gone", 2)
	waitCount(t, h, "status-watch", 2) // the recovered event: published once its notice would be recorded
	if b := opsBody(t, h.rcv.requests("status-watch")[1].body); b.Type != ops.TypeRecovered {
		t.Fatalf("second status event %s %s", b.Type, b.ID)
	}
	if n, err := h.rdb.ZCard(h.ctx, notice.QueueKey).Result(); err != nil || n != 0 {
		t.Fatalf("%d notices queued after Resume with recovered notices off (%v)", n, err)
	}
	if keys, _ := h.rdb.Keys(h.ctx, notice.KeyPrefix+"recovered:*").Result(); len(keys) != 0 {
		t.Fatalf("recovered notices recorded: %v", keys)
	}
}

// The dispatcher's audit name is one no token may have (auth.Parse
// refuses the prefix), so no caller's suspension passes for its own.
func TestSuspendedByIsReserved(t *testing.T) {
	if !strings.HasPrefix(suspendedBy, auth.ReservedPrefix) {
		t.Fatalf("suspendedBy %q does not start with auth.ReservedPrefix %q", suspendedBy, auth.ReservedPrefix)
	}
	tokens := fmt.Sprintf(`{"tokens":[{"name":%q,"sha256":%q,"permissions":["manage"]}]}`, suspendedBy, auth.HashToken("t"))
	if _, err := auth.Parse([]byte(tokens)); err == nil {
		t.Fatalf("a token named %q was accepted", suspendedBy)
	}
}
