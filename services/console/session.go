package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Cookie names. The session cookie holds only a random id: the token stays
// in this process's memory and never reaches the browser again.
const (
	sessionCookie = "hookwire_console"
	signinCookie  = "hookwire_console_signin" // CSRF of the sign-in form, before a session exists
	csrfField     = "csrf"
)

// session is one signed-in browser.
type session struct {
	id      string
	csrf    string
	token   string // bearer token of every gRPC call; "" when TokenOptional
	user    string // x-user-id of every call (audit)
	expires time.Time
	// flash is a message shown once, on the next page.
	flash string
	// secret is shown once on the subscription's secret page, then dropped.
	secret *onceSecret
}

// onceSecret is what CreateSubscription, UpdateSubscription or RotateSecret
// returned that is never shown again.
type onceSecret struct {
	SubscriptionID string
	SigningSecret  string
	EncryptionKey  string // base64
	Note           string // why it is shown
}

// sessions is the in-memory session store.
type sessions struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]*session
	now func() time.Time
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, m: map[string]*session{}, now: time.Now}
}

// create starts a session for token and user.
func (s *sessions) create(token, user string) *session {
	sess := &session{id: randomToken(), csrf: randomToken(), token: token, user: user}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for id, old := range s.m { // sweep: the map never outgrows the live sessions
		if now.After(old.expires) {
			delete(s.m, id)
		}
	}
	sess.expires = now.Add(s.ttl)
	s.m[sess.id] = sess
	return sess
}

// get returns the live session of r's cookie and extends it, or nil.
func (s *sessions) get(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[c.Value]
	if !ok {
		return nil
	}
	now := s.now()
	if now.After(sess.expires) {
		delete(s.m, sess.id)
		return nil
	}
	sess.expires = now.Add(s.ttl)
	return sess
}

// end removes the session.
func (s *sessions) end(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sess.id)
}

// setFlash keeps msg for the next page.
func (s *sessions) setFlash(sess *session, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess.flash = msg
}

// takeFlash returns the pending message and forgets it.
func (s *sessions) takeFlash(sess *session) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := sess.flash
	sess.flash = ""
	return msg
}

// keepSecret holds sec until takeSecret shows it.
func (s *sessions) keepSecret(sess *session, sec *onceSecret) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess.secret = sec
}

// takeSecret returns the secret kept for subscription id, once.
func (s *sessions) takeSecret(sess *session, id string) *onceSecret {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := sess.secret
	if sec == nil || sec.SubscriptionID != id {
		return nil
	}
	sess.secret = nil
	return sec
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
