package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

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
	csrfField     = "csrf"
	// sessionPlace is what the session cookie is sealed for (seal's
	// associated data): no other sealed value opens as a session.
	sessionPlace = "console/session_cookie"
)

// session is one signed-in browser, as its cookie carries it.
type session struct {
	id      string
	csrf    string
	token   string // bearer token of every gRPC call; "" when TokenOptional
	user    string // x-user-id of every call (audit)
	expires time.Time
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
}

// notes is a session's short-lived page state in this process: the flash
// message of the next page, the secret its secret page shows once, and the
// result of a test event its subscription's page shows once.
type notes struct {
	flash  string
	secret *onceSecret
	test   *testResult
	until  time.Time
}

// testResult is a saved subscription's test event, for its page.
type testResult struct {
	SubscriptionID string
	Resp           *hookwirev1.TestEndpointResponse
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
	mu      sync.Mutex
	revoked map[string]time.Time // session id → when its cookie expires
	notes   map[string]*notes
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
	return &sessions{box: box, ttl: ttl, now: time.Now, revoked: map[string]time.Time{}, notes: map[string]*notes{}}, nil
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
	for id, n := range s.notes {
		if now.After(n.until) {
			delete(s.notes, id)
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
	delete(s.notes, sess.id)
}

func (s *sessions) notesOf(sess *session) *notes {
	n := s.notes[sess.id]
	if n == nil {
		n = &notes{}
		s.notes[sess.id] = n
	}
	n.until = s.now().Add(s.ttl)
	return n
}

// setFlash keeps msg for the next page.
func (s *sessions) setFlash(sess *session, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notesOf(sess).flash = msg
}

// takeFlash returns the pending message and forgets it.
func (s *sessions) takeFlash(sess *session) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.notes[sess.id]
	if n == nil {
		return ""
	}
	msg := n.flash
	n.flash = ""
	return msg
}

// keepSecret holds sec until takeSecret shows it.
func (s *sessions) keepSecret(sess *session, sec *onceSecret) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notesOf(sess).secret = sec
}

// takeSecret returns the secret kept for subscription id, once.
func (s *sessions) takeSecret(sess *session, id string) *onceSecret {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.notes[sess.id]
	if n == nil || n.secret == nil || n.secret.SubscriptionID != id {
		return nil
	}
	sec := n.secret
	n.secret = nil
	return sec
}

// keepTest holds a test event's result until takeTest shows it.
func (s *sessions) keepTest(sess *session, t *testResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notesOf(sess).test = t
}

// takeTest returns the test result kept for subscription id, once.
func (s *sessions) takeTest(sess *session, id string) *hookwirev1.TestEndpointResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.notes[sess.id]
	if n == nil || n.test == nil || n.test.SubscriptionID != id {
		return nil
	}
	t := n.test.Resp
	n.test = nil
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
