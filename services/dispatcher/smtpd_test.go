package dispatcher

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
)

// mailMsg is one message the test SMTP server read.
type mailMsg struct {
	from string
	to   []string
	data string
}

// smtpd is an in-process SMTP server speaking just enough of RFC 5321
// (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for net/smtp; it offers
// no STARTTLS and no AUTH. It can be stopped and started again on the same
// port (stop: connections are refused), made to hold new connections
// without a greeting, and made to drop the connection after reading a
// message instead of accepting it (the sender never learns it arrived).
type smtpd struct {
	t    testing.TB
	host string // 127.0.0.1:port, kept across restarts

	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]struct{}
	msgs     []mailMsg // accepted (250 after DATA)
	read     []mailMsg // every message read, accepted or dropped
	hold     bool      // new connections get no greeting
	held     int       // connections that got none
	dropNext int       // the next n messages are read, then the connection is dropped
}

func startSMTP(t testing.TB) *smtpd {
	t.Helper()
	s := &smtpd{t: t, host: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// start listens (again) on the server's address.
func (s *smtpd) start() {
	s.t.Helper()
	ln, err := net.Listen("tcp", s.host)
	if err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.ln, s.host = ln, ln.Addr().String()
	s.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			hold := s.hold
			if hold {
				s.held++
			}
			s.mu.Unlock()
			if !hold {
				go s.serve(c)
			}
		}
	}()
}

// stop closes the listener and every open connection: from now on
// connections are refused.
func (s *smtpd) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		_ = s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		_ = c.Close()
		delete(s.conns, c)
	}
}

func (s *smtpd) addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.host
}

func (s *smtpd) setHold(hold bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = hold
}

func (s *smtpd) heldConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

func (s *smtpd) dropMessages(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropNext = n
}

func (s *smtpd) serve(c net.Conn) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = c.Close()
	}()
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(line string) { _, _ = w.WriteString(line + "\r\n"); _ = w.Flush() }
	say("220 test ESMTP")
	var m mailMsg
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO":
			say("250-test greets you")
			say("250 8BITMIME")
		case "HELO", "NOOP":
			say("250 ok")
		case "MAIL":
			m = mailMsg{from: addrOf(line)}
			say("250 ok")
		case "RCPT":
			m.to = append(m.to, addrOf(line))
			say("250 ok")
		case "DATA":
			say("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			m.data = b.String()
			s.mu.Lock()
			s.read = append(s.read, m)
			drop := s.dropNext > 0
			if drop {
				s.dropNext--
			} else {
				s.msgs = append(s.msgs, m)
			}
			s.mu.Unlock()
			if drop {
				return
			}
			say("250 queued")
		case "RSET":
			m = mailMsg{}
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

// addrOf extracts the address of "MAIL FROM:<a>" / "RCPT TO:<a>".
func addrOf(line string) string {
	i, j := strings.IndexByte(line, '<'), strings.IndexByte(line, '>')
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

// messages are the messages accepted so far.
func (s *smtpd) messages() []mailMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mailMsg(nil), s.msgs...)
}

// readAll are the messages read so far, accepted or dropped.
func (s *smtpd) readAll() []mailMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mailMsg(nil), s.read...)
}

// parsedMail is a received message taken apart as a mail client would.
type parsedMail struct {
	header  mail.Header
	subject string // decoded
	text    string // the text/plain part, decoded
	html    string // the text/html part, decoded
}

// parseMail parses data with net/mail and mime/multipart: it must be
// multipart/alternative with a text/plain and a text/html part, each
// quoted-printable.
func parseMail(t testing.TB, data string) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	p := parsedMail{header: msg.Header}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("decode subject %q: %v", msg.Header.Get("Subject"), err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		if cte := part.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Fatalf("part %s: Content-Transfer-Encoding %q", part.Header.Get("Content-Type"), cte)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatalf("decode part: %v", err)
		}
		switch ct := part.Header.Get("Content-Type"); ct {
		case "text/plain; charset=utf-8":
			p.text = string(bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")))
		case "text/html; charset=utf-8":
			p.html = string(body)
		default:
			t.Fatalf("unexpected part %q", ct)
		}
	}
	if p.text == "" || p.html == "" {
		t.Fatalf("message lacks a text or an html part:\n%s", data)
	}
	return p
}
