package mail

import (
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"
)

// parts reads msg as a mail client would: headers, decoded subject, and the
// decoded text and html parts.
func parts(t *testing.T, msg []byte) (mail.Header, string, string, string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(string(msg)))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, msg)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(quotedprintable.NewReader(p))
		if err != nil {
			t.Fatal(err)
		}
		got[p.Header.Get("Content-Type")] = string(b)
	}
	return m.Header, subject, got["text/plain; charset=utf-8"], got["text/html; charset=utf-8"]
}

func TestComposeSuspended(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	n := Notice{
		Kind: Suspended, SubscriptionID: "sub 1/ä", Revision: 42,
		Label: "Orders\r\nBcc: victim@example.com", URL: "https://shop.example/hooks", URLHidden: true,
		To: []string{"ops@shop.example", "cto@shop.example"}, Reason: "5 deliveries in a row failed (last: HTTP 500)",
		At: at, Failed: 5, FailingSince: at.Add(-2 * time.Hour), RetrySpan: Duration(65 * time.Minute), Held: 12,
	}
	c := Composer{From: "Hookwire <hookwire@psp.example>", ConsoleURL: "https://psp.example/console/", EventsMaxAge: 30 * 24 * time.Hour}
	msg, err := c.Compose(n, at.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	h, subject, text, html := parts(t, msg)
	if len(h["Bcc"]) != 0 || strings.Contains(string(msg), "\r\nBcc:") {
		t.Fatal("a CR/LF in the label injected a header")
	}
	if want := "Webhook suspended: Orders  Bcc: victim@example.com — its events are held, not sent"; subject != want {
		t.Errorf("subject %q, want %q", subject, want)
	}
	if got, want := h.Get("Message-ID"), "<hookwire.suspended=3asub=201/=c3=a4=3a42@psp.example>"; got != want {
		t.Errorf("Message-ID %q, want %q", got, want)
	}
	if _, err := mail.ParseAddress(strings.Trim(h.Get("Message-ID"), "<>")); err != nil {
		t.Errorf("Message-ID is not addr-spec shaped: %v", err)
	}
	if got := h.Get("List-Unsubscribe"); got != "<https://psp.example/console/subscriptions/sub%201%2F%C3%A4>" {
		t.Errorf("List-Unsubscribe %q", got)
	}
	for _, want := range []string{
		"(credentials, query string and fragment not shown)",
		"5 deliveries in a row ended FAILED",
		"Held now:\n  12", // wrapped by the template
		"keeps each event 30 days after receiving it",
		"Resume before Wed 23 Dec 2026 08:55 UTC", // suspended at + 30 days - the 65 min retry span
		"hookwire deliveries replay --subscription sub 1/ä --start 2026-11-23T06:54:00Z",
		"Do it before Wed 23 Dec 2026 06:55 UTC",
		"https://psp.example/console/subscriptions/sub%201%2F%C3%A4",
	} {
		if !strings.Contains(strings.ReplaceAll(text, "\r\n", "\n"), want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(html, "<strong>12</strong>") || !strings.Contains(html, "<title>Webhook suspended: Orders  Bcc: victim@example.com") {
		t.Errorf("html:\n%s", html)
	}
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * 24 * time.Hour: "30 days", 24 * time.Hour: "1 day", time.Hour: "1 hour", 36 * time.Hour: "36 hours", 90 * time.Minute: "1h30m0s",
	} {
		if got := age(d); got != want {
			t.Errorf("age(%s) = %q, want %q", d, got, want)
		}
	}
}
