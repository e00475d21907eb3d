package registry

import (
	"math"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/eventtype"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/scope"
)

// FuzzValidateSubscription runs CreateSubscription's field checks on
// hostile subscriptions. Nothing panics, and what is accepted is safe for
// the places the values go: the URL is an absolute http(s) URL with a host
// and no credentials, the scope has no dot-only segment, the basic-auth
// username and password cannot split the Authorization header, and the
// e-mail addresses cannot add recipients or headers to an SMTP message.
// Strings arrive valid UTF-8 (gRPC refuses others), so only those are
// tried.
func FuzzValidateSubscription(f *testing.F) {
	f.Add("orders", "https://example.com/hooks?t=1", "transaction.sale.*", "acquirers/100", "payment_method", "CARD",
		"team", "payments", "ops@example.com", "shop", "p@ss", int64(300), 2.5)
	f.Add("", "http://[::1]:80/x", "*", "acquirers/100/../200", "", "", "", "", `"a b"@example.com`, "a:b", "x\r\ny", int64(-1), math.Inf(1))
	f.Add("l\r\nBcc: x", "https://user:pw@example.com/", "a.*.*", "a//b", "K", "v", "k", "v", "a@b,c@d", "", "", int64(0), math.NaN())
	f.Add("x", "HTTPS://EXAMPLE.COM", "hookwire.*", ".", "k", "", "", "", "<a@b>", "\x00", "\x00", int64(1<<62), 0.0)
	f.Fuzz(func(t *testing.T, label, rawURL, pattern, sc, fkey, fval, mkey, mval, email, user, pass string, delaySec int64, perSecond float64) {
		for _, s := range []string{label, rawURL, pattern, sc, fkey, fval, mkey, mval, email, user, pass} {
			if !utf8.ValidString(s) {
				return
			}
		}
		sub := &hookwirev1.Subscription{
			Label: label, Url: rawURL, EventTypes: []string{pattern}, Scope: sc,
			AttributeFilters:   map[string]*hookwirev1.AttributeValues{fkey: {Values: []string{fval}}},
			Metadata:           map[string]string{mkey: mval},
			NotificationEmails: []string{email}, SupportEmail: email,
			Auth:        &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{Basic: &hookwirev1.BasicAuth{Username: user, Password: pass}}},
			RetryPolicy: &hookwirev1.RetryPolicy{Delays: []*durationpb.Duration{{Seconds: delaySec}}},
			RateLimit:   &hookwirev1.RateLimit{PerSecond: perSecond},
		}
		s := &Service{cfg: Config{AllowHTTP: true}}
		var v badrequest.Violations
		checkScope(&v, "subscription.scope", sub.GetScope())
		s.validateFields(&v, sub, mutable)
		bad := map[string]bool{}
		for _, f := range v.Fields() {
			bad[f] = true
		}
		if !bad["subscription.url"] {
			u, err := url.Parse(rawURL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.User != nil || strings.ContainsAny(rawURL, "\x00\r\n") {
				t.Fatalf("URL %q accepted", rawURL)
			}
		}
		if !bad["subscription.scope"] {
			if err := scope.Validate(sc); err != nil || strings.Contains("/"+sc+"/", "/../") || strings.Contains("/"+sc+"/", "/./") {
				t.Fatalf("scope %q accepted", sc)
			}
		}
		if !bad["subscription.event_types[0]"] && eventtype.ValidatePattern(pattern) != nil {
			t.Fatalf("pattern %q accepted", pattern)
		}
		if !bad["subscription.auth.basic.username"] && (user == "" || strings.ContainsAny(user, ":") || strings.ContainsFunc(user, unicode.IsControl)) {
			t.Fatalf("basic username %q accepted", user)
		}
		if !bad["subscription.auth.basic.password"] && strings.ContainsFunc(pass, unicode.IsControl) {
			t.Fatalf("basic password %q accepted", pass)
		}
		if !bad["subscription.support_email"] && email != "" && strings.ContainsAny(email, "\x00\r\n,<>") {
			t.Fatalf("e-mail %q accepted", email)
		}
		if !bad["subscription.retry_policy.delays[0]"] {
			if d := time.Duration(delaySec) * time.Second; delaySec <= 0 || d > MaxRetryDelay {
				t.Fatalf("retry delay %ds accepted", delaySec)
			}
		}
		if !bad["subscription.rate_limit.per_second"] && !(perSecond > 0 && !math.IsInf(perSecond, 0)) {
			t.Fatalf("rate %v accepted", perSecond)
		}
		if !bad["subscription.metadata["+mkey+"]"] && (mkey == "" || len(mkey) > MaxMetadataKey || len(mval) > MaxMetadataValue) {
			t.Fatalf("metadata %q=%q accepted", mkey, mval)
		}
	})
}
