package receiver

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/pkg/envelope"
	"github.com/hookwire/hookwire/pkg/signing"
)

const event = `{"id":"evt_1","type":"transaction.sale.success","scope":"acquirers/100/merchants/2000","occurred_at":"2026-11-23T10:00:00Z","data":{"amount":1250}}`

func secret(t *testing.T) string {
	t.Helper()
	s, err := signing.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signed builds a delivery request as Hookwire sends it.
func signed(t *testing.T, secrets []string, id string, ts time.Time, body []byte) *http.Request {
	t.Helper()
	sig, err := signing.Sign(secrets, id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/hooks", bytes.NewReader(body))
	r.Header.Set(signing.HeaderID, id)
	r.Header.Set(signing.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	r.Header.Set(signing.HeaderSignature, sig)
	return r
}

func TestVerify(t *testing.T) {
	now := time.Unix(1795000000, 0)
	cur, prev, other := secret(t), secret(t), secret(t)
	key, _ := envelope.NewKey()
	sealed, err := envelope.Seal(key, []byte(event))
	if err != nil {
		t.Fatal(err)
	}
	clock := WithClock(func() time.Time { return now })
	tests := []struct {
		name string
		opts []Option
		req  *http.Request
		want error
		body string
	}{
		{"plain", nil, signed(t, []string{cur}, "w1", now, []byte(event)), nil, event},
		{"rotation, receiver knows old", []Option{WithSecrets(prev)}, signed(t, []string{prev}, "w1", now, []byte(event)), nil, event},
		{"encrypted", []Option{WithEncryptionKey(key)}, signed(t, []string{cur}, "w1", now, sealed), nil, event},
		{"wrong secret", nil, signed(t, []string{other}, "w1", now, []byte(event)), signing.ErrMismatch, ""},
		{"stale", nil, signed(t, []string{cur}, "w1", now.Add(-10*time.Minute), []byte(event)), signing.ErrTimestamp, ""},
		{"stale within custom tolerance", []Option{WithTolerance(time.Hour)}, signed(t, []string{cur}, "w1", now.Add(-10*time.Minute), []byte(event)), nil, event},
		{"unsigned", nil, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(event))), signing.ErrNoSignature, ""},
		{"too large", []Option{WithMaxBody(10)}, signed(t, []string{cur}, "w1", now, []byte(event)), ErrTooLarge, ""},
		{"encrypted, wrong key", []Option{WithEncryptionKey(make([]byte, 32))}, signed(t, []string{cur}, "w1", now, sealed), envelope.ErrWrongKey, ""},
		{"key set, body plain", []Option{WithEncryptionKey(key)}, signed(t, []string{cur}, "w1", now, []byte(event)), envelope.ErrFormat, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := New(cur, append(tt.opts, clock)...)
			if err != nil {
				t.Fatal(err)
			}
			body, err := rc.Verify(tt.req)
			if !errors.Is(err, tt.want) || tt.want == nil && err != nil {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if string(body) != tt.body {
				t.Fatalf("body %q", body)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New("not-a-secret"); !errors.Is(err, signing.ErrSecret) {
		t.Fatalf("bad secret: %v", err)
	}
	if _, err := New(secret(t), WithEncryptionKey([]byte("short"))); !errors.Is(err, envelope.ErrKey) {
		t.Fatalf("bad key: %v", err)
	}
}

func TestHandlerStatuses(t *testing.T) {
	cur := secret(t)
	rc, err := New(cur, WithMaxBody(1<<10))
	if err != nil {
		t.Fatal(err)
	}
	h := rc.Handler(func(w http.ResponseWriter, r *http.Request, ev Event) { w.WriteHeader(http.StatusAccepted) })
	now := time.Now()
	tests := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"ok", signed(t, []string{cur}, "w", now, []byte(event)), http.StatusAccepted},
		{"get", httptest.NewRequest(http.MethodGet, "/", nil), http.StatusMethodNotAllowed},
		{"bad signature", signed(t, []string{secret(t)}, "w", now, []byte(event)), http.StatusUnauthorized},
		{"unsigned", httptest.NewRequest(http.MethodPost, "/", nil), http.StatusUnauthorized},
		{"too large", signed(t, []string{cur}, "w", now, bytes.Repeat([]byte("x"), 2<<10)), http.StatusRequestEntityTooLarge},
		{"not an event", signed(t, []string{cur}, "w", now, []byte(`[1,2]`)), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d", w.Code, tt.want)
			}
		})
	}
}

// TestEndToEndWithDeliver: what deliver.Client sends, the Handler opens.
func TestEndToEndWithDeliver(t *testing.T) {
	cur, prev := secret(t), secret(t)
	key, _ := envelope.NewKey()
	rc, err := New(prev, WithEncryptionKey(key))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu  sync.Mutex
		got []Event
	)
	srv := httptest.NewServer(rc.Handler(func(w http.ResponseWriter, r *http.Request, ev Event) {
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer srv.Close()
	c := deliver.NewClient(deliver.Options{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	res := c.Send(context.Background(), deliver.Request{
		URL: srv.URL, WebhookID: "sub1_0123", Body: []byte(event), Secrets: []string{cur, prev}, EncryptionKey: key,
	})
	if res.Outcome != deliver.Delivered {
		t.Fatalf("send: %v %d %v %q", res.Outcome, res.Status, res.Err, res.Excerpt)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d events", len(got))
	}
	ev := got[0]
	if ev.ID != "evt_1" || ev.Type != "transaction.sale.success" || ev.Scope != "acquirers/100/merchants/2000" ||
		!ev.OccurredAt.Equal(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)) || string(ev.Data) != `{"amount":1250}` || ev.WebhookID != "sub1_0123" {
		t.Fatalf("event %+v", ev)
	}
}
