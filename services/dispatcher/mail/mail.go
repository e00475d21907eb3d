// Package mail writes the notices that tell a subscription's notification
// addresses it was suspended or is active again (Composer), and sends them
// over SMTP (Mailer; net/smtp: EHLO, STARTTLS when the server offers it,
// AUTH PLAIN when a username is configured). Package notice keeps them in
// an outbox until the server accepted them.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"time"
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

// Mailer sends messages over SMTP. Safe for concurrent use.
type Mailer struct {
	cfg Config
}

// New returns a Mailer.
func New(cfg Config) *Mailer { return &Mailer{cfg: cfg} }

// Enabled reports whether an SMTP server is configured.
func (m *Mailer) Enabled() bool { return m.cfg.Addr != "" }

// Send hands msg to the SMTP server for every address of to (one
// message, one RCPT per address). A nil error means the server accepted it
// (250 after DATA).
func (m *Mailer) Send(ctx context.Context, to []string, msg []byte) error {
	if !m.Enabled() {
		return errors.New("no SMTP server configured")
	}
	host, _, err := net.SplitHostPort(m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp address %q: %w", m.cfg.Addr, err)
	}
	if err := m.send(ctx, host, to, msg); err != nil {
		return fmt.Errorf("mail %d addresses through %s: %w", len(to), m.cfg.Addr, err)
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
	_ = c.Quit() // the message is accepted (250 after DATA): a failed QUIT must not send it again
	return nil
}
