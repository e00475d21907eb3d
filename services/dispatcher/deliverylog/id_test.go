package deliverylog

import (
	"errors"
	"testing"
)

func TestIDRoundTrip(t *testing.T) {
	for _, tc := range []struct{ sub, scope, event string }{
		{"sub1", "acquirers/1", "evt-1"},
		{"sub_with_underscores", "acquirers/1/merchants/2", "a long event id with spaces / and dots..."},
		{"01J9Z", "", ""},
	} {
		id := ID(tc.sub, tc.scope, tc.event)
		sub, key, err := ParseID(id)
		if err != nil {
			t.Fatalf("ParseID(%q): %v", id, err)
		}
		if sub != tc.sub || key != EventKey(tc.scope, tc.event) || len(key) != EventKeyLen {
			t.Errorf("ParseID(%q) = %q, %q; want %q, %q", id, sub, key, tc.sub, EventKey(tc.scope, tc.event))
		}
	}
}

// TestIDIsStable: ids are stored and sent as webhook-id; they must never change.
func TestIDIsStable(t *testing.T) {
	if got, want := ID("sub1", "acquirers/1", "evt-1"), "sub1_dec0ea79908e8e737f953387"; got != want { // sha256("acquirers/1\x00evt-1")[:12] in hex
		t.Fatalf("ID = %q, want %q", got, want)
	}
}

// TestIDHoldsTheScope: two tenants' events with the same event_id are two
// deliveries, and the NUL separator keeps scope and id from sliding into
// each other.
func TestIDHoldsTheScope(t *testing.T) {
	if ID("sub1", "acquirers/10", "order-0fdd5b") == ID("sub1", "acquirers/100", "order-0fdd5b") {
		t.Fatal("the same event_id at two scopes has one delivery id")
	}
	if EventKey("acquirers/1", "0x") == EventKey("acquirers/10", "x") {
		t.Fatal("event key is ambiguous between scope and event_id")
	}
}

func TestParseIDRejects(t *testing.T) {
	for _, id := range []string{
		"",
		"nounderscore",
		"_0123456789abcdef01234567",
		"sub_0123456789abcdef0123456",   // 23
		"sub_0123456789abcdef012345678", // 25
		"sub_0123456789ABCDEF01234567",  // upper case
		"s.b_0123456789abcdef01234567",  // dot would split the KV key
		"s*b_0123456789abcdef01234567",
	} {
		if _, _, err := ParseID(id); !errors.Is(err, ErrBadID) {
			t.Errorf("ParseID(%q) err = %v, want ErrBadID", id, err)
		}
	}
}
