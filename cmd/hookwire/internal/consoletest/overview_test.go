package consoletest

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/cmd/hookwire/internal/dev"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// TestOverviewRanksFailedAttempts: the overview ranks the subscriptions
// the token sees by their failed attempts of the last hour, counted by
// attempt, whatever their delivery's age or state: "Old retries" failed
// twice in the hour on a delivery created two days ago and discarded since
// (410 Gone on a late retry), which a scan of recent, pending or failed
// deliveries does not find.
func TestOverviewRanksFailedAttempts(t *testing.T) {
	url := testkit.StartPostgres(t).NewDatabase(t)
	s := startStackWith(t, true, func(o *dev.Options) { o.DeliveryLogURL = url })
	down := newReceiver(t)
	down.status.Store(http.StatusServiceUnavailable)
	// Each subscription at its own leaf, so that each gets only its own
	// events: one failed first attempt per event (the retry is minutes
	// away). A healthy probe subscription, created last, tells when the
	// dispatcher has them all.
	subs := []struct {
		label, scope string
		events       int
		id           string
	}{{"Loud hook", scopeA + "/terminals/1", 3, ""}, {"Quiet hook", scopeA + "/terminals/2", 1, ""},
		{"Old retries", scopeA + "/terminals/3", 0, ""}, {"Elsewhere hook", scopeB + "/merchants/9", 2, ""}}
	for i, x := range subs {
		subs[i].id = s.createSub(t, &hookwirev1.Subscription{Label: x.label, Url: down.URL + "/h", Scope: x.scope,
			EventTypes: []string{"transaction.sale.success"}}).GetSubscription().GetId()
	}
	s.probe(t, newReceiver(t))
	for _, x := range subs {
		for i := range x.events {
			ev := fmt.Sprintf("%s-%d", x.id, i)
			s.publish(t, ev, x.scope)
			s.waitDelivery(t, ev)
		}
	}
	old := subs[2].id
	// Old retries: a delivery created two days ago, written as the
	// dispatcher would have, by a store whose clock says so.
	now := time.Now().UTC()
	created := now.Add(-48 * time.Hour)
	past, err := deliverylog.OpenPostgres(context.Background(),
		deliverylog.Config{URL: url, Retention: deliverylog.DefaultRetention, Replicas: 1},
		deliverylog.WithPGClock(func() time.Time { return created }))
	if err != nil {
		t.Fatal(err)
	}
	defer past.Close()
	oldScope := scopeA + "/terminals/3"
	d := deliverylog.Delivery{ID: deliverylog.ID(old, oldScope, "evt-old"), SubscriptionID: old, EventID: "evt-old",
		EventType: "transaction.sale.success", Scope: oldScope, SubscriptionScope: oldScope, EventSeq: 1}
	for _, a := range []struct {
		at     time.Time
		status int
		state  deliverylog.State
	}{{created, 500, deliverylog.Pending}, {now.Add(-30 * time.Minute), 503, deliverylog.Pending}, {now.Add(-10 * time.Minute), 410, deliverylog.Discarded}} {
		if _, err := past.RecordAttempt(context.Background(), d, deliverylog.Attempt{Number: 2, StartedAt: a.at, Status: a.status}, a.state, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}

	root := newClient(t, s.console)
	root.signIn(s.rootToken)
	page := root.get("")
	if got, want := ranking(t, page.body), []string{"Loud hook=3", "Elsewhere hook=2", "Old retries=2", "Quiet hook=1"}; !slices.Equal(got, want) {
		t.Fatalf("root's overview ranks %v, want %v", got, want)
	}
	if !strings.Contains(page.body, "HTTP 410 Gone") || !strings.Contains(page.body, "HTTP 503 Service Unavailable") {
		t.Fatalf("the overview does not show the last failures:\n%.3000s", page.body)
	}
	scoped := newClient(t, s.console)
	scoped.signIn(s.scopedToken)
	if got, want := ranking(t, scoped.get("").body), []string{"Loud hook=3", "Old retries=2", "Quiet hook=1"}; !slices.Equal(got, want) {
		t.Fatalf("acquirers/100's overview ranks %v, want %v", got, want)
	}
}

// ranking is the overview's failing table: label and count, in order.
func ranking(t *testing.T, body string) []string {
	t.Helper()
	i := strings.Index(body, `id="failing-h"`)
	if i < 0 {
		t.Fatalf("no failing table in the overview:\n%.2000s", body)
	}
	var out []string
	row := regexp.MustCompile(`(?s)<tr><td><a href="[^"]+">([^<]+)</a>.*?<td class="num">(\d+)</td>`)
	for _, m := range row.FindAllStringSubmatch(body[i:], -1) {
		out = append(out, m[1]+"="+m[2])
	}
	return out
}
