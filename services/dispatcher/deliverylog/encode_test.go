package deliverylog

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// TestEncodeMatchesJSON: the hand-written encoder writes exactly what
// encoding/json writes, so stored records do not depend on which wrote them.
func TestEncodeMatchesJSON(t *testing.T) {
	at := time.Date(2026, 11, 23, 18, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name string
		d    Delivery
	}{
		{name: "zero", d: Delivery{}},
		{name: "pending", d: Delivery{ID: "sub_abc", EventID: "evt-1", EventType: "ach.returned", SubscriptionID: "sub",
			Scope: "acquirers/1/merchants/2", EventSeq: 42, State: Pending, CreatedAt: at, UpdatedAt: at}},
		{name: "attempts", d: Delivery{ID: "s_k", EventID: "e", SubscriptionID: "s", SubscriptionScope: "acquirers/1", EventSeq: 1,
			State: Failed, CreatedAt: at, UpdatedAt: at.Add(time.Second), NextAttemptAt: at.Add(time.Minute),
			Attempts: []Attempt{
				{Number: 1, StartedAt: at, Status: 500, Latency: 1500 * time.Microsecond, Excerpt: `{"error":"boom"}`, URL: "https://x.test/h?a=1&b=<2>", Trigger: "scheduled"},
				{Number: 2, StartedAt: at.In(time.FixedZone("X", 3600)), Error: "dial tcp: connection refused\n\ttab", Trigger: "replay"},
				{Number: 3, StartedAt: at, Status: 200, Excerpt: "ünïcödé \u2028 line sep \x7f del \\ back"},
			}}},
		{name: "root subscription scope", d: Delivery{ID: "a", State: Delivered}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.d)
			if err != nil {
				t.Fatal(err)
			}
			got, err := encode(tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encode:\n%s\njson.Marshal:\n%s", got, want)
			}
		})
	}
	if _, err := encode(Delivery{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("encode accepted a year beyond 9999, as json.Marshal does not")
	}
}

// FuzzAppendString: strings are quoted exactly as encoding/json quotes
// them. The seeds hold every ASCII byte, invalid UTF-8 and U+2028/9.
func FuzzAppendString(f *testing.F) {
	var ascii []byte
	for c := range 0x80 {
		ascii = append(ascii, byte(c))
	}
	for _, s := range []string{"", "plain", string(ascii), "\xff\xfe", "a\xc3", "ünï \u2028 \u2029 \U0001F600", `Post "http://x/?a=1&b=<2>": EOF`, "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	at := time.Now()
	d := Delivery{ID: "sub_0123456789abcdef01234567", EventID: "evt-123", EventType: "ach.returned", SubscriptionID: "sub",
		Scope: "acquirers/1", EventSeq: 42, State: Delivered, CreatedAt: at, UpdatedAt: at,
		Attempts: []Attempt{{Number: 1, StartedAt: at, Status: 200, Latency: time.Millisecond, URL: "http://127.0.0.1:9000/s", Trigger: "scheduled"}}}
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			_, _ = encode(d)
		}
	})
	quoted := d // a JSON response and a Go error, as most failed attempts have
	quoted.Attempts = []Attempt{{Number: 1, StartedAt: at, Status: 500, Latency: time.Millisecond, URL: "http://127.0.0.1:9000/s",
		Excerpt: `{"error":"internal","retry":true}`, Error: `Post "http://127.0.0.1:9000/s": context deadline exceeded`, Trigger: "scheduled"}}
	b.Run("encode-quoted", func(b *testing.B) {
		for b.Loop() {
			_, _ = encode(quoted)
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(d)
		}
	})
}

// TestDecodeNeedsSubscriptionScope: every record names its subscription's
// scope ("" for the root); one without it is malformed, not read as root.
func TestDecodeNeedsSubscriptionScope(t *testing.T) {
	at := time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)
	for _, scope := range []string{"acquirers/1", ""} {
		d := Delivery{ID: "s_k", SubscriptionID: "s", SubscriptionScope: scope, State: Pending, CreatedAt: at, UpdatedAt: at}
		b, err := encode(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decode(b)
		if err != nil || got.SubscriptionScope != scope || got.ID != d.ID || !got.CreatedAt.Equal(at) {
			t.Fatalf("decode(encode(scope %q)) = %+v, %v", scope, got, err)
		}
	}
	if _, err := decode([]byte(`{"id":"s_k","subscription_id":"s","scope":"acquirers/1","state":"PENDING"}`)); !errors.Is(err, errNoSubscriptionScope) {
		t.Fatalf("decode of a record without subscription_scope: %v, want errNoSubscriptionScope", err)
	}
}
