package deliver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hookwire/hookwire/pkg/envelope"
	"github.com/hookwire/hookwire/pkg/signing"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func testSecret(t testing.TB) string {
	t.Helper()
	s, err := signing.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// captured is one request as the receiver saw it.
type captured struct {
	header http.Header
	body   []byte
	path   string
}

// receiver records every request and answers with handle.
type receiver struct {
	mu   sync.Mutex
	reqs []captured
}

func (rc *receiver) last(t *testing.T) captured {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.reqs) == 0 {
		t.Fatal("receiver got no request")
	}
	return rc.reqs[len(rc.reqs)-1]
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

func startReceiver(t *testing.T, handle http.HandlerFunc) (*httptest.Server, *receiver) {
	t.Helper()
	rc := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, captured{header: r.Header.Clone(), body: body, path: r.URL.Path})
		rc.mu.Unlock()
		if handle != nil {
			handle(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, rc
}

func TestSendHeadersAndSignatures(t *testing.T) {
	srv, rc := startReceiver(t, nil)
	newS, oldS := testSecret(t), testSecret(t)
	ts := time.Unix(1767225600, 0)
	body := []byte(`{"id":"e1","type":"transaction.sale.success","data":{}}`)
	c := NewClient(Options{AllowCIDRs: loopback})
	res := c.Send(context.Background(), Request{
		URL: srv.URL + "/hook?token=abc", WebhookID: "sub1_abc", Timestamp: ts, Body: body,
		Secrets: []string{newS, oldS}, BasicUser: "shop", BasicPassword: "p@ss:word",
		Header: http.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}, "Webhook-Id": {"spoofed"}},
	})
	if res.Outcome != Delivered || res.Status != 200 || res.Err != nil {
		t.Fatalf("result %+v", res)
	}
	got := rc.last(t)
	checks := map[string]string{
		"Content-Type":      "application/json",
		"User-Agent":        DefaultUserAgent,
		"Webhook-Id":        "sub1_abc",
		"Webhook-Timestamp": strconv.FormatInt(ts.Unix(), 10),
		"Traceparent":       "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"Authorization":     "Basic " + base64.StdEncoding.EncodeToString([]byte("shop:p@ss:word")),
	}
	for k, want := range checks {
		if v := got.header.Values(k); len(v) != 1 || v[0] != want {
			t.Errorf("%s = %q, want [%q]", k, v, want)
		}
	}
	if string(got.body) != string(body) {
		t.Fatalf("body %q", got.body)
	}
	if n := len(strings.Fields(got.header.Get("Webhook-Signature"))); n != 2 {
		t.Fatalf("webhook-signature has %d entries, want 2 (rotation)", n)
	}
	for name, secrets := range map[string][]string{"new": {newS}, "old": {oldS}, "both": {oldS, newS}} {
		if err := signing.Verify(secrets, got.header, got.body, ts, time.Minute); err != nil {
			t.Errorf("verify with %s secret: %v", name, err)
		}
	}
	// X-Signature: one hex HMAC-SHA256(body) per secret, newest first, so a
	// receiver holding either secret verifies during the rotation.
	var want []string
	for _, sec := range []string{newS, oldS} {
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sec, "whsec_"))
		m := hmac.New(sha256.New, key)
		m.Write(body)
		want = append(want, hex.EncodeToString(m.Sum(nil)))
	}
	if v := got.header.Values("X-Signature"); len(v) != 1 || v[0] != strings.Join(want, ",") {
		t.Fatalf("X-Signature %q, want [%q]", v, strings.Join(want, ","))
	}
	for name, secrets := range map[string][]string{"new": {newS}, "old": {oldS}} {
		if err := signing.VerifyXSignature(secrets, got.header.Get("X-Signature"), got.body); err != nil {
			t.Errorf("X-Signature with the %s secret: %v", name, err)
		}
	}
}

func TestSendEncrypted(t *testing.T) {
	srv, rc := startReceiver(t, nil)
	secret := testSecret(t)
	key, _ := envelope.NewKey()
	plain := []byte(`{"id":"e2","data":{"pan":"4111"}}`)
	c := NewClient(Options{AllowCIDRs: loopback})
	req := Request{URL: srv.URL, WebhookID: "sub1_e2", Body: plain, Secrets: []string{secret}, EncryptionKey: key}
	if res := c.Send(context.Background(), req); res.Outcome != Delivered {
		t.Fatalf("result %+v", res)
	}
	got := rc.last(t)
	if strings.Contains(string(got.body), "4111") {
		t.Fatal("plaintext on the wire")
	}
	if err := signing.Verify([]string{secret}, got.header, got.body, time.Now(), time.Minute); err != nil {
		t.Fatalf("signature does not cover the ciphertext: %v", err)
	}
	if xs, _ := signing.XSignature(secret, got.body); got.header.Get("X-Signature") != xs {
		t.Fatal("X-Signature does not cover the ciphertext")
	}
	opened, err := envelope.Open(key, got.body)
	if err != nil || string(opened) != string(plain) {
		t.Fatalf("Open = %q, %v", opened, err)
	}
	c.Send(context.Background(), req)
	if again := rc.last(t); string(again.body) == string(got.body) {
		t.Fatal("second attempt reused the nonce")
	}
}

func TestSendWebhookIDStable(t *testing.T) {
	srv, rc := startReceiver(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	c := NewClient(Options{AllowCIDRs: loopback})
	req := Request{URL: srv.URL, WebhookID: "sub9_k", Body: []byte(`{}`), Secrets: []string{testSecret(t)}}
	for range 3 {
		if res := c.Send(context.Background(), req); res.Outcome != Retryable || res.Status != 500 || res.Err != nil {
			t.Fatalf("result %+v", res)
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i, r := range rc.reqs {
		if r.header.Get("Webhook-Id") != "sub9_k" {
			t.Fatalf("attempt %d webhook-id %q", i, r.header.Get("Webhook-Id"))
		}
	}
}

func TestSendOutcomes(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	big := strings.Repeat("é", ExcerptLimit) // 2 bytes a rune: the cap cuts no rune in half
	srv, rc := startReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/throttle":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/busy":
			w.Header().Set("Retry-After", "86400")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/redirect":
			http.Redirect(w, r, "/elsewhere?token=s3cr3t", http.StatusFound)
		case "/big":
			io.WriteString(w, "x"+big)
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-release:
			}
		case "/created":
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, "thanks")
		default:
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	c := NewClient(Options{AllowCIDRs: loopback})
	secret := testSecret(t)
	tests := []struct {
		path    string
		timeout time.Duration
		want    Outcome
		status  int
		after   time.Duration
		errIs   error
		errText string
	}{
		{path: "/created", want: Delivered, status: 201},
		{path: "/gone", want: Gone, status: 410},
		{path: "/throttle", want: Throttled, status: 429, after: 2 * time.Minute},
		{path: "/busy", want: Throttled, status: 503, after: MaxRetryAfter},
		{path: "/redirect", want: Retryable, status: 302, errIs: ErrRedirect, errText: `"/elsewhere"`},
		{path: "/bad", want: Retryable, status: 400},
		{path: "/big", want: Delivered, status: 200},
		{path: "/hang", timeout: 200 * time.Millisecond, want: Retryable, errIs: context.DeadlineExceeded, errText: "no answer within 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := c.Send(context.Background(), Request{URL: srv.URL + tt.path + "?secret=tok", WebhookID: "w", Body: []byte(`{}`), Secrets: []string{secret}, Timeout: tt.timeout})
			if res.Outcome != tt.want || res.Status != tt.status || res.RetryAfter != tt.after {
				t.Fatalf("got %v status %d after %s err %v; want %v %d %s", res.Outcome, res.Status, res.RetryAfter, res.Err, tt.want, tt.status, tt.after)
			}
			if tt.errIs == nil && res.Err != nil || tt.errIs != nil && !errors.Is(res.Err, tt.errIs) {
				t.Fatalf("err %v, want %v", res.Err, tt.errIs)
			}
			if res.Err != nil && (!strings.Contains(res.Err.Error(), tt.errText) || strings.Contains(res.Err.Error(), "tok")) {
				t.Fatalf("err %q: want it to mention %q and not the query", res.Err, tt.errText)
			}
			if res.Latency <= 0 {
				t.Fatal("no latency")
			}
			switch tt.path {
			case "/created":
				if res.Excerpt != "thanks" {
					t.Fatalf("excerpt %q", res.Excerpt)
				}
			case "/big":
				if len(res.Excerpt) > ExcerptLimit || len(res.Excerpt) < ExcerptLimit-3 || !utf8.ValidString(res.Excerpt) {
					t.Fatalf("excerpt %d bytes, valid UTF-8 %v", len(res.Excerpt), utf8.ValidString(res.Excerpt))
				}
			}
		})
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, r := range rc.reqs {
		if r.path == "/elsewhere" {
			t.Fatal("redirect was followed")
		}
	}
}

func TestSendRefused(t *testing.T) {
	srv, rc := startReceiver(t, nil)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(tlsSrv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate())
	secret := testSecret(t)
	open := NewClient(Options{})
	allowed := NewClient(Options{AllowCIDRs: loopback})
	httpsOnly := NewClient(Options{AllowCIDRs: loopback, HTTPSOnly: true, TLSConfig: &tls.Config{RootCAs: pool}})
	tests := []struct {
		name  string
		c     *Client
		req   Request
		want  Outcome
		errIs error
	}{
		{"loopback literal", open, Request{URL: srv.URL}, Refused, ErrForbiddenAddress},
		{"metadata", open, Request{URL: "http://169.254.169.254/latest/meta-data/"}, Refused, ErrForbiddenAddress},
		{"mapped loopback", open, Request{URL: "http://[::ffff:127.0.0.1]:1/"}, Refused, ErrForbiddenAddress},
		{"userinfo", allowed, Request{URL: strings.Replace(srv.URL, "http://", "http://u:p@", 1)}, Refused, ErrInvalidURL},
		{"scheme", allowed, Request{URL: "ftp://example.com/x"}, Refused, ErrInvalidURL},
		{"no host", allowed, Request{URL: "http:///x"}, Refused, ErrInvalidURL},
		{"garbage", allowed, Request{URL: "http://[::1"}, Refused, ErrInvalidURL},
		{"https only", httpsOnly, Request{URL: srv.URL}, Refused, ErrHTTPSOnly},
		{"https only accepts https", httpsOnly, Request{URL: tlsSrv.URL}, Delivered, nil},
		{"no secret", allowed, Request{URL: srv.URL, Secrets: []string{}}, Refused, ErrInvalidRequest},
		{"bad secret", allowed, Request{URL: srv.URL, Secrets: []string{"whsec_short"}}, Refused, ErrInvalidRequest},
		{"bad key", allowed, Request{URL: srv.URL, EncryptionKey: []byte("short")}, Refused, ErrInvalidRequest},
		{"no webhook id", allowed, Request{URL: srv.URL, WebhookID: "-"}, Refused, ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Body = []byte(`{}`)
			switch tt.req.WebhookID {
			case "":
				tt.req.WebhookID = "w"
			case "-":
				tt.req.WebhookID = ""
			}
			if tt.req.Secrets == nil {
				tt.req.Secrets = []string{secret}
			}
			res := tt.c.Send(context.Background(), tt.req)
			if res.Outcome != tt.want || (tt.errIs == nil) != (res.Err == nil) || tt.errIs != nil && !errors.Is(res.Err, tt.errIs) {
				t.Fatalf("got %v %v, want %v %v", res.Outcome, res.Err, tt.want, tt.errIs)
			}
		})
	}
	if n := rc.count(); n != 0 {
		t.Fatalf("refused requests reached the receiver %d times", n)
	}
}
