package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/bus"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// FuzzValidateEvent: validation never panics, and an event it accepts is
// one every receiver can read: the delivered envelope decodes with
// encoding/json, is valid UTF-8, nests at most the limit plus one, and the
// content hash of its data is that of its compact form.
func FuzzValidateEvent(f *testing.F) {
	for _, seed := range []struct {
		id, typ, scope, data string
		secs                 int64
	}{
		{"evt-1", "transaction.sale.success", "acquirers/100", `{"amount": 1250, "currency": "EUR"}`, 1_790_000_000},
		{"order-0fdd5b", "ach.returned", "acquirers/10/merchants/2", `{"a":{"b":[1,{"c":"\u00e9"}]}}`, 1_790_000_000},
		{"x", "transaction.sale.success", "", strings.Repeat(`{"a":`, 64) + "{}" + strings.Repeat("}", 64), 0},
		{"y", "Bad.Type", "a//b", "{\"s\":\"caf\xe9\"}", -62135596800},
		{"z z", "transaction.sale.success", "acquirers/1", `{"s":"\"}{"}`, 946684799},
	} {
		f.Add(seed.id, seed.typ, seed.scope, []byte(seed.data), seed.secs)
	}
	const maxDepth = 8
	c := validator{known: func(string) bool { return true }, maxBytes: 4096, maxDepth: maxDepth}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, id, typ, scope string, data []byte, secs int64) {
		ev := &hookwirev1.Event{EventId: id, EventType: typ, Scope: scope, OccurredAt: &timestamppb.Timestamp{Seconds: secs},
			Payload: &hookwirev1.Event_DataJson{DataJson: data}}
		var v badrequest.Violations
		out, content := c.check(ev, now, &v)
		if !v.Empty() {
			return
		}
		if len(content) != len(contentFields)*fieldHashBytes {
			t.Fatalf("content of %d bytes", len(content))
		}
		if out.OccurredAt.Before(EarliestOccurredAt) {
			t.Fatalf("occurred_at %v accepted", out.OccurredAt)
		}
		m, err := bus.Message(out)
		if err != nil {
			t.Fatalf("accepted event does not encode: %v", err)
		}
		var body any
		if err := json.Unmarshal(m.Data, &body); err != nil {
			t.Fatalf("envelope %q does not decode: %v", m.Data, err)
		}
		if depth, _ := scanJSON(m.Data); depth > maxDepth+1 {
			t.Fatalf("envelope nests %d deep", depth)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, data); err != nil {
			t.Fatal(err)
		}
		if _, sum := scanJSON(data); sum != sha256.Sum256(compact.Bytes()) {
			t.Fatalf("content hash of %q is not that of its compact form", data)
		}
	})
}
