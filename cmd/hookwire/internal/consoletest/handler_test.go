package consoletest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// client is a browser without JavaScript: a cookie jar and no redirects
// followed, so each answer can be checked.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: base, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	code     int
	body     string
	location string
	header   http.Header
}

func (c *client) do(method, path string, form url.Values) page {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{code: resp.StatusCode, body: string(b), location: resp.Header.Get("Location"), header: resp.Header}
}

func (c *client) get(path string) page { return c.do(http.MethodGet, path, nil) }

func (c *client) post(path string, form url.Values) page { return c.do(http.MethodPost, path, form) }

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, p page) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%.1500s", p.body)
	}
	return m[1]
}

// signIn signs c in with token and returns the session's CSRF token.
func (c *client) signIn(token string) string {
	c.t.Helper()
	form := c.get("signin")
	p := c.post("signin", url.Values{"csrf": {csrfOf(c.t, form)}, "token": {token}, "user": {"alice"}, "next": {"/console/subscriptions"}})
	if p.code != http.StatusSeeOther || p.location != "/console/subscriptions" {
		c.t.Fatalf("sign in: %d %q\n%.1500s", p.code, p.location, p.body)
	}
	return csrfOf(c.t, c.get("subscriptions"))
}

// The console's HTTP contract on a real dev stack with a tokens file:
// sign-in gate, CSRF on every POST, security headers, the token never in
// a page, the secret shown once, and the scope of the token enforced.
func TestHandlersOnDevStack(t *testing.T) {
	s := startStack(t, true)
	rcv := newReceiver(t)
	other := s.createSub(t, &hookwirev1.Subscription{Label: "outside", Url: rcv.URL + "/b", Scope: scopeB, EventTypes: []string{"*"}})

	c := newClient(t, s.console)
	if p := c.get("subscriptions?status=paused"); p.code != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/signin?next=") {
		t.Fatalf("signed out GET = %d %q, want a redirect to sign in", p.code, p.location)
	}
	form := c.get("signin")
	if csp := form.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("Content-Security-Policy = %q", csp)
	}
	if p := c.post("signin", url.Values{"token": {s.scopedToken}}); p.code != http.StatusForbidden {
		t.Fatalf("sign in without CSRF = %d, want 403", p.code)
	}
	if p := c.post("signin", url.Values{"csrf": {csrfOf(t, form)}, "token": {"not-a-token"}}); p.code != http.StatusUnauthorized || !strings.Contains(p.body, "not known") {
		t.Fatalf("sign in with an unknown token = %d\n%.800s", p.code, p.body)
	}
	csrf := c.signIn(s.scopedToken)
	for _, ck := range c.http.Jar.Cookies(mustURL(t, s.console)) {
		if strings.Contains(ck.Value, s.scopedToken) {
			t.Fatal("the session cookie carries the token")
		}
	}

	// Create through the form: the secret is shown once, then never again.
	created := c.post("subscriptions", url.Values{"csrf": {csrf}, "label": {"mine"}, "url": {rcv.URL + "/a"},
		"scope": {scopeA}, "event_type": {"transaction.sale.*"}, "request_id": {"req-1"}})
	if created.code != http.StatusSeeOther || !strings.HasSuffix(created.location, "/secret") {
		t.Fatalf("create = %d %q\n%.2000s", created.code, created.location, created.body)
	}
	secretPage := c.get(strings.TrimPrefix(created.location, "/console/"))
	secret := regexp.MustCompile(`value="(whsec_[^"]+)"`).FindStringSubmatch(secretPage.body)
	if secret == nil || secretPage.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("secret page has no whsec_ secret or is cacheable (%q):\n%.1500s", secretPage.header.Get("Cache-Control"), secretPage.body)
	}
	subPath := strings.TrimSuffix(strings.TrimPrefix(created.location, "/console/"), "/secret")
	for _, path := range []string{strings.TrimPrefix(created.location, "/console/"), subPath, subPath + "/edit", "subscriptions", ""} {
		p := c.get(path)
		if strings.Contains(p.body, secret[1]) || strings.Contains(p.body, s.scopedToken) {
			t.Fatalf("GET %s shows the secret or the token again", path)
		}
	}

	// Inline validation from the API's field violations, the form kept.
	bad := c.post("subscriptions", url.Values{"csrf": {csrf}, "label": {"keep me"}, "url": {"ftp://x"}, "scope": {scopeA}})
	if bad.code != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `class="field-error"`) || !strings.Contains(bad.body, `value="keep me"`) {
		t.Fatalf("invalid create = %d\n%.3000s", bad.code, bad.body)
	}

	// Every state-changing request needs the CSRF token.
	if p := c.post(subPath+"/pause", url.Values{}); p.code != http.StatusForbidden {
		t.Fatalf("pause without CSRF = %d, want 403", p.code)
	}
	if p := c.post(subPath+"/pause", url.Values{"csrf": {"wrong"}}); p.code != http.StatusForbidden {
		t.Fatalf("pause with a wrong CSRF token = %d, want 403", p.code)
	}
	if p := c.post(subPath+"/pause", url.Values{"csrf": {csrf}}); p.code != http.StatusSeeOther {
		t.Fatalf("pause = %d\n%.1500s", p.code, p.body)
	}
	got, err := s.reg.GetSubscription(s.root(context.Background()), &hookwirev1.GetSubscriptionRequest{Id: strings.TrimPrefix(subPath, "subscriptions/")})
	if err != nil || got.GetSubscription().GetStatus() != hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_PAUSED || got.GetSubscription().GetUpdatedBy() != "alice" {
		t.Fatalf("after pause: %v %v", got, err)
	}

	// The token's scope is the console's: outside it is not found.
	if p := c.get("subscriptions/" + other.GetSubscription().GetId()); p.code == http.StatusOK || !strings.Contains(p.body, "not found") {
		t.Fatalf("a subscription outside the token's scope = %d\n%.1500s", p.code, p.body)
	}
	if p := c.get("subscriptions"); strings.Contains(p.body, other.GetSubscription().GetId()) || !strings.Contains(p.body, "mine") {
		t.Fatal("the list shows a subscription outside the token's scope, or not the token's own")
	}

	// Sign out ends the session on the server.
	if p := c.post("signout", url.Values{"csrf": {csrf}}); p.code != http.StatusSeeOther {
		t.Fatalf("sign out = %d", p.code)
	}
	if p := c.get("subscriptions"); p.code != http.StatusSeeOther {
		t.Fatalf("after sign out GET = %d, want a redirect to sign in", p.code)
	}
}

// Without a tokens file every caller is root in hookwire dev, and the
// console needs no sign-in either.
func TestDevStackWithoutTokensNeedsNoSignIn(t *testing.T) {
	s := startStack(t, false)
	c := newClient(t, s.console)
	if p := c.get("subscriptions"); p.code != http.StatusOK || !strings.Contains(p.body, "Add webhook") {
		t.Fatalf("GET subscriptions = %d %q\n%.800s", p.code, p.location, p.body)
	}
	if p := c.get("static/console.css"); p.code != http.StatusOK || !strings.Contains(p.header.Get("Content-Type"), "text/css") {
		t.Fatalf("GET static/console.css = %d %q", p.code, p.header.Get("Content-Type"))
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
