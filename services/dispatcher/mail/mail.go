// Package mail tells a subscription's notification addresses that it was
// suspended, over SMTP (net/smtp: EHLO, STARTTLS when the server offers it,
// AUTH PLAIN when a username is configured).
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
)

// Config is where and as whom mail is sent.
type Config struct {
	Addr     string // host:port; empty: no mail is sent
	From     string
	Username string // optional; with Password, AUTH PLAIN
	Password string
}

// Validate reports what is wrong with c (nothing when Addr is empty).
func (c Config) Validate() error {
	if c.Addr == "" {
		return nil
	}
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("HOOKWIRE_SMTP_ADDR %q: must be host:port", c.Addr))
	}
	if !strings.Contains(c.From, "@") {
		errs = append(errs, fmt.Errorf("HOOKWIRE_SMTP_FROM %q: must be an e-mail address", c.From))
	}
	if c.Password != "" && c.Username == "" {
		errs = append(errs, errors.New("HOOKWIRE_SMTP_PASSWORD is set without HOOKWIRE_SMTP_USERNAME"))
	}
	return errors.Join(errs...)
}

// Mailer sends suspension notices. Safe for concurrent use.
type Mailer struct {
	cfg Config
}

// New returns a Mailer.
func New(cfg Config) *Mailer { return &Mailer{cfg: cfg} }

// Enabled reports whether an SMTP server is configured.
func (m *Mailer) Enabled() bool { return m.cfg.Addr != "" }

// SendSuspended mails every notification address of rec (one message, one
// RCPT per address) why it was suspended and how to resume it.
func (m *Mailer) SendSuspended(ctx context.Context, rec subscription.Record) error {
	if !m.Enabled() || len(rec.NotificationEmails) == 0 {
		return nil
	}
	host, _, err := net.SplitHostPort(m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp address %q: %w", m.cfg.Addr, err)
	}
	msg := SuspendedMessage(m.cfg.From, rec)
	if err := m.send(ctx, host, rec.NotificationEmails, msg); err != nil {
		return fmt.Errorf("mail suspension of %s to %d addresses: %w", rec.ID, len(rec.NotificationEmails), err)
	}
	return nil
}

// timeout bounds one SMTP conversation when ctx has no deadline.
const timeout = 30 * time.Second

// send is smtp.SendMail with a context and a deadline on the connection.
func (m *Mailer) send(ctx context.Context, host string, to []string, msg []byte) error {
	conn, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(timeout)
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello("hookwire"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return err
		}
	}
	if m.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, host)); err != nil {
			return err
		}
	}
	if err := c.Mail(m.cfg.From); err != nil {
		return err
	}
	for _, addr := range to {
		if err := c.Rcpt(addr); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// SuspendedMessage is the RFC 5322 message telling rec's owners it was
// suspended.
func SuspendedMessage(from string, rec subscription.Record) []byte {
	name := rec.Label
	if name == "" {
		name = rec.ID
	}
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, oneLine(v)) }
	hdr("From", from)
	hdr("To", strings.Join(rec.NotificationEmails, ", "))
	hdr("Subject", "Hookwire webhook subscription suspended: "+name)
	hdr("Date", time.Now().UTC().Format(time.RFC1123Z))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	b.WriteString("\r\n")
	lines := []string{
		"Hookwire suspended one of your webhook subscriptions and stopped delivering to it.",
		"",
		"Subscription: " + rec.ID,
		"Label:        " + rec.Label,
		"URL:          " + rec.URL,
		"Reason:       " + rec.StatusReason,
		"Suspended at: " + rec.UpdatedAt.UTC().Format(time.RFC3339),
		"",
		"No event is lost: deliveries are kept while the subscription is suspended",
		"and are sent once it is resumed.",
		"",
		"To resume, fix the endpoint, then call ResumeSubscription, e.g.:",
		"",
		"    hookwire subscriptions resume " + rec.ID,
	}
	if rec.SupportEmail != "" {
		lines = append(lines, "", "Questions: "+rec.SupportEmail)
	}
	for _, l := range lines {
		b.WriteString(oneLine(l) + "\r\n")
	}
	return b.Bytes()
}

// oneLine keeps header values on one line (no header injection).
func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }
