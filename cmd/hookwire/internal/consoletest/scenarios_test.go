package consoletest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// A token bound to acquirers/100 sees only its subtree: in the list and in
// the scope tree.
func TestBrowserScopedTokenSeesItsSubtree(t *testing.T) {
	s := startStack(t, true)
	rcv := newReceiver(t)
	for _, sub := range []*hookwirev1.Subscription{
		{Label: "Acquirer 100 ledger", Url: rcv.URL + "/1", Scope: "acquirers/100", EventTypes: []string{"transaction.*"}},
		{Label: "Merchant 2000 shop", Url: rcv.URL + "/2", Scope: scopeA, EventTypes: []string{"transaction.sale.*"}},
		{Label: "Terminal 31 till", Url: rcv.URL + "/3", Scope: scopeA + "/terminals/31", EventTypes: []string{"transaction.sale.success"}},
		{Label: "Acquirer 200 books", Url: rcv.URL + "/4", Scope: scopeB, EventTypes: []string{"*"}},
	} {
		s.createSub(t, sub)
	}
	ctx := tab(t)
	signIn(t, ctx, s, s.scopedToken)
	do(t, ctx, chromedp.Navigate(s.console+"subscriptions"), chromedp.WaitVisible(chromedp.CSS("#subscriptions")))
	list, tree := text(t, ctx, "#subscriptions"), text(t, ctx, ".tree")
	for _, want := range []string{"Acquirer 100 ledger", "Merchant 2000 shop", "Terminal 31 till"} {
		contains(t, list, want, "subscriptions of the token's subtree")
	}
	if strings.Contains(list, "Acquirer 200") || strings.Contains(tree, "acquirers/200") {
		t.Fatalf("a token of acquirers/100 sees acquirers/200:\nlist %q\ntree %q", list, tree)
	}
	contains(t, tree, "terminals/31", "scope tree")

	// A node of the tree narrows the list to its subtree (and the URL says so).
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tree a[title="`+scopeA+`"]`)), chromedp.WaitVisible(chromedp.CSS(`.tree a[aria-current]`)))
	if list := text(t, ctx, "#subscriptions"); strings.Contains(list, "Acquirer 100 ledger") || !strings.Contains(list, "Terminal 31 till") {
		t.Fatalf("the subtree of %s lists %q", scopeA, list)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	contains(t, loc, "scope=acquirers%2F100%2Fmerchants%2F2000", "bookmarkable URL")
	screenshot(t, ctx, "subscriptions")
}

// Create a webhook through the form against a local receiver, test the
// endpoint first, see the secret once; publish an event and see the
// delivery with its attempt; make the receiver fail, redeliver, pause and
// resume; the overview ranks the failing subscription.
func TestBrowserWebhookLifecycle(t *testing.T) {
	s := startStack(t, true)
	rcv := newReceiver(t)
	ctx := tab(t)
	signIn(t, ctx, s, s.rootToken)

	do(t, ctx,
		chromedp.Navigate(s.console+"subscriptions/new"),
		chromedp.WaitVisible(chromedp.CSS("#url")),
		chromedp.SetValue(chromedp.CSS("#label"), "Order system"),
		chromedp.SetValue(chromedp.CSS("#url"), rcv.URL+"/hooks"),
		chromedp.SetValue(chromedp.CSS("#scope"), "acquirers/100"),
		chromedp.Click(chromedp.CSS(`input[name=event_type][value="transaction.sale.success"]`)),
		chromedp.SetValue(chromedp.CSS("#retry_delays"), "none"),
		chromedp.SetValue(chromedp.CSS("#notification_emails"), "ops@example.com"),
		chromedp.SetValue(chromedp.CSS("#metadata"), "team=payments"),
		chromedp.Click(chromedp.CSS("#test-endpoint")),
		chromedp.WaitVisible(chromedp.CSS("#test-result")),
	)
	result := text(t, ctx, "#test-result")
	contains(t, result, "success", "test endpoint result")
	contains(t, result, "204", "test endpoint result")
	if got := value(t, ctx, "#label"); got != "Order system" {
		t.Fatalf("after the test the form holds label %q", got)
	}
	screenshot(t, ctx, "webhook-form")

	do(t, ctx, chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#signing-secret")))
	if secret := value(t, ctx, "#signing-secret"); !strings.HasPrefix(secret, "whsec_") {
		t.Fatal("the secret page shows no whsec_ signing secret")
	}
	screenshot(t, ctx, "secret")
	do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#secret-gone")))
	do(t, ctx, chromedp.Click(chromedp.CSS("a.button.primary")), chromedp.WaitVisible(chromedp.CSS("#deliveries-h")))
	subURL, _ := chromedp.Run(ctx, chromedp.Location())

	// A delivered event, with its attempt (once the dispatcher has the
	// subscription).
	s.probe(t, newReceiver(t))
	s.publish(t, "evt_console_ok", scopeA)
	reloadUntil(t, ctx, subURL, `!!document.querySelector("table.deliveries .badge.delivered")`, "the delivery shows as delivered")
	do(t, ctx, chromedp.Click(chromedp.CSS("table.deliveries a")), chromedp.WaitVisible(chromedp.CSS(".timeline li")))
	contains(t, text(t, ctx, ".timeline"), "HTTP 204", "attempt timeline")
	contains(t, text(t, ctx, "dl.settings"), "evt_console_ok", "delivery detail")

	// The receiver fails: the single attempt fails the delivery; fixed, a
	// redelivery succeeds with a second attempt.
	rcv.status.Store(http.StatusInternalServerError)
	s.publish(t, "evt_console_fail", scopeA)
	reloadUntil(t, ctx, subURL+"?state=failed", `!!document.querySelector("table.deliveries .badge.failed")`, "the failed delivery")
	do(t, ctx, chromedp.Click(chromedp.CSS("table.deliveries a")), chromedp.WaitVisible(chromedp.CSS("#redeliver")))
	contains(t, text(t, ctx, ".timeline"), "HTTP 500", "failed attempt")
	contains(t, text(t, ctx, ".timeline"), "receiver is down", "response excerpt")
	screenshot(t, ctx, "delivery-failed")
	rcv.status.Store(http.StatusNoContent)
	do(t, ctx, chromedp.Click(chromedp.CSS("#redeliver")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	deliveryURL, _ := chromedp.Run(ctx, chromedp.Location())
	reloadUntil(t, ctx, deliveryURL, `document.querySelectorAll(".timeline li").length === 2 && document.querySelector("#state").textContent === "delivered"`,
		"the redelivery's attempt")
	contains(t, text(t, ctx, ".timeline li"), "redeliver", "the newest attempt's trigger")
	screenshot(t, ctx, "delivery")

	// The overview ranks the subscription by its failed attempt.
	do(t, ctx, chromedp.Navigate(s.console), chromedp.WaitVisible(chromedp.CSS("#failing-h")))
	contains(t, text(t, ctx, "main"), "Order system", "overview's failing subscriptions")
	screenshot(t, ctx, "overview")

	// Pause and resume.
	do(t, ctx, chromedp.Navigate(subURL), chromedp.WaitVisible(chromedp.CSS("#pause")), chromedp.Click(chromedp.CSS("#pause")),
		chromedp.WaitVisible(chromedp.CSS("#status.paused")))
	contains(t, text(t, ctx, ".flash"), "Paused", "pause message")
	do(t, ctx, chromedp.Click(chromedp.CSS("#resume")), chromedp.WaitVisible(chromedp.CSS("#status.active")))
	contains(t, text(t, ctx, ".flash"), "Resumed", "resume message")
	screenshot(t, ctx, "subscription")
}

// An edit saved over a change made meanwhile is reported with the current
// version and does not overwrite it.
func TestBrowserStaleEditIsReported(t *testing.T) {
	s := startStack(t, true)
	rcv := newReceiver(t)
	created := s.createSub(t, &hookwirev1.Subscription{Label: "Before", Url: rcv.URL, Scope: "acquirers/100", EventTypes: []string{"ach.*"}})
	id := created.GetSubscription().GetId()
	ctx := tab(t)
	signIn(t, ctx, s, s.rootToken)
	do(t, ctx, chromedp.Navigate(s.console+"subscriptions/"+id+"/edit"), chromedp.WaitVisible(chromedp.CSS("#label")))
	if _, err := s.reg.UpdateSubscription(s.root(context.Background()), &hookwirev1.UpdateSubscriptionRequest{
		Subscription: &hookwirev1.Subscription{Id: id, Label: "Renamed elsewhere"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"label"}},
	}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#label"), "My edit"), chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#conflict")))
	contains(t, text(t, ctx, "#conflict"), "changed since you opened", "conflict message")
	if got := value(t, ctx, "#label"); got != "My edit" {
		t.Fatalf("the form lost the user's edit: label %q", got)
	}
	screenshot(t, ctx, "stale-edit")
	got, err := s.reg.GetSubscription(s.root(context.Background()), &hookwirev1.GetSubscriptionRequest{Id: id})
	if err != nil || got.GetSubscription().GetLabel() != "Renamed elsewhere" {
		t.Fatalf("the concurrent change was overwritten: %v %v", got, err)
	}

	// Reopened at the current revision, the edit saves.
	do(t, ctx, chromedp.Click(chromedp.CSS("#conflict a")), chromedp.WaitVisible(chromedp.CSS("#label")),
		chromedp.SetValue(chromedp.CSS("#label"), "My edit"), chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	contains(t, text(t, ctx, "h1"), "My edit", "saved label")
}
