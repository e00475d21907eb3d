package bus

import (
	"encoding/json"
	"maps"
	"testing"
	"time"
)

func TestMessageRoundTrip(t *testing.T) {
	ev := Event{
		ID: "evt-1", Type: "transaction.sale.success", Scope: "acquirers/100/merchants/2000",
		OccurredAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		Attributes: map[string]string{"payment_method": "CARD", "odd key": "a&b=c"},
		Data:       json.RawMessage(`{"amount":"5.00"}`),
	}
	m, err := Message(ev)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "hookwire.events.transaction.sale.success" {
		t.Fatalf("subject = %q", m.Subject)
	}
	want := `{"id":"evt-1","type":"transaction.sale.success","scope":"acquirers/100/merchants/2000","occurred_at":"2026-11-23T10:00:00Z","data":{"amount":"5.00"}}`
	if string(m.Data) != want {
		t.Fatalf("body = %s\nwant  %s", m.Data, want)
	}
	meta, err := ReadMeta(m.Header)
	if err != nil {
		t.Fatal(err)
	}
	if meta.ID != ev.ID || meta.Type != ev.Type || meta.Scope != ev.Scope || !maps.Equal(meta.Attributes, ev.Attributes) {
		t.Fatalf("meta = %+v", meta)
	}
	m.Header.Del(HeaderEventType)
	if _, err := ReadMeta(m.Header); err == nil {
		t.Fatal("ReadMeta accepted a message without a type")
	}
}

// TestIdentityHoldsTheScope: the same event_id at two scopes is two events
// everywhere a key is derived from it; the encoding cannot be shifted
// between scope and id.
func TestIdentityHoldsTheScope(t *testing.T) {
	a := Event{ID: "order-0fdd5b", Type: "ach.returned", Scope: "acquirers/10", OccurredAt: time.Unix(0, 0), Data: json.RawMessage(`{}`)}
	b := a
	b.Scope = "acquirers/100"
	ma, err := Message(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := Message(b)
	if err != nil {
		t.Fatal(err)
	}
	if ma.Header.Get(HeaderMsgID) == mb.Header.Get(HeaderMsgID) {
		t.Fatalf("both scopes got Nats-Msg-Id %q", ma.Header.Get(HeaderMsgID))
	}
	if got := ma.Header.Get(HeaderEventID); got != a.ID {
		t.Fatalf("%s = %q, want %q", HeaderEventID, got, a.ID)
	}
	if Identity("acquirers/1", "0x") == Identity("acquirers/10", "x") || Identity("a", "b") == Identity("a/b", "") {
		t.Fatal("identity is ambiguous between scope and event_id")
	}
	if got, want := MsgID("acquirers/10", "order-0fdd5b"), MsgID("acquirers/10", "order-0fdd5b"); got != want || len(got) != 64 {
		t.Fatalf("MsgID = %q", got)
	}
}
