package task

import (
	"encoding/hex"
	"testing"

	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

const (
	tp    = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	scope = "acquirers/100/merchants/2000"
)

func TestWireFormRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		t    Task
	}{
		{"first attempt", Task{DeliveryID: "sub1_abc", SubscriptionID: "sub1", EventID: "e1", EventSeq: 7, Trigger: Scheduled}},
		{"every field", Task{DeliveryID: "s_k", SubscriptionID: "s", EventID: "évt|\x00,\"}", EventSeq: 1 << 40, Step: 9,
			Trigger: Replay, Run: "r-1", Parked: 1_700_000_000_123, Rerun: true,
			TP: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
		{"redeliver", Task{DeliveryID: "s_k", SubscriptionID: "s", EventID: "e", EventSeq: 3, Trigger: Redeliver, Run: "op"}},
		{"usual delivery id and trace", Task{DeliveryID: deliverylog.ID("sub_01KAZ3J5R1Y9T2W8M4N6P0Q7XC", scope, "evt-42"),
			SubscriptionID: "sub_01KAZ3J5R1Y9T2W8M4N6P0Q7XC", EventID: "evt-42", EventSeq: 99, Step: 2, Trigger: Scheduled, TP: tp}},
		{"traceparent kept as text", Task{DeliveryID: deliverylog.ID("s", scope, "e"), SubscriptionID: "s", EventID: "e", EventSeq: 1,
			Trigger: Scheduled, TP: "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01"}},
		{"future traceparent version", Task{DeliveryID: deliverylog.ID("s", scope, "e"), SubscriptionID: "s", EventID: "e", EventSeq: 1,
			Trigger: Scheduled, TP: "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"}},
		{"upper-case event key is spelled out", Task{DeliveryID: "s_0123456789ABCDEF01234567", SubscriptionID: "s", EventID: "e",
			EventSeq: 1, Trigger: Scheduled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.t.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(b)
			if err != nil || got != tt.t {
				t.Fatalf("Decode(Encode) = %+v, %v; want %+v", got, err, tt.t)
			}
			// Every truncation is an error, never a panic or a wrong task.
			for n := range len(b) {
				if _, err := Decode(b[:n]); err == nil {
					t.Fatalf("Decode accepted the first %d of %d bytes", n, len(b))
				}
			}
			if _, err := Decode(append(b, 0)); err == nil {
				t.Fatal("Decode accepted a trailing byte")
			}
		})
	}
}

// TestWireFormKeepsTheScope: two tenants' tasks for the same event_id and
// subscription id decode to their own delivery ids, though the scope itself
// is not carried.
func TestWireFormKeepsTheScope(t *testing.T) {
	var ids []string
	for _, sc := range []string{"acquirers/10", "acquirers/100"} {
		tk := Task{DeliveryID: deliverylog.ID("sub1", sc, "order-0fdd5b"), SubscriptionID: "sub1", EventID: "order-0fdd5b",
			EventSeq: 4, Trigger: Scheduled}
		b, err := tk.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil || got.DeliveryID != tk.DeliveryID {
			t.Fatalf("Decode = %+v, %v; want delivery id %s", got, err, tk.DeliveryID)
		}
		ids = append(ids, got.DeliveryID)
	}
	if ids[0] == ids[1] {
		t.Fatalf("both scopes decode to delivery id %s", ids[0])
	}
}

func TestWireFormIsChecked(t *testing.T) {
	for name, tk := range map[string]Task{
		"no sequence": {DeliveryID: "s_k", SubscriptionID: "s", EventID: "e", Trigger: Scheduled},
		"bad trigger": {DeliveryID: "s_k", SubscriptionID: "s", EventID: "e", EventSeq: 1, Trigger: "x"},
		"no delivery": {SubscriptionID: "s", EventID: "e", EventSeq: 1, Trigger: Scheduled},
	} {
		b, _ := tk.Encode()
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: Decode accepted %+v", name, tk)
		}
	}
	for name, b := range map[string][]byte{
		"empty":        nil,
		"JSON":         []byte(`{"d":"s_k","s":"s","e":"e","q":1,"t":"scheduled"}`),
		"version 1":    {0x01, 3, 's', '_', 'k', 1, 's', 1, 'e', 9, 's', 'c', 'h', 'e', 'd', 'u', 'l', 'e', 'd', 0, 0, 1, 0, 0, 0},
		"version only": {wireVersion},
	} {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: Decode accepted %q", name, b)
		}
	}
}

func TestWireFormRejectsUnknownCodes(t *testing.T) {
	b, err := Task{DeliveryID: "s_k", SubscriptionID: "s", EventID: "e", EventSeq: 1, Trigger: Replay}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	flags := append([]byte(nil), b...)
	flags[1] |= 0x80
	if _, err := Decode(flags); err == nil {
		t.Error("Decode accepted an unknown flag")
	}
	trig := append([]byte(nil), b...)
	trig[2+2+2+4] = byte(len(triggers)) // version, flags, "s", "e", "s_k", then the trigger code
	if _, err := Decode(trig); err == nil {
		t.Error("Decode accepted an unknown trigger code")
	}
	if _, err := (Task{SubscriptionID: "s", EventID: "e", EventSeq: 1, Trigger: "x"}).Encode(); err == nil {
		t.Error("Encode accepted an unknown trigger")
	}
}

// A retry waiting in Redis is one wire form: the usual task carries its
// event key as 12 bytes, not the 29-character delivery id, and its
// subscription's ULID as 16 bytes, not 30 characters.
func TestWireFormSize(t *testing.T) {
	sub := "sub_01KAZ3J5R1Y9T2W8M4N6P0Q7XC"
	ev := "3f2b6c1e-8d4a-4e7b-9c2f-5a1d0e9b7c44"
	tk := Task{DeliveryID: deliverylog.ID(sub, scope, ev), SubscriptionID: sub,
		EventID: ev, EventSeq: 1_234_567, Step: 1, Trigger: Scheduled, TP: tp}
	b, err := tk.Encode()
	if err != nil {
		t.Fatal(err)
	}
	// version, flags, sub (its ULID), event, key, trigger, run, traceparent, seq, step, parked
	want := 2 + 16 + 1 + len(ev) + 12 + 1 + 1 + 25 + 3 + 1 + 1
	if len(b) != want {
		t.Fatalf("wire form is %d bytes, want %d", len(b), want)
	}
}

func BenchmarkCodec(b *testing.B) {
	sub := "sub_01KAZ3J5R1Y9T2W8M4N6P0Q7XC"
	tk := Task{DeliveryID: deliverylog.ID(sub, scope, "evt-000123"), SubscriptionID: sub, EventID: "evt-000123", EventSeq: 123456, Trigger: Scheduled, TP: tp}
	enc, _ := tk.Encode()
	for b.Loop() {
		e, _ := tk.Encode()
		_, _ = Decode(e)
	}
	b.Logf("%d bytes", len(enc))
}

// A registry subscription id packs to its ULID's 128 bits (checked
// against a vector decoded outside this code); anything that would not
// come back as the very same text stays text.
func TestWireFormPacksRegistrySubscriptionIDs(t *testing.T) {
	if got, ok := packSubscriptionID("sub_01ARZ3NDEKTSV4RRFFQ69G5FAV"); !ok || hex.EncodeToString(got[:]) != "01563e3ab5d3d6764c61efb99302bd5b" {
		t.Fatalf("packed %x, %v", got, ok)
	}
	for _, id := range []string{"sub_01ARZ3NDEKTSV4RRFFQ69G5FAV", "sub_00000000000000000000000000", "sub_7ZZZZZZZZZZZZZZZZZZZZZZZZZ"} {
		u, ok := packSubscriptionID(id)
		if !ok || unpackSubscriptionID(u[:]) != id {
			t.Errorf("%s: packed %v, back to %q", id, ok, unpackSubscriptionID(u[:]))
		}
	}
	for _, id := range []string{
		"sub_01arz3ndektsv4rrffq69g5fav", // lower case
		"sub_81ARZ3NDEKTSV4RRFFQ69G5FAV", // over 128 bits
		"sub_01ARZ3NDEKTSV4RRFFQ69G5FAI", // I is not Crockford
		"sub_01ARZ3NDEKTSV4RRFFQ69G5FA",  // 25 characters
		"01ARZ3NDEKTSV4RRFFQ69G5FAVXXXX", // no prefix
		"sub1",
	} {
		if _, ok := packSubscriptionID(id); ok {
			t.Errorf("%s was packed", id)
		}
		tk := Task{DeliveryID: deliverylog.ID(id, scope, "e"), SubscriptionID: id, EventID: "e", EventSeq: 1, Trigger: Scheduled}
		b, err := tk.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Decode(b); err != nil || got != tk {
			t.Errorf("%s: Decode(Encode) = %+v, %v", id, got, err)
		}
	}
}
