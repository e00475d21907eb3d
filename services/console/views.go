package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

//go:embed web/templates/*.html web/static/*
var web embed.FS

// views are the parsed page templates, each with the layout.
type views struct {
	pages  map[string]*template.Template
	static http.Handler
}

// layout is what every page's frame shows; Body is the page's own data.
type layout struct {
	Title    string
	Nav      string // the active navigation item
	User     string
	CSRF     string
	Flash    string
	SignedIn bool
	Dev      bool
	Body     any
}

func loadViews() (*views, error) {
	names, err := fs.Glob(web, "web/templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	// layout.html frames every page; _*.html are partials every page may use.
	v := &views{pages: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(n[len("web/templates/"):], ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(web, "web/templates/layout.html", "web/templates/_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", base, err)
		}
		v.pages[base] = t
	}
	static, err := fs.Sub(web, "web/static")
	if err != nil {
		return nil, fmt.Errorf("console static files: %w", err)
	}
	v.static = http.StripPrefix(BasePath+"static/", http.FileServerFS(static))
	return v, nil
}

// render writes page name with body inside the layout.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, code int, name string, body any) {
	t, ok := c.views.pages[name]
	if !ok {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	l := layout{Title: titles[name], Nav: navOf[name], Dev: c.cfg.Dev, Body: body}
	if s != nil {
		l.SignedIn, l.User, l.CSRF, l.Flash = true, s.user, s.csrf, c.sessions.takeFlash(w, r, s)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, l); err != nil {
		c.log.ErrorContext(r.Context(), "console: render "+name, "error", err)
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

var titles = map[string]string{
	"signin": "Sign in", "overview": "Overview", "subscriptions": "Subscriptions",
	"subscription_form": "Webhook", "subscription": "Subscription", "secret": "Signing secret",
	"confirm_delete": "Delete subscription", "delivery": "Delivery", "events": "Event lookup",
	"replay": "Replay", "event_types": "Event types", "error": "Error",
}

var navOf = map[string]string{
	"overview": "overview", "subscriptions": "subscriptions", "subscription_form": "subscriptions",
	"subscription": "subscriptions", "secret": "subscriptions", "confirm_delete": "subscriptions",
	"delivery": "events", "events": "events", "replay": "subscriptions", "event_types": "event_types",
}

var funcs = template.FuncMap{
	"path":      func(elems ...string) string { return BasePath + strings.Join(elems, "/") },
	"subStatus": subStatus,
	"state":     deliveryState,
	"ts":        formatTime,
	"dur":       formatDuration,
	"join":      strings.Join,
	"query":     query,
	"ok2xx":     func(code int32) bool { return code >= 200 && code < 300 },
	"list":      func(s ...string) []string { return s },
	"holdReason": func(r hookwirev1.HoldReason) string {
		return strings.ToLower(strings.TrimPrefix(r.String(), "HOLD_REASON_"))
	},
	"lastAttempt": func(as []*hookwirev1.Attempt) *hookwirev1.Attempt {
		if len(as) == 0 {
			return nil
		}
		return as[len(as)-1]
	},
	"fieldErr": func(errs map[string]string, name string) fieldError {
		return fieldError{ID: name + "-error", Msg: errs[name]}
	},
	"invalid":    invalidAttrs,
	"softBreaks": softBreaks,
	"trigger": func(t hookwirev1.AttemptTrigger) string {
		return strings.ToLower(strings.TrimPrefix(t.String(), "ATTEMPT_TRIGGER_"))
	},
}

// softBreaks lets a dotted or slashed name (an event type, a scope) wrap
// after its dots and slashes, and only there, when its column is narrow.
func softBreaks(name string) template.HTML {
	var b strings.Builder
	for _, r := range name {
		b.WriteString(template.HTMLEscapeString(string(r)))
		if r == '.' || r == '/' {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String())
}

// fieldError is a form input's error message and the id that ties it to
// the input (aria-describedby).
type fieldError struct{ ID, Msg string }

// invalidAttrs marks a form input whose value the API refused, for
// assistive technology: aria-invalid, and its message as its description.
func invalidAttrs(errs map[string]string, name string) template.HTMLAttr {
	if errs[name] == "" {
		return ""
	}
	return template.HTMLAttr(`aria-invalid="true" aria-describedby="` + template.HTMLEscapeString(name) + `-error"`)
}

func subStatus(s hookwirev1.SubscriptionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "SUBSCRIPTION_STATUS_"))
}

func deliveryState(s hookwirev1.DeliveryState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "DELIVERY_STATE_"))
}

func formatTime(t *timestamppb.Timestamp) string {
	if t == nil {
		return ""
	}
	return t.AsTime().UTC().Format("2006-01-02 15:04:05 UTC")
}

func formatDuration(d *durationpb.Duration) string {
	if d == nil {
		return ""
	}
	v := d.AsDuration()
	switch {
	case v < time.Millisecond:
		return v.String()
	case v < time.Second:
		return fmt.Sprintf("%d ms", v.Milliseconds())
	}
	return v.Round(time.Millisecond).String()
}

// shortDuration is d as an operator writes it: "5m", "1h30m", "90s"
// rather than Go's "5m0s", "1h30m0s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// query builds "?k=v&…" from pairs, leaving out empty values.
func query(pairs ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
