package consoletest

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
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
