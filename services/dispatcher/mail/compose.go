package mail

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// Composer writes notices as RFC 5322 messages: multipart/alternative with
// a plain text and an HTML part, quoted-printable, subject in RFC 2047
// encoded words when it is not ASCII.
type Composer struct {
	From string
	// ConsoleURL is the web console's base URL (HOOKWIRE_CONSOLE_URL, e.g.
	// https://hookwire.example/console); empty: no console links.
	ConsoleURL string
	// EventsMaxAge is how long EVENTS keeps an event: what bounds a held or
	// failed delivery (0: kept until removed by hand).
	EventsMaxAge time.Duration
}

// Compose is the message of n, dated now.
func (c Composer) Compose(n Notice, now time.Time) ([]byte, error) {
	v := c.view(n, now)
	var text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&text, string(n.Kind), v); err != nil {
		return nil, fmt.Errorf("compose %s text: %w", n.ID(), err)
	}
	if err := htmlTemplates.ExecuteTemplate(&html, string(n.Kind), v); err != nil {
		return nil, fmt.Errorf("compose %s html: %w", n.ID(), err)
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	hdr := func(k, val string) { fmt.Fprintf(&b, "%s: %s\r\n", k, oneLine(val)) }
	hdr("From", c.From)
	hdr("To", strings.Join(n.To, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", oneLine(v.Subject)))
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("Message-ID", MessageID(n.ID(), c.From))
	if n.Follows != "" {
		hdr("In-Reply-To", MessageID(n.Follows, c.From))
		hdr("References", MessageID(n.Follows, c.From))
	}
	hdr("MIME-Version", "1.0")
	hdr("Auto-Submitted", "auto-generated")
	hdr("X-Auto-Response-Suppress", "All")
	if v.Console != "" {
		// Not a mailing list: the pointer is to the subscription's page,
		// where its notification addresses are changed.
		hdr("List-Unsubscribe", "<"+v.Console+">")
	}
	hdr("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	b.WriteString("\r\n")
	for _, p := range []struct {
		typ  string
		body []byte
	}{{"text/plain; charset=utf-8", crlf(text.Bytes())}, {"text/html; charset=utf-8", crlf(html.Bytes())}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {p.typ}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, fmt.Errorf("compose %s: %w", n.ID(), err)
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write(p.body); err != nil {
			return nil, fmt.Errorf("compose %s: %w", n.ID(), err)
		}
		if err := qp.Close(); err != nil {
			return nil, fmt.Errorf("compose %s: %w", n.ID(), err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("compose %s: %w", n.ID(), err)
	}
	return b.Bytes(), nil
}

// view is what the templates read; every string is one line.
type view struct {
	Subject, Name, Label, ID, URL, Reason, Support string
	URLHidden                                      bool
	At, SuspendedAt, Date, FailingSince            string
	Failed, Held                                   int64
	Console                                        string // the subscription's console page; empty without a console URL
	MaxAge                                         string // "" when events never expire
	ResumeBy, RedeliverBy                          string // last moment nothing held / failed is lost
	ReplayStart                                    string // RFC 3339, a minute before the first failed event could be stored
}

func (c Composer) view(n Notice, now time.Time) view {
	v := view{
		Name: oneLine(n.Name()), Label: oneLine(n.Label), ID: oneLine(n.SubscriptionID), URL: oneLine(n.URL),
		URLHidden: n.URLHidden, Reason: oneLine(n.Reason), Support: oneLine(n.Support),
		At: stamp(n.At), SuspendedAt: stamp(n.SuspendedAt), Date: stamp(now),
		Failed: n.Failed, Held: n.Held,
	}
	if v.Label == "" {
		v.Label = "(none)"
	}
	switch n.Kind {
	case Recovered:
		v.Subject = "Webhook active again: " + v.Name
	default:
		v.Subject = "Webhook suspended: " + v.Name + " — its events are held, not sent"
	}
	if c.ConsoleURL != "" {
		base := strings.TrimRight(c.ConsoleURL, "/") + "/subscriptions/" + url.PathEscape(n.SubscriptionID)
		v.Console = base
	}
	span := time.Duration(n.RetrySpan)
	if c.EventsMaxAge > 0 {
		v.MaxAge = age(c.EventsMaxAge)
		// An event held now was stored at most one retry span before the
		// suspension (it was being retried then), or after it.
		v.ResumeBy = stamp(n.At.Add(c.EventsMaxAge - span))
	}
	if n.Failed > 0 && !n.FailingSince.IsZero() {
		v.FailingSince = stamp(n.FailingSince)
		first := n.FailingSince.Add(-span)
		v.ReplayStart = first.Add(-time.Minute).UTC().Truncate(time.Minute).Format(time.RFC3339)
		if c.EventsMaxAge > 0 {
			v.RedeliverBy = stamp(first.Add(c.EventsMaxAge))
		}
	}
	return v
}

// stamp is t for a reader, in UTC; "" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("Mon 2 Jan 2006 15:04 MST")
}

// age is d in days or hours when it is a whole number of them.
func age(d time.Duration) string {
	unit := func(n time.Duration, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d%(24*time.Hour) == 0:
		return unit(d/(24*time.Hour), "day")
	case d%time.Hour == 0:
		return unit(d/time.Hour, "hour")
	default:
		return d.String()
	}
}

// crlf turns the templates' line ends into CRLF, as SMTP wants them.
func crlf(b []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

// oneLine keeps a value on one line (no header injection, no forged lines
// in the body).
func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }
