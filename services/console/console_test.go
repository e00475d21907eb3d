package console

import (
	"bytes"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/envconf"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/seal"
)

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // part of the error; "" for none
	}{
		{"defaults", nil, ""},
		{"all set", map[string]string{"HOOKWIRE_CONSOLE_ADDR": "127.0.0.1:9000", "HOOKWIRE_REGISTRY_ADDR": "registry:50051",
			"HOOKWIRE_DISPATCHER_ADDR": "dispatcher:50053", "HOOKWIRE_JAEGER_URL": "http://localhost:16686", "HOOKWIRE_DEV": "true"}, ""},
		{"bad jaeger url", map[string]string{"HOOKWIRE_JAEGER_URL": "localhost:16686"}, "HOOKWIRE_JAEGER_URL"},
		{"bad address", map[string]string{"HOOKWIRE_REGISTRY_ADDR": "registry"}, "HOOKWIRE_REGISTRY_ADDR"},
		{"short session", map[string]string{"HOOKWIRE_CONSOLE_SESSION_TTL": "5s"}, "HOOKWIRE_CONSOLE_SESSION_TTL"},
		{"unparsable bool", map[string]string{"HOOKWIRE_DEV": "yes please"}, "HOOKWIRE_DEV"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := readConfig(envconf.New(envconf.Map(tc.env)))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.env == nil && (c.Addr != ":8084" || c.SessionTTL != 12*time.Hour) {
					t.Fatalf("defaults = %+v", c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
	if keys := EnvVars(); !slices.Contains(keys, "HOOKWIRE_CONSOLE_ADDR") || !slices.Contains(keys, "HOOKWIRE_JAEGER_URL") {
		t.Fatalf("EnvVars = %v", keys)
	}
}

func TestScopeTree(t *testing.T) {
	var subs []*hookwirev1.Subscription
	for _, s := range []string{"acquirers/100", "acquirers/100/merchants/2000", "acquirers/100/merchants/2000/terminals/31", "acquirers/200/merchants/9", ""} {
		subs = append(subs, &hookwirev1.Subscription{Scope: s})
	}
	got := scopeTree(subs, "acquirers/100/merchants/2000")
	want := []treeNode{
		{Scope: "", Label: "all scopes", Depth: 0, Count: 5},
		{Scope: "acquirers/100", Label: "acquirers/100", Depth: 1, Count: 3},
		{Scope: "acquirers/100/merchants/2000", Label: "merchants/2000", Depth: 2, Count: 2, Active: true},
		{Scope: "acquirers/100/merchants/2000/terminals/31", Label: "terminals/31", Depth: 3, Count: 1},
		{Scope: "acquirers/200", Label: "acquirers/200", Depth: 1, Count: 1},
		{Scope: "acquirers/200/merchants/9", Label: "merchants/9", Depth: 2, Count: 1},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("scopeTree =\n%+v\nwant\n%+v", got, want)
	}
}

func TestViolationsNameFormInputs(t *testing.T) {
	var v badrequest.Violations
	v.Add("subscription.url", "must be absolute")
	v.Add("subscription.auth.basic.username", "required with basic auth")
	v.Add("subscription.event_types[1]", "bad pattern")
	v.Add("subscription.event_types[2]", "bad pattern too")
	v.Add("x-request-id", "already used")
	fields, other, ok := violations(v.Err())
	if !ok {
		t.Fatal("no violations found in an InvalidArgument with BadRequest details")
	}
	want := map[string]string{
		"url":           "must be absolute",
		"auth_username": "required with basic auth",
		"event_types":   "event_types[1]: bad pattern; event_types[2]: bad pattern too",
	}
	for k, w := range want {
		if fields[k] != w {
			t.Errorf("fields[%s] = %q, want %q", k, fields[k], w)
		}
	}
	if len(other) != 1 || !strings.Contains(other[0], "x-request-id") {
		t.Errorf("other = %v", other)
	}
}

// A stored subscription shown in the edit form and posted back unchanged
// is the same subscription: no field is lost on the way through the form.
func TestFormRoundTrip(t *testing.T) {
	sub := &hookwirev1.Subscription{
		Id: "sub_1", Revision: 7, Label: "Orders", Url: "https://example.com/h", Scope: "acquirers/100",
		EventTypes:         []string{"transaction.sale.*", "ach.returned"},
		NotificationEmails: []string{"ops@example.com", "oncall@example.com"}, SupportEmail: "help@example.com",
		Auth:        &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{Basic: &hookwirev1.BasicAuth{Username: "u"}}},
		RetryPolicy: &hookwirev1.RetryPolicy{Delays: []*durationpb.Duration{durationpb.New(time.Minute), durationpb.New(90 * time.Minute)}},
		RateLimit:   &hookwirev1.RateLimit{PerSecond: 2.5, Burst: 3},
		MaxInFlight: 4, Timeout: durationpb.New(5 * time.Second),
		AttributeFilters: map[string]*hookwirev1.AttributeValues{"payment_method": {Values: []string{"CARD", "ACH"}}},
		Metadata:         map[string]string{"team": "payments", "tier": "1"},
		Encryption:       &hookwirev1.Encryption{Enabled: true},
	}
	f := formFromSubscription(sub)
	post := url.Values{
		"id": {f.ID}, "revision": {f.Revision}, "label": {f.Label}, "url": {f.URL}, "scope": {f.Scope},
		"event_type": f.EventTypes, "notification_emails": {f.NotificationEmails}, "support_email": {f.SupportEmail},
		"auth_username": {f.AuthUsername}, "retry_delays": {f.RetryDelays}, "rate_per_second": {f.RatePerSecond},
		"rate_burst": {f.RateBurst}, "max_in_flight": {f.MaxInFlight}, "timeout": {f.Timeout},
		"attribute_filters": {f.AttributeFilters}, "metadata": {f.Metadata}, "encryption": {"on"}, "encryption_was": {"true"},
	}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(post.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	back := readForm(r)
	got, errs := back.subscription()
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if !proto.Equal(got, sub) {
		t.Fatalf("round trip:\n got %v\nwant %v", got, sub)
	}
	if slices.Contains(back.updateMask(), "encryption") {
		t.Fatal("an unchanged encryption must stay out of the update mask (it would generate a new key)")
	}
}

func testSessions(t *testing.T, key byte) *sessions {
	t.Helper()
	s, err := newSessions(bytes.Repeat([]byte{key}, sessionKeySize), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustSeal(t *testing.T, s *sessions, sess *session) string {
	t.Helper()
	v, err := s.seal(sess)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// failingSealer seals nothing, as a Box without randomness would.
type failingSealer struct{ sealer }

func (failingSealer) Seal([]byte, string) (string, error) {
	return "", errors.New("seal: nonce: no randomness")
}

// A session that cannot be sealed is a 500 with the cause logged, never
// an empty cookie (which signs the user out with no word) nor a page.
func TestUnsealableSessionIs500(t *testing.T) {
	var logs bytes.Buffer
	c, err := New(Config{Dev: true, TokenOptional: true, SessionTTL: time.Hour},
		Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	c.sessions.box = failingSealer{c.sessions.box}
	w := httptest.NewRecorder()
	c.ServeHTTP(w, httptest.NewRequest(http.MethodGet, BasePath, nil))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	if got := w.Result().Cookies(); len(got) != 0 {
		t.Fatalf("cookies set: %v", got)
	}
	if !strings.Contains(logs.String(), "no randomness") {
		t.Fatalf("the cause is not logged: %s", logs.String())
	}
}

func withCookie(value string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: sessionCookie, Value: value})
	return r
}

// A sealed session cookie opens under its key only, untampered, within its
// TTL and until sign-out; it never shows the token.
func TestSessionsSealed(t *testing.T) {
	s := testSessions(t, 1)
	now := time.Now()
	s.now = func() time.Time { return now }
	sess := s.create("tok-secret-value", "alice")
	cookie := mustSeal(t, s, sess)
	if strings.Contains(cookie, "tok-secret-value") || strings.Contains(cookie, base64.RawURLEncoding.EncodeToString([]byte("tok-secret-value"))) {
		t.Fatal("the cookie shows the token")
	}
	got := s.get(withCookie(cookie))
	if got == nil || got.token != "tok-secret-value" || got.user != "alice" || got.csrf != sess.csrf || got.id != sess.id {
		t.Fatalf("opened session = %+v", got)
	}
	if restarted := testSessions(t, 1); restarted.get(withCookie(cookie)) == nil {
		t.Fatal("a console restarted with the same key signed the session out")
	}
	if other := testSessions(t, 2); other.get(withCookie(cookie)) != nil {
		t.Fatal("a console with another key accepted the cookie")
	}
	// Every byte of the sealed value matters: its format, key id, nonce,
	// ciphertext and tag.
	_, b64, _ := strings.Cut(strings.TrimPrefix(cookie, "v2:"), ":")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !strings.HasPrefix(cookie, "v2:") {
		t.Fatalf("the cookie is not a pkg/seal value: %q", cookie)
	}
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 1
		if s.get(withCookie(strings.TrimSuffix(cookie, b64)+base64.StdEncoding.EncodeToString(bad))) != nil {
			t.Fatalf("a cookie with byte %d changed was accepted", i)
		}
	}
	for i := range len(cookie) - len(b64) {
		bad := []byte(cookie)
		bad[i] ^= 1
		if s.get(withCookie(string(bad))) != nil {
			t.Fatalf("a cookie with its header byte %d changed was accepted", i)
		}
	}
	if other, err := seal.New(bytes.Repeat([]byte{1}, sessionKeySize)); err != nil {
		t.Fatal(err)
	} else if v, _ := other.Seal([]byte(`{"i":"x","c":"y","e":99999999999}`), "subscription/x/signing_secret"); s.get(withCookie(v)) != nil {
		t.Fatal("a value sealed under the same key for another place opened as a session")
	}
	now = now.Add(59 * time.Minute)
	renewed := s.get(withCookie(cookie))
	if renewed == nil {
		t.Fatal("a session used within its TTL expired")
	}
	fresh := mustSeal(t, s, renewed) // re-sealed on use: a sliding expiry
	now = now.Add(30 * time.Minute)
	if s.get(withCookie(cookie)) != nil {
		t.Fatal("an idle session outlived its TTL")
	}
	if s.get(withCookie(fresh)) == nil {
		t.Fatal("the cookie re-sealed on use expired with the old one")
	}
	s.end(renewed)
	if s.get(withCookie(fresh)) != nil {
		t.Fatal("a signed-out session is still accepted")
	}
}

// notesRequest is a request of sess (as opened for it: nothing loaded)
// carrying the notes cookie value, if any.
func notesRequest(sess *session, notes string) (*http.Request, *session) {
	r := httptest.NewRequest(http.MethodGet, BasePath, nil)
	if notes != "" {
		r.AddCookie(&http.Cookie{Name: notesCookie, Value: notes})
	}
	again := *sess
	again.notes, again.loaded = pageNotes{}, false
	return r, &again
}

// notesSet is the notes cookie a response set: its value, "" when it
// cleared it, and whether it set one at all.
func notesSet(t *testing.T, w *httptest.ResponseRecorder) (value string, set bool) {
	t.Helper()
	n := 0
	for _, c := range w.Result().Cookies() {
		if c.Name == notesCookie {
			n++
			value, set = c.Value, true
			if c.Value != "" && (!c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != BasePath) {
				t.Fatalf("notes cookie attributes %+v", c)
			}
		}
	}
	if n > 1 {
		t.Fatalf("%d notes cookies in one response", n)
	}
	return value, set
}

// clockedSessions are test sessions on a clock the test moves, with one
// session of alice's.
func clockedSessions(t *testing.T) (*sessions, *time.Time, *session) {
	s := testSessions(t, 1)
	now := time.Now()
	s.now = func() time.Time { return now }
	return s, &now, s.create("tok", "alice")
}

// keepSecretIn keeps a secret for sub in sess's notes as they are in the
// cookie value notes ("": none) and returns the cookie value set.
func keepSecretIn(t *testing.T, s *sessions, sess *session, notes, sub, secret string) string {
	t.Helper()
	r, rs := notesRequest(sess, notes)
	w := httptest.NewRecorder()
	if err := s.keepSecret(w, r, rs, &onceSecret{SubscriptionID: sub, SigningSecret: secret}); err != nil {
		t.Fatal(err)
	}
	cookie, _ := notesSet(t, w)
	return cookie
}

// The notes of the next page (flash, a secret shown once, a test result)
// travel sealed in their own cookie, for their session only: any replica
// with the key shows them, once, and never in the clear.
func TestNotesTravelSealedInACookie(t *testing.T) {
	s, now, sess := clockedSessions(t)
	r, rs := notesRequest(sess, "")
	w := httptest.NewRecorder() // one response keeps both
	if err := s.keepSecret(w, r, rs, &onceSecret{SubscriptionID: "sub_1", SigningSecret: "whsec_x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.setFlash(w, r, rs, "Saved."); err != nil {
		t.Fatal(err)
	}
	cookie, _ := notesSet(t, w) // one cookie holding both
	if cookie == "" || strings.Contains(cookie, "whsec_x") || strings.Contains(cookie, base64.StdEncoding.EncodeToString([]byte("whsec_x"))) {
		t.Fatalf("notes cookie %q", cookie)
	}

	replica := testSessions(t, 1) // another console process with the key
	replica.now = s.now
	r, rs = notesRequest(sess, cookie)
	w = httptest.NewRecorder()
	if replica.takeSecret(w, r, rs, "sub_2") != nil {
		t.Fatal("another subscription's page showed the secret")
	}
	if sec := replica.takeSecret(w, r, rs, "sub_1"); sec == nil || sec.SigningSecret != "whsec_x" {
		t.Fatalf("the secret page on a replica showed %+v", sec)
	}
	if replica.takeSecret(w, r, rs, "sub_1") != nil {
		t.Fatal("the secret was shown twice in one request")
	}
	left, set := notesSet(t, w)
	if !set || left == "" {
		t.Fatal("showing the secret did not keep the flash")
	}
	r, rs = notesRequest(sess, left)
	w = httptest.NewRecorder()
	if replica.takeSecret(w, r, rs, "sub_1") != nil || replica.takeFlash(w, r, rs) != "Saved." {
		t.Fatal("after the secret page: the secret again, or no flash")
	}
	if v, set := notesSet(t, w); !set || v != "" {
		t.Fatalf("the last note shown did not clear the cookie (%q, %v)", v, set)
	}
	// A copy of the value that showed the secret (a replayed cookie) does
	// not show it again on the replica that showed it.
	r, rs = notesRequest(sess, cookie)
	if replica.takeSecret(httptest.NewRecorder(), r, rs, "sub_1") != nil {
		t.Fatal("a replayed notes cookie showed the secret twice")
	}

	// Bound to its session, its key and its time.
	other := s.create("tok", "bob")
	for name, sealed := range map[string]*sessions{"another session": s, "another key": testSessions(t, 2)} {
		who := sess
		if name == "another session" {
			who = other
		}
		r, rs = notesRequest(who, cookie)
		if sealed.takeSecret(httptest.NewRecorder(), r, rs, "sub_1") != nil {
			t.Fatalf("%s opened the notes", name)
		}
	}
	*now = now.Add(secretTTL)
	r, rs = notesRequest(sess, cookie)
	if s.takeSecret(httptest.NewRecorder(), r, rs, "sub_1") != nil {
		t.Fatal("a secret outlived secretTTL")
	}
}

// A secret waits secretTTL from when it is kept: sealing the notes again
// (a flash added) does not keep it longer, and older notes around it do
// not cut it short.
func TestNotesExpiryDoesNotSlide(t *testing.T) {
	s, now, sess := clockedSessions(t)
	cookie := keepSecretIn(t, s, sess, "", "sub_1", "whsec_x")
	for range 3 {
		*now = now.Add(secretTTL / 2)
		r, rs := notesRequest(sess, cookie)
		w := httptest.NewRecorder()
		if err := s.setFlash(w, r, rs, "again"); err != nil {
			t.Fatal(err)
		}
		cookie, _ = notesSet(t, w)
	}
	r, rs := notesRequest(sess, cookie)
	if s.takeSecret(httptest.NewRecorder(), r, rs, "sub_1") != nil {
		t.Fatal("rewriting the notes kept a secret past secretTTL")
	}

	// A secret kept into notes about to expire gets its whole secretTTL.
	r, rs = notesRequest(sess, "")
	w := httptest.NewRecorder()
	if err := s.setFlash(w, r, rs, "old"); err != nil {
		t.Fatal(err)
	}
	cookie, _ = notesSet(t, w)
	*now = now.Add(notesTTL - secretTTL/2)
	cookie = keepSecretIn(t, s, sess, cookie, "sub_2", "whsec_y")
	*now = now.Add(secretTTL * 3 / 4) // past the old notes' expiry, within the secret's
	r, rs = notesRequest(sess, cookie)
	if sec := s.takeSecret(httptest.NewRecorder(), r, rs, "sub_2"); sec == nil || sec.SigningSecret != "whsec_y" {
		t.Fatalf("a secret kept late in its notes' life: %+v", sec)
	}
}

// A test result's excerpt and error are shortened, the longer first, until
// the notes cookie fits what browsers store; the rest stays whole.
func TestNotesCookieFits(t *testing.T) {
	s := testSessions(t, 1)
	sess := s.create("tok", "alice")
	r, rs := notesRequest(sess, "")
	w := httptest.NewRecorder()
	// Each of these escapes to several bytes in JSON (\u0001, \u003c, \u0026).
	big := strings.Repeat("\x01<é>", 600)
	long := "timeout calling https://example.test/" + strings.Repeat("&é", 1000)
	resp := &hookwirev1.TestEndpointResponse{HttpStatus: 500, ResponseExcerpt: big, Error: long, WebhookId: "msg_1"}
	if err := s.keepTest(w, r, rs, &testResult{SubscriptionID: "sub_1", Resp: resp}); err != nil {
		t.Fatal(err)
	}
	cookie, _ := notesSet(t, w)
	if h := w.Header().Get("Set-Cookie"); len(cookie) > maxNotesCookie || len(h) > 4000 {
		t.Fatalf("notes cookie of %d bytes, Set-Cookie header of %d", len(cookie), len(h))
	}
	r, rs = notesRequest(sess, cookie)
	got := s.takeTest(httptest.NewRecorder(), r, rs, "sub_1")
	if got == nil || got.GetHttpStatus() != 500 || got.GetWebhookId() != "msg_1" || !strings.HasSuffix(got.GetResponseExcerpt(), "…") ||
		!strings.HasPrefix(big, strings.TrimSuffix(got.GetResponseExcerpt(), "…")) ||
		!strings.HasPrefix(long, strings.TrimSuffix(got.GetError(), "…")) || got.GetError() == "" {
		t.Fatalf("test result after the cookie: %+v", got)
	}
	if resp.GetResponseExcerpt() != big {
		t.Fatal("shortening changed the caller's result")
	}
}

func TestSessionKeyConfig(t *testing.T) {
	hexKey := strings.Repeat("ab", sessionKeySize)
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, sessionKeySize))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		inline, file string
		ok           bool
	}{{hexKey, "", true}, {"", file, true}, {"", "", true}, {"abcd", "", false}, {hexKey, file, false}} {
		k, err := readSessionKey(tc.inline, tc.file)
		if (err == nil) != tc.ok || (tc.ok && tc.inline+tc.file != "" && len(k) != sessionKeySize) {
			t.Errorf("readSessionKey(%q, %q) = %d bytes, %v", tc.inline, tc.file, len(k), err)
		}
		if err != nil && strings.Contains(err.Error(), tc.inline) && tc.inline != "" {
			t.Errorf("the error quotes the key: %v", err)
		}
	}
}

func TestViewsLoad(t *testing.T) {
	v, err := loadViews()
	if err != nil {
		t.Fatal(err)
	}
	for name := range titles {
		if _, ok := v.pages[name]; !ok {
			t.Errorf("page %s has no template", name)
		}
	}
}

func TestSoftBreaks(t *testing.T) {
	if got := softBreaks("acquirers/1<2>/x.y"); got != "acquirers/<wbr>1&lt;2&gt;/<wbr>x.<wbr>y" {
		t.Fatalf("softBreaks = %q", got)
	}
}
