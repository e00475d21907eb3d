// Package console is Hookwire's operator web console: server-rendered
// pages over the registry's and dispatcher's gRPC APIs, every call made
// with the signed-in user's bearer token, so the console sees and may do
// exactly what that token may. It keeps no data of its own: a session
// lives in its sealed cookie (see sessions), so it survives a restart and
// any replica with the same session key serves it.
//
// Security: the session cookie is HttpOnly, SameSite=Strict and Secure
// outside dev mode and sealed with AES-256-GCM by pkg/seal; every POST
// carries the session's CSRF token; the Content-Security-Policy allows scripts and
// styles from the console's own embedded files only (no inline script);
// signing secrets and encryption keys appear on exactly one page, once.
package console

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// Deps are the console's connections.
type Deps struct {
	Registry   grpc.ClientConnInterface // serves RegistryService
	Dispatcher grpc.ClientConnInterface // serves DeliveryService
	Logger     *slog.Logger
}

// Console serves the pages under BasePath.
type Console struct {
	cfg      Config
	log      *slog.Logger
	reg      hookwirev1.RegistryServiceClient
	del      hookwirev1.DeliveryServiceClient
	sessions *sessions
	views    *views
	mux      *http.ServeMux
}

// New builds the console over d.
func New(cfg Config, d Deps) (*Console, error) {
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	key := cfg.SessionKey
	if len(key) == 0 {
		key = make([]byte, sessionKeySize)
		_, _ = rand.Read(key)
		if !cfg.Dev {
			d.Logger.Warn("console: HOOKWIRE_CONSOLE_SESSION_KEY is not set: a random key signs sessions, " +
				"so a restart signs everyone out and replicas do not share sessions")
		}
	}
	sess, err := newSessions(key, cfg.SessionTTL)
	if err != nil {
		return nil, err
	}
	sess.secure = !cfg.Dev
	c := &Console{
		cfg:      cfg,
		log:      d.Logger,
		reg:      hookwirev1.NewRegistryServiceClient(d.Registry),
		del:      hookwirev1.NewDeliveryServiceClient(d.Dispatcher),
		sessions: sess,
		views:    v,
		mux:      http.NewServeMux(),
	}
	c.routes()
	return c, nil
}

// ServeHTTP serves a console request with the security headers every
// answer carries.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	c.mux.ServeHTTP(w, r)
}

// handler is a page handler of a signed-in session.
type handler func(w http.ResponseWriter, r *http.Request, s *session)

// page wraps h: no session redirects to sign-in (or starts one when no
// token is needed), a POST without the session's CSRF token is refused,
// and pages are never cached (they show data of one user's token).
func (c *Console) page(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		s := c.sessions.get(r)
		if s == nil && c.cfg.TokenOptional {
			s = c.sessions.create("", "dev")
		}
		if s != nil && !c.setSessionCookie(w, r, s) { // sliding expiry: every request re-seals it
			return
		}
		if s == nil {
			if r.Method != http.MethodGet {
				http.Error(w, "signed out: sign in again", http.StatusForbidden)
				return
			}
			http.Redirect(w, r, c.path("signin")+"?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !s.validCSRF(r) {
			http.Error(w, "invalid or missing CSRF token: reload the page and try again", http.StatusForbidden)
			return
		}
		h(w, r, s)
	}
}

// path is the console URL of the given path elements.
func (c *Console) path(elems ...string) string {
	return BasePath + strings.Join(elems, "/")
}

// call returns ctx carrying the session's credentials for a gRPC call.
func (s *session) call(ctx context.Context) context.Context {
	kv := []string{"x-user-id", s.user}
	if s.token != "" {
		kv = append(kv, "authorization", "Bearer "+s.token)
	}
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

// redirect answers a POST with a redirect to a page (303: the browser GETs it).
func (c *Console) redirect(w http.ResponseWriter, r *http.Request, s *session, flash string, elems ...string) {
	if flash != "" {
		if err := c.sessions.setFlash(w, r, s, flash); err != nil {
			c.notesFailed(w, r, err)
			return
		}
	}
	http.Redirect(w, r, c.path(elems...), http.StatusSeeOther)
}

// failed logs an unexpected error without request data and shows it.
func (c *Console) failed(w http.ResponseWriter, r *http.Request, s *session, op string, err error) {
	msg := apiMessage(err)
	if isUnauthenticated(err) {
		c.sessions.end(s)
		c.clearCookie(w, notesCookie)
		http.Redirect(w, r, c.path("signin")+"?expired=1", http.StatusSeeOther)
		return
	}
	c.log.WarnContext(r.Context(), "console: "+op, "error", msg)
	c.render(w, r, s, httpStatus(err), "error", &errorPage{Op: op, Message: msg, Status: statusCode(err)})
}

// notesFailed answers a POST whose change was made but whose note for
// the next page (a flash, a secret shown once, a test result) could not
// be sealed: it logs why (never the note) and says so with a 500.
func (c *Console) notesFailed(w http.ResponseWriter, r *http.Request, err error) {
	c.log.ErrorContext(r.Context(), "console: notes cookie", "error", err)
	http.Error(w, "the change was saved, but the page that shows its result could not be prepared: "+
		"reload the subscription (rotate its secret to see a new one)", http.StatusInternalServerError)
}

// setSessionCookie sets s's sealed cookie. When it cannot be sealed it
// logs why (never the session's values) and answers 500, and reports
// false: an empty cookie would sign the user out with no word.
func (c *Console) setSessionCookie(w http.ResponseWriter, r *http.Request, s *session) bool {
	v, err := c.sessions.seal(s)
	if err != nil {
		c.log.ErrorContext(r.Context(), "console: session cookie", "error", err)
		http.Error(w, "the session could not be saved: try again", http.StatusInternalServerError)
		return false
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: v, Path: BasePath,
		HttpOnly: true, Secure: !c.cfg.Dev, SameSite: http.SameSiteStrictMode,
	})
	return true
}

func (c *Console) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: BasePath, MaxAge: -1,
		HttpOnly: true, Secure: !c.cfg.Dev, SameSite: http.SameSiteStrictMode,
	})
}

// errorPage is the view of a failed call.
type errorPage struct {
	Op, Message, Status string
}
