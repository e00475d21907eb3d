package consoletest

import (
	"bufio"
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/cmd/hookwire/internal/dev"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/services/console"
	"github.com/hookwire/hookwire/services/dispatcher/mail"
)

var traceLinkRe = regexp.MustCompile(`<a class="button" href="([^"]+)"[^>]*>Trace in Jaeger</a>`)

// With --jaeger-url (HOOKWIRE_JAEGER_URL) the delivery page links to the
// Jaeger search of its event by the tag hookwire.event.id, URL-escaped;
// without it there is no link.
func TestDeliveryPageLinksToJaeger(t *testing.T) {
	s := startStackWith(t, false, func(o *dev.Options) { o.JaegerURL = "http://jaeger.example:16686/" })
	rcv := newReceiver(t)
	s.createSub(t, &hookwirev1.Subscription{Label: "traced", Url: rcv.URL, Scope: scopeA, EventTypes: []string{"*"}})
	s.probe(t, rcv)
	const eventID = `ord-7/"x"&y=1`
	s.publish(t, eventID, scopeA)
	d := s.waitDelivery(t, eventID)

	p := newClient(t, s.console).get("deliveries/" + url.PathEscape(d.GetId()))
	m := traceLinkRe.FindStringSubmatch(p.body)
	if p.code != http.StatusOK || m == nil {
		t.Fatalf("delivery page = %d without a trace link:\n%.3000s", p.code, p.body)
	}
	href := html.UnescapeString(m[1])
	if strings.ContainsAny(href, ` "{}`) {
		t.Fatalf("trace link %q is not URL-escaped", href)
	}
	u, err := url.Parse(href)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != "http://jaeger.example:16686/search" || q.Get("service") != "hookwire-dev" ||
		q.Get("tags") != `{"hookwire.event.id":"ord-7/\"x\"\u0026y=1"}` {
		t.Fatalf("trace link %q: want /search?service=hookwire-dev&tags={\"hookwire.event.id\":%q}", href, eventID)
	}

	plain := startStack(t, false)
	plain.createSub(t, &hookwirev1.Subscription{Label: "untraced", Url: rcv.URL, Scope: scopeA, EventTypes: []string{"*"}})
	plain.probe(t, rcv)
	plain.publish(t, "evt-plain", scopeA)
	d = plain.waitDelivery(t, "evt-plain")
	if p := newClient(t, plain.console).get("deliveries/" + url.PathEscape(d.GetId())); p.code != http.StatusOK || strings.Contains(p.body, "Jaeger") {
		t.Fatalf("without a Jaeger URL the delivery page (%d) links to Jaeger:\n%.3000s", p.code, p.body)
	}
}

// noticeLink is the console link of a suspension e-mail composed with
// consoleURL as HOOKWIRE_CONSOLE_URL (its List-Unsubscribe header).
func noticeLink(t *testing.T, consoleURL, subID string) string {
	t.Helper()
	msg, err := mail.Composer{From: "hookwire@localhost", ConsoleURL: consoleURL}.Compose(mail.Notice{
		Kind: mail.Suspended, SubscriptionID: subID, Revision: 1, URL: "https://shop.example/hooks",
		To: []string{"ops@shop.example"}, At: time.Now(),
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(msg))).ReadMIMEHeader()
	if err != nil {
		t.Fatal(err)
	}
	link := strings.Trim(h.Get("List-Unsubscribe"), "<>")
	if link == "" {
		t.Fatalf("the notice has no console link:\n%s", msg)
	}
	return link
}

// The suspension e-mail's link (<HOOKWIRE_CONSOLE_URL>/subscriptions/<id>)
// opens the subscription's page: with the documented base URL
// (…/console) on hookwire dev and on the console's own process, and with
// the console process's root URL, which redirects under /console/.
func TestNoticeLinkOpensTheSubscription(t *testing.T) {
	s := startStack(t, false)
	rcv := newReceiver(t)
	sub := s.createSub(t, &hookwirev1.Subscription{Label: "Suspended shop", Url: rcv.URL, Scope: scopeA, EventTypes: []string{"*"}}).GetSubscription()

	cfg := console.DefaultConfig()
	cfg.Addr, cfg.RegistryAddr, cfg.DispatcherAddr, cfg.Dev, cfg.TokenOptional = "127.0.0.1:0", s.grpcAddr, s.grpcAddr, true, true
	srv, err := console.NewServer(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("console server: %v", err)
		}
	})
	own := "http://" + srv.Addr()

	for _, base := range []string{strings.TrimSuffix(s.console, "/"), own + "/console", own} {
		link := noticeLink(t, base, sub.GetId())
		u := mustURL(t, link)
		c := newClient(t, u.Scheme+"://"+u.Host)
		p := c.get(u.RequestURI())
		for i := 0; i < 3 && p.code/100 == 3; i++ { // redirects: to /console/, and the dev session's start
			p = c.get(p.location)
		}
		if p.code != http.StatusOK || !strings.Contains(p.body, "Suspended shop") || !strings.Contains(p.body, sub.GetId()) {
			t.Fatalf("HOOKWIRE_CONSOLE_URL %s: link %s = %d\n%.2000s", base, link, p.code, p.body)
		}
	}
}
