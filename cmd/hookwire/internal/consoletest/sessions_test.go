package consoletest

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hookwire/hookwire/services/console"
)

// consoleWithKey serves a console of its own over the stack's gRPC port,
// sealing sessions with key, as a console process at its own URL would.
func consoleWithKey(t *testing.T, s *stack, key []byte) *httptest.Server {
	t.Helper()
	cfg := console.DefaultConfig()
	cfg.Dev, cfg.SessionKey = true, key
	conn, err := console.Dial(s.grpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c, err := console.New(cfg, console.Deps{Registry: conn, Dispatcher: conn, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return srv
}

// The session lives in its sealed cookie: a console restarted with the same
// key keeps everyone signed in, one with another key does not, and a
// tampered cookie is refused; the token is never readable in the cookie.
func TestSessionSurvivesRestartWithSameKey(t *testing.T) {
	s := startStack(t, true)
	key, other := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)

	first := consoleWithKey(t, s, key)
	c := newClient(t, first.URL+console.BasePath)
	c.signIn(s.scopedToken)
	ck := c.http.Jar.Cookies(mustURL(t, first.URL+console.BasePath))
	if len(ck) != 1 || strings.Contains(ck[0].Value, s.scopedToken) {
		t.Fatalf("cookies after sign-in: %v", ck)
	}
	sealed := ck[0].Value
	first.Close()

	signedIn := func(srv *httptest.Server, value string) bool {
		t.Helper()
		cl := newClient(t, srv.URL+console.BasePath)
		u := mustURL(t, srv.URL+console.BasePath)
		cl.http.Jar.SetCookies(u, []*http.Cookie{{Name: "hookwire_console", Value: value, Path: console.BasePath}})
		p := cl.get("subscriptions")
		switch {
		case p.code == http.StatusOK && strings.Contains(p.body, "Sign out"):
			return true
		case p.code == http.StatusSeeOther && strings.HasPrefix(p.location, console.BasePath+"signin"):
			return false
		}
		t.Fatalf("GET subscriptions = %d %q\n%.1500s", p.code, p.location, p.body)
		return false
	}
	restarted := consoleWithKey(t, s, key)
	if !signedIn(restarted, sealed) {
		t.Fatal("a console restarted with the same key signed the session out")
	}
	if signedIn(consoleWithKey(t, s, other), sealed) {
		t.Fatal("a console with another key accepted the session")
	}
	tampered := []byte(sealed)
	tampered[len(tampered)/2] ^= 'A' ^ 'B'
	if tampered[len(tampered)/2] == sealed[len(sealed)/2] {
		t.Fatal("tampering changed nothing")
	}
	if signedIn(restarted, string(tampered)) {
		t.Fatal("a tampered cookie was accepted")
	}

	// Sign-out on the console that serves the browser ends the session there.
	c2 := newClient(t, restarted.URL+console.BasePath)
	c2.http.Jar.SetCookies(mustURL(t, restarted.URL+console.BasePath), []*http.Cookie{{Name: "hookwire_console", Value: sealed, Path: console.BasePath}})
	p := c2.get("subscriptions")
	if p := c2.post("signout", url.Values{"csrf": {csrfOf(t, p)}}); p.code != http.StatusSeeOther {
		t.Fatalf("sign out = %d", p.code)
	}
	if signedIn(restarted, sealed) {
		t.Fatal("the signed-out cookie is still accepted by the console that signed it out")
	}
}

// Two console replicas with one key behind a balancer that sends each
// request anywhere: what a POST on one leaves for the next page (the
// secret shown once, a test event's result, the message after a change)
// is shown by the other, once, and the notes cookie never holds them in
// the clear.
func TestNotesFollowTheBrowserAcrossReplicas(t *testing.T) {
	s := startStack(t, true)
	key := bytes.Repeat([]byte{3}, 32)
	a, b := consoleWithKey(t, s, key), consoleWithKey(t, s, key)
	ca := newClient(t, a.URL+console.BasePath)
	cb := &client{t: t, base: b.URL + console.BasePath, http: ca.http} // one browser: cookies are per host, not port
	csrf := ca.signIn(s.scopedToken)
	rcv := newReceiver(t)

	created := ca.post("subscriptions", url.Values{"csrf": {csrf}, "label": {"replicas"}, "url": {rcv.URL + "/a"},
		"scope": {scopeA}, "event_type": {"transaction.sale.*"}})
	if created.code != http.StatusSeeOther || !strings.HasSuffix(created.location, "/secret") {
		t.Fatalf("create on replica A = %d %q\n%.2000s", created.code, created.location, created.body)
	}
	secretPath := strings.TrimPrefix(created.location, "/console/")
	subPath := strings.TrimSuffix(secretPath, "/secret")
	page := cb.get(secretPath)
	secret := regexp.MustCompile(`value="(whsec_[^"]+)"`).FindStringSubmatch(page.body)
	if secret == nil {
		t.Fatalf("the secret page on replica B shows no secret:\n%.1500s", page.body)
	}
	for _, ck := range ca.http.Jar.Cookies(mustURL(t, a.URL+console.BasePath)) {
		if strings.Contains(ck.Value, secret[1]) || strings.Contains(ck.Value, strings.TrimPrefix(secret[1], "whsec_")) {
			t.Fatalf("cookie %s holds the secret", ck.Name)
		}
	}
	for _, c := range []*client{cb, ca} {
		if p := c.get(secretPath); strings.Contains(p.body, secret[1]) || !strings.Contains(p.body, `id="secret-gone"`) {
			t.Fatalf("the secret page at %s again shows the secret or no notice", c.base)
		}
	}

	if p := ca.post(subPath+"/test", url.Values{"csrf": {csrf}}); p.code != http.StatusSeeOther {
		t.Fatalf("send test event on A = %d\n%.1500s", p.code, p.body)
	}
	if p := cb.get(subPath); !strings.Contains(p.body, "Test event: success") {
		t.Fatalf("the subscription page on B does not show the test event's result:\n%.3000s", p.body)
	}
	if p := cb.get(subPath); strings.Contains(p.body, "Test event:") {
		t.Fatal("the test event's result was shown twice")
	}

	if p := cb.post(subPath+"/pause", url.Values{"csrf": {csrf}}); p.code != http.StatusSeeOther {
		t.Fatalf("pause on B = %d", p.code)
	}
	if p := ca.get(subPath); !strings.Contains(p.body, "Paused: deliveries are held") {
		t.Fatalf("the page after pausing on B, served by A, has no message:\n%.2000s", p.body)
	}
	if p := ca.get(subPath); strings.Contains(p.body, "Paused: deliveries are held") {
		t.Fatal("the message was shown twice")
	}
}
