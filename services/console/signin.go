package console

import (
	"context"
	"net/http"
	"strings"
	"time"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

type signinPage struct {
	CSRF, Next, User, Error string
	TokenOptional           bool
}

// signinForm shows the token form. Its CSRF token is a cookie of its own
// (double submit): no session exists yet.
func (c *Console) signinForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	p := &signinPage{CSRF: randomToken(), Next: safeNext(r.URL.Query().Get("next")), TokenOptional: c.cfg.TokenOptional}
	if r.URL.Query().Get("expired") != "" {
		p.Error = "Your token was not accepted any more: sign in again."
	}
	http.SetCookie(w, &http.Cookie{
		Name: signinCookie, Value: p.CSRF, Path: BasePath,
		HttpOnly: true, Secure: !c.cfg.Dev, SameSite: http.SameSiteStrictMode,
	})
	c.render(w, r, nil, http.StatusOK, "signin", p)
}

// signin checks the token with a read call and starts a session.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ck, err := r.Cookie(signinCookie)
	if err != nil || !equalTokens(r.PostFormValue(csrfField), ck.Value) {
		http.Error(w, "invalid or missing CSRF token: reload the sign-in page", http.StatusForbidden)
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	user := strings.TrimSpace(r.PostFormValue("user"))
	if user == "" {
		user = "console"
	}
	next := safeNext(r.PostFormValue("next"))
	retry := func(msg string) {
		p := &signinPage{CSRF: ck.Value, Next: next, User: user, Error: msg, TokenOptional: c.cfg.TokenOptional}
		c.render(w, r, nil, http.StatusUnauthorized, "signin", p)
	}
	if token == "" && !c.cfg.TokenOptional {
		retry("Enter your API token.")
		return
	}
	s := &session{token: token, user: user}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if _, err := c.reg.ListEventTypes(s.call(ctx), &hookwirev1.ListEventTypesRequest{PageSize: 1}); err != nil {
		if isUnauthenticated(err) {
			retry("This token is not known to Hookwire.")
			return
		}
		retry("The token could not be checked: " + apiMessage(err))
		return
	}
	s = c.sessions.create(token, user)
	if !c.setSessionCookie(w, r, s) {
		return
	}
	c.clearCookie(w, signinCookie)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, s *session) {
	c.sessions.end(s)
	c.clearCookie(w, sessionCookie)
	c.clearCookie(w, notesCookie)
	http.Redirect(w, r, c.path("signin"), http.StatusSeeOther)
}

// safeNext keeps a post-sign-in redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, BasePath) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return BasePath
	}
	return next
}
