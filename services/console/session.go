package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/seal"
)

// Cookie names. The session cookie is sealed by pkg/seal (AES-256-GCM
// under the session key, for the place sessionPlace): it carries the
// session's id, CSRF token, bearer token, user and expiry, readable and
// forgeable by no one without the key, so any console process holding the
// same key serves it.
const (
	sessionCookie = "hookwire_console"
	signinCookie  = "hookwire_console_signin" // CSRF of the sign-in form, before a session exists
	notesCookie   = "hookwire_console_notes"  // sealed notes of the next page (pageNotes)
	csrfField     = "csrf"
	// sessionPlace is what the session cookie is sealed for (seal's
	// associated data): no other sealed value opens as a session.
	sessionPlace = "console/session_cookie"
)

// session is one signed-in browser, as its cookie carries it, for one
// request.
type session struct {
	id      string
	csrf    string
	token   string // bearer token of every gRPC call; "" when TokenOptional
	user    string // x-user-id of every call (audit)
	expires time.Time
	// notes are the request's notes cookie, opened once (loaded) and
	// changed by this request's keeps and takes; notesID and notesUntil
	// are the id and expiry of the value it came with (consume).
	notes      pageNotes
	loaded     bool
	notesID    string
	notesUntil time.Time
}

// sealed is the cookie's plaintext.
type sealed struct {
	ID      string `json:"i"`
	CSRF    string `json:"c"`
	Token   string `json:"t"`
	User    string `json:"u"`
	Expires int64  `json:"e"` // unix seconds
}

// onceSecret is what CreateSubscription, UpdateSubscription or RotateSecret
// returned that is never shown again.
type onceSecret struct {
	SubscriptionID string
	SigningSecret  string
	EncryptionKey  string // base64
	Note           string // why it is shown
	// Until is when it stops being shown, set when it is kept (secretTTL
	// later) and never moved by the notes' later rewrites.
	Until time.Time
}

// pageNotes is a session's short-lived page state: the flash message of
// the next page, the secret its secret page shows once, and the result of
// a test event its subscription's page shows once. It travels in its own
// cookie, sealed like the session's and for this session only
// (notesPlace), so that the page after a POST finds it whichever console
// replica serves it; the page that shows a note clears it.
type pageNotes struct {
	Flash  string      `json:"f,omitempty"`
	Secret *onceSecret `json:"s,omitempty"`
	Test   *testResult `json:"t,omitempty"`
}

// notesPlace is what a session's notes cookie is sealed for: no other
// session, and no other sealed value, opens it.
func notesPlace(sessionID string) string { return "console/notes_cookie/" + sessionID }

// notesTTL bounds a notes cookie, secretTTL a secret in it (from when it
// is kept, however often the cookie is sealed again): the page after a
// POST comes at once.
const (
	notesTTL  = 10 * time.Minute
	secretTTL = time.Minute
)

// maxNotesCookie keeps the notes cookie within what every browser stores
// (4096 bytes with the name and attributes); a test result's excerpt is
// shortened to fit.
const maxNotesCookie = 3500

// testResult is a saved subscription's test event, for its page.
type testResult struct {
	SubscriptionID string
	Resp           *hookwirev1.TestEndpointResponse
}

// testResultJSON is a testResult in the notes cookie, Resp in protojson.
type testResultJSON struct {
	SubscriptionID string          `json:"i"`
	Resp           json.RawMessage `json:"r"`
}

func (t testResult) MarshalJSON() ([]byte, error) {
	b, err := protojson.Marshal(t.Resp)
	if err != nil {
		return nil, fmt.Errorf("encode test result: %w", err)
	}
	return json.Marshal(testResultJSON{SubscriptionID: t.SubscriptionID, Resp: b})
}

func (t *testResult) UnmarshalJSON(b []byte) error {
	var v testResultJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	t.SubscriptionID, t.Resp = v.SubscriptionID, &hookwirev1.TestEndpointResponse{}
	return protojson.Unmarshal(v.Resp, t.Resp)
}

// sessions seals and opens session cookies. Sign-out is kept in a
// revocation list of session ids in this process's memory until the
// session would have expired: another replica, or this one after a
// restart, still accepts a signed-out cookie until its expiry (at most the
// TTL after its last use).
type sessions struct {
	box     sealer
	ttl     time.Duration
	now     func() time.Time
	secure  bool // cookies only over HTTPS (not in dev mode)
	mu      sync.Mutex
	revoked map[string]time.Time // session id → when its cookie expires
	shown   map[string]time.Time // notes cookie id → when it expires (consume)
}

// sealer is the part of *seal.Box the sessions use.
type sealer interface {
	Seal(plaintext []byte, place string) (string, error)
	Open(sealed, place string) ([]byte, error)
}

func newSessions(key []byte, ttl time.Duration) (*sessions, error) {
	box, err := seal.New(key)
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	return &sessions{box: box, ttl: ttl, now: time.Now, secure: true, revoked: map[string]time.Time{}, shown: map[string]time.Time{}}, nil
}

// create starts a session for token and user.
func (s *sessions) create(token, user string) *session {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, until := range s.revoked { // sweep: the maps never outgrow the live sessions
		if now.After(until) {
			delete(s.revoked, id)
		}
	}
	for id, until := range s.shown {
		if now.After(until) {
			delete(s.shown, id)
		}
	}
	return &session{id: randomToken(), csrf: randomToken(), token: token, user: user, expires: now.Add(s.ttl)}
}

// seal is the cookie value of sess: "v2:<key id>:<base64>", cookie-safe
// characters only. Sealing fails only without a place or randomness; the
// error never holds the value.
func (s *sessions) seal(sess *session) (string, error) {
	plain, err := json.Marshal(sealed{ID: sess.id, CSRF: sess.csrf, Token: sess.token, User: sess.user, Expires: sess.expires.Unix()})
	if err != nil {
		return "", fmt.Errorf("encode session: %w", err)
	}
	v, err := s.box.Seal(plain, sessionPlace)
	if err != nil {
		return "", fmt.Errorf("seal session: %w", err)
	}
	return v, nil
}

// get opens r's session cookie and returns its live session, its expiry
// extended by the TTL (the caller re-sets the cookie), or nil: no cookie,
// another key, tampered, expired or signed out.
func (s *sessions) get(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	plain, err := s.box.Open(c.Value, sessionPlace)
	if err != nil || plain == nil {
		return nil
	}
	var v sealed
	if json.Unmarshal(plain, &v) != nil || v.ID == "" || v.CSRF == "" {
		return nil
	}
	now := s.now()
	if now.Unix() >= v.Expires {
		return nil
	}
	s.mu.Lock()
	_, revoked := s.revoked[v.ID]
	s.mu.Unlock()
	if revoked {
		return nil
	}
	return &session{id: v.ID, csrf: v.CSRF, token: v.Token, user: v.User, expires: now.Add(s.ttl)}
}

// end signs the session out: its cookie is refused from now on.
func (s *sessions) end(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[sess.id] = sess.expires
}

// sealedNotes is a notes cookie's plaintext: the notes, an id drawn
// for each cookie value, and when it stops opening.
type sealedNotes struct {
	pageNotes
	ID      string `json:"n"`
	Expires int64  `json:"e"` // unix seconds
}

// notesOf returns the session's notes, opened from r's notes cookie the
// first time in a request. A cookie that does not open (another session's,
// another key, tampered, expired, or one whose notes this process has
// shown already) counts as none.
func (s *sessions) notesOf(r *http.Request, sess *session) *pageNotes {
	if sess.loaded {
		return &sess.notes
	}
	sess.loaded = true
	c, err := r.Cookie(notesCookie)
	if err != nil {
		return &sess.notes
	}
	plain, err := s.box.Open(c.Value, notesPlace(sess.id))
	var v sealedNotes
	if err != nil || plain == nil || json.Unmarshal(plain, &v) != nil || v.ID == "" || s.now().Unix() >= v.Expires {
		return &sess.notes
	}
	s.mu.Lock()
	_, shown := s.shown[v.ID]
	s.mu.Unlock()
	if shown {
		return &sess.notes
	}
	if v.Secret != nil && !s.now().Before(v.Secret.Until) {
		v.Secret = nil
	}
	sess.notes, sess.notesID, sess.notesUntil = v.pageNotes, v.ID, time.Unix(v.Expires, 0)
	return &sess.notes
}

// consume records that the notes cookie the request came with has been
// shown (a note was taken from it), so that this process never opens that
// value again, and makes the session's notes a new value from now on.
// Another replica would still open a copy of the old value until it
// expires, as it would a signed-out session cookie.
func (s *sessions) consume(sess *session) {
	if sess.notesID == "" {
		return
	}
	now := s.now()
	s.mu.Lock()
	for id, until := range s.shown { // sweep: it holds the last notesTTL's values
		if now.After(until) {
			delete(s.shown, id)
		}
	}
	s.shown[sess.notesID] = sess.notesUntil
	s.mu.Unlock()
	sess.notesID = ""
}

// saveNotes sets the session's notes cookie as they stand now in this
// request (replacing one set earlier in it), or clears it when they are
// empty. It fails when the notes cannot be sealed or do not fit a cookie;
// its error holds none of their values.
func (s *sessions) saveNotes(w http.ResponseWriter, sess *session) error {
	n := sess.notes
	c := &http.Cookie{Name: notesCookie, Path: BasePath, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode}
	if n.Flash == "" && n.Secret == nil && n.Test == nil {
		c.MaxAge = -1
		replaceCookie(w, c)
		return nil
	}
	until := s.now().Add(notesTTL) // a secret in them has its own, earlier Until
	v, err := s.sealNotes(sess, n, until)
	if err != nil {
		return err
	}
	c.Value, c.MaxAge = v, int(notesTTL.Seconds())
	replaceCookie(w, c)
	return nil
}

// sealNotes seals n for sess until then, under a new id, shortening the
// longer of a test result's excerpt and error until the value fits
// maxNotesCookie; notes that still do not fit are an error.
func (s *sessions) sealNotes(sess *session, n pageNotes, until time.Time) (string, error) {
	for {
		plain, err := json.Marshal(sealedNotes{pageNotes: n, ID: randomToken(), Expires: until.Unix()})
		if err != nil {
			return "", fmt.Errorf("encode notes: %w", err)
		}
		v, err := s.box.Seal(plain, notesPlace(sess.id))
		if err != nil {
			return "", fmt.Errorf("seal notes: %w", err)
		}
		if len(v) <= maxNotesCookie {
			return v, nil
		}
		if n.Test == nil {
			return "", fmt.Errorf("notes of %d bytes sealed do not fit a cookie", len(v))
		}
		resp := proto.CloneOf(n.Test.Resp)
		switch ex, er := resp.GetResponseExcerpt(), resp.GetError(); {
		case ex == "" && er == "":
			return "", fmt.Errorf("notes of %d bytes sealed do not fit a cookie", len(v))
		case len(ex) >= len(er):
			resp.ResponseExcerpt = shortened(ex)
		default:
			resp.Error = shortened(er)
		}
		n.Test = &testResult{SubscriptionID: n.Test.SubscriptionID, Resp: resp}
	}
}

// shortened is s cut to half on a rune boundary and marked, or "" once it
// is short.
func shortened(s string) string {
	if len(s) <= 8 {
		return ""
	}
	return shorten(s, len(s)/2)
}

// shorten cuts s to at most n bytes on a rune boundary and marks the cut.
func shorten(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// replaceCookie sets c in w's header in place of a cookie of its name set
// earlier in the same response.
func replaceCookie(w http.ResponseWriter, c *http.Cookie) {
	h := w.Header()
	var kept []string
	for _, v := range h.Values("Set-Cookie") {
		if !strings.HasPrefix(v, c.Name+"=") {
			kept = append(kept, v)
		}
	}
	h.Del("Set-Cookie")
	for _, v := range kept {
		h.Add("Set-Cookie", v)
	}
	h.Add("Set-Cookie", c.String())
}

// setFlash keeps msg for the next page.
func (s *sessions) setFlash(w http.ResponseWriter, r *http.Request, sess *session, msg string) error {
	s.notesOf(r, sess).Flash = msg
	return s.saveNotes(w, sess)
}

// takeFlash returns the pending message and forgets it.
func (s *sessions) takeFlash(w http.ResponseWriter, r *http.Request, sess *session) string {
	n := s.notesOf(r, sess)
	msg := n.Flash
	if msg != "" {
		n.Flash = ""
		s.consume(sess)
		_ = s.saveNotes(w, sess) // failing, the rest is lost: the value shown never opens here again
	}
	return msg
}

// keepSecret holds sec until takeSecret shows it.
func (s *sessions) keepSecret(w http.ResponseWriter, r *http.Request, sess *session, sec *onceSecret) error {
	kept := *sec
	kept.Until = s.now().Add(secretTTL)
	s.notesOf(r, sess).Secret = &kept
	return s.saveNotes(w, sess)
}

// takeSecret returns the secret kept for subscription id, once.
func (s *sessions) takeSecret(w http.ResponseWriter, r *http.Request, sess *session, id string) *onceSecret {
	n := s.notesOf(r, sess)
	if n.Secret == nil || n.Secret.SubscriptionID != id {
		return nil
	}
	sec := n.Secret
	n.Secret = nil
	s.consume(sess)
	_ = s.saveNotes(w, sess)
	return sec
}

// keepTest holds a test event's result until takeTest shows it.
func (s *sessions) keepTest(w http.ResponseWriter, r *http.Request, sess *session, t *testResult) error {
	s.notesOf(r, sess).Test = t
	return s.saveNotes(w, sess)
}

// takeTest returns the test result kept for subscription id, once.
func (s *sessions) takeTest(w http.ResponseWriter, r *http.Request, sess *session, id string) *hookwirev1.TestEndpointResponse {
	n := s.notesOf(r, sess)
	if n.Test == nil || n.Test.SubscriptionID != id {
		return nil
	}
	t := n.Test.Resp
	n.Test = nil
	s.consume(sess)
	_ = s.saveNotes(w, sess)
	return t
}

// validCSRF reports whether r's form carries the session's CSRF token.
func (sess *session) validCSRF(r *http.Request) bool {
	return equalTokens(r.PostFormValue(csrfField), sess.csrf)
}

func equalTokens(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// randomToken is 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
