package dispatcher

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
)

// mailMsg is one message the test SMTP server accepted.
type mailMsg struct {
	from string
	to   []string
	data string
}

// smtpd is an in-process SMTP server speaking just enough of RFC 5321
// (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for net/smtp; it offers
// no STARTTLS and no AUTH.
type smtpd struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []mailMsg
}

func startSMTP(t testing.TB) *smtpd {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpd{ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpd) addr() string { return s.ln.Addr().String() }

func (s *smtpd) serve(c net.Conn) {
	defer c.Close()
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
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
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

func (s *smtpd) messages() []mailMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mailMsg(nil), s.msgs...)
}
