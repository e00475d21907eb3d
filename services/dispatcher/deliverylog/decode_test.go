package deliverylog

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func sampleRecords() []Delivery {
	at := time.Date(2026, 11, 23, 18, 0, 0, 123456789, time.UTC)
	scope := "acquirers/1"
	return []Delivery{
		{},
		{ID: "sub_abc", EventID: "evt-1", EventType: "ach.returned", SubscriptionID: "sub", Scope: "acquirers/1/merchants/2",
			EventSeq: 1<<64 - 1, State: Pending, CreatedAt: at, UpdatedAt: at},
		{ID: "s_k", EventID: "e \"quoted\" ü \xff", SubscriptionID: "s", SubscriptionScope: &scope, EventSeq: 1, State: Failed,
			CreatedAt: at, UpdatedAt: at.Add(time.Second), NextAttemptAt: at.Add(time.Minute),
			Attempts: []Attempt{
				{Number: 1, StartedAt: at, Status: 500, Latency: 1500 * time.Microsecond, Excerpt: `{"error":"boom"}`, URL: "https://x.test/h?a=1&b=<2>", Trigger: "scheduled"},
				{Number: 2, StartedAt: at.In(time.FixedZone("X", 3600)), Latency: -1, Error: "dial tcp: refused\n\ttab \u2028", Trigger: "replay"},
			}},
	}
}

// TestDecodeReadsWhatEncodeWrites: records written by encode (and by
// json.Marshal, which writes the same) take the hand-written path and read
// back as json.Unmarshal reads them.
func TestDecodeReadsWhatEncodeWrites(t *testing.T) {
	for i, d := range sampleRecords() {
		b, err := encode(d)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := decodeRecord(b)
		if !ok {
			t.Fatalf("record %d: not read by decodeRecord: %s", i, b)
		}
		var want Delivery
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("record %d:\ndecodeRecord  %+v\njson.Unmarshal %+v", i, got, want)
		}
	}
}

// FuzzDecode: whatever decodeRecord accepts, json.Unmarshal reads the same.
func FuzzDecode(f *testing.F) {
	for _, d := range sampleRecords() {
		b, _ := encode(d)
		f.Add(b)
	}
	f.Add([]byte(`{"id":"a","id":"b"}`))
	f.Add([]byte(`{"attempts":[{"n":1,"status":2}],"attempts":[{"n":3}]}`))
	f.Add([]byte(`{"ID":"x","event_seq":-0,"subscription_scope":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := decodeRecord(b)
		if !ok {
			return
		}
		var want Delivery
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("decodeRecord accepted %q, json.Unmarshal: %v", b, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\ndecodeRecord  %+v\njson.Unmarshal %+v", b, got, want)
		}
	})
}

// FuzzUnquote: an escaped string body reads as encoding/json reads it.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`a\"b`, `\u00e9\ud83d\ude00`, `\ud800x`, `\ud800\u0041`, "\xff\\n", `\'`, `\u12`, `\/\b\f\r\t`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		got, ok := unquote(s)
		if !ok {
			return
		}
		var want string
		if err := json.Unmarshal([]byte(`"`+string(s)+`"`), &want); err != nil {
			t.Fatalf("unquote accepted %q, json.Unmarshal: %v", s, err)
		}
		if got != want {
			t.Fatalf("unquote(%q) = %q, json.Unmarshal: %q", s, got, want)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	d := sampleRecords()[2]
	for range 3 {
		d.Attempts = append(d.Attempts, d.Attempts...) // 16 attempts
	}
	rec, _ := encode(d)
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			_, _ = decode(rec)
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			var d Delivery
			_ = json.Unmarshal(rec, &d)
		}
	})
}
