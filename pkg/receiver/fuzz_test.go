package receiver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/envelope"
	"github.com/hookwire/hookwire/pkg/signing"
)

// FuzzHandler: a subscriber's endpoint under hostile requests. The handler
// never panics and answers 401, 400 or 413, or calls the application with
// the event, which it does only for a body whose signature verifies
// (checked with signing.Verify on its own) and that decodes as an event;
// every body Hookwire signs (and seals, with encryption on) reaches the
// application as sent.
func FuzzHandler(f *testing.F) {
	f.Add([]byte(event), "sub_1_evt_1", "1795000000", "", false)
	f.Add([]byte(event), "sub_1_evt_1", "1795000000", "v1,AAAA", true)
	f.Add([]byte(`{"id":1}`), "m", "1795000000", "v1,AAAA v1,", false)
	f.Add([]byte(`{"data":`+string(bytes.Repeat([]byte("["), 1000))+`}`), "m", "1795000000", "", false)
	f.Add([]byte("\xff"), "", "x", "v2,abc", true)
	f.Fuzz(func(t *testing.T, body []byte, id, unix, sigHeader string, encrypted bool) {
		const sec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		now := time.Unix(1795000000, 0)
		key := bytes.Repeat([]byte{7}, envelope.KeySize)
		opts := []Option{WithClock(func() time.Time { return now }), WithMaxBody(1 << 16)}
		if encrypted {
			opts = append(opts, WithEncryptionKey(key))
		}
		rc, err := New(sec, opts...)
		if err != nil {
			t.Fatal(err)
		}
		var got []Event
		h := rc.Handler(func(w http.ResponseWriter, r *http.Request, ev Event) { got = append(got, ev) })
		serve := func(body []byte, hdr http.Header) int {
			got = nil
			r := httptest.NewRequest(http.MethodPost, "/hooks", bytes.NewReader(body))
			r.Header = hdr
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w.Code
		}

		hostile := http.Header{}
		hostile.Set(signing.HeaderID, id)
		hostile.Set(signing.HeaderTimestamp, unix)
		hostile.Set(signing.HeaderSignature, sigHeader)
		switch code := serve(body, hostile.Clone()); code {
		case http.StatusOK:
			if len(got) != 1 || signing.Verify([]string{sec}, hostile, body, now, 0) != nil {
				t.Fatalf("application called %d times for a body that does not verify", len(got))
			}
		case http.StatusUnauthorized, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if len(got) != 0 {
				t.Fatalf("answered %d but called the application", code)
			}
		default:
			t.Fatalf("answered %d", code)
		}

		// The same body as Hookwire sends it.
		if id == "" || !json.Valid(body) {
			return
		}
		var want Event
		if json.Unmarshal(body, &want) != nil {
			return
		}
		sent := body
		if encrypted {
			if sent, err = envelope.Seal(key, body); err != nil {
				t.Fatal(err)
			}
		}
		sig, err := signing.Sign([]string{sec}, id, now, sent)
		if err != nil {
			t.Fatal(err)
		}
		hdr := http.Header{}
		hdr.Set(signing.HeaderID, id)
		hdr.Set(signing.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		hdr.Set(signing.HeaderSignature, sig)
		if code := serve(sent, hdr); len(sent) <= 1<<16 && (code != http.StatusOK || len(got) != 1 || got[0].ID != want.ID || got[0].WebhookID != hdr.Get(signing.HeaderID)) {
			t.Fatalf("signed event answered %d, application got %+v, want id %q", code, got, want.ID)
		}
	})
}
