package deliverylog

import (
	"errors"
	"testing"
)

func TestIDRoundTrip(t *testing.T) {
	for _, tc := range []struct{ sub, event string }{
		{"sub1", "evt-1"},
		{"sub_with_underscores", "a long event id with spaces / and dots..."},
		{"01J9Z", ""},
	} {
		id := ID(tc.sub, tc.event)
		sub, key, err := ParseID(id)
		if err != nil {
			t.Fatalf("ParseID(%q): %v", id, err)
		}
		if sub != tc.sub || key != EventKey(tc.event) || len(key) != EventKeyLen {
			t.Errorf("ParseID(%q) = %q, %q; want %q, %q", id, sub, key, tc.sub, EventKey(tc.event))
		}
	}
}

// TestIDIsStable: ids are stored and sent as webhook-id; they must never change.
func TestIDIsStable(t *testing.T) {
	if got, want := ID("sub1", "evt-1"), "sub1_7b409f932d2c88e97f0c1767"; got != want { // sha256("evt-1")[:12] in hex
		t.Fatalf("ID = %q, want %q", got, want)
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
