package task

import (
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

// legacyV1 is the version 1 form as earlier versions wrote it.
func legacyV1(t Task) []byte {
	b := []byte{wireV1}
	for _, s := range [...]string{t.DeliveryID, t.SubscriptionID, t.EventID, string(t.Trigger), t.Run, t.TP} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, t.EventSeq)
	b = binary.AppendVarint(b, int64(t.Step))
	b = binary.AppendVarint(b, t.Parked)
	if t.Rerun {
		return append(b, 1)
	}
	return append(b, 0)
}

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
		{"usual delivery id and trace", Task{DeliveryID: deliverylog.ID("sub_01KAZ3J5R1Y9T2W8M4N6P0Q7XC", "evt-42"),
			SubscriptionID: "sub_01KAZ3J5R1Y9T2W8M4N6P0Q7XC", EventID: "evt-42", EventSeq: 99, Step: 2, Trigger: Scheduled, TP: tp}},
		{"traceparent kept as text", Task{DeliveryID: deliverylog.ID("s", "e"), SubscriptionID: "s", EventID: "e", EventSeq: 1,
			Trigger: Scheduled, TP: "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01"}},
		{"future traceparent version", Task{DeliveryID: deliverylog.ID("s", "e"), SubscriptionID: "s", EventID: "e", EventSeq: 1,
			Trigger: Scheduled, TP: "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"}},
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
			// The JSON form earlier versions wrote (it may wait in Redis) still reads the same.
			j, err := json.Marshal(tt.t)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := Decode(j); err != nil || got != tt.t {
				t.Fatalf("Decode(JSON) = %+v, %v; want %+v", got, err, tt.t)
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
			// The version 1 form earlier versions wrote still reads the same.
			if got, err := Decode(legacyV1(tt.t)); err != nil || got != tt.t {
				t.Fatalf("Decode(v1) = %+v, %v; want %+v", got, err, tt.t)
			}
		})
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
}

func TestWireFormV2RejectsUnknownCodes(t *testing.T) {
	b, err := Task{DeliveryID: deliverylog.ID("s", "e"), SubscriptionID: "s", EventID: "e", EventSeq: 1, Trigger: Replay}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	flags := append([]byte(nil), b...)
	flags[1] |= 0x80
	if _, err := Decode(flags); err == nil {
		t.Error("Decode accepted an unknown flag")
	}
	trig := append([]byte(nil), b...)
	trig[2+2+2] = byte(len(triggers)) // version, flags, "s", "e", then the trigger code
	if _, err := Decode(trig); err == nil {
		t.Error("Decode accepted an unknown trigger code")
	}
	if _, err := (Task{SubscriptionID: "s", EventID: "e", EventSeq: 1, Trigger: "x"}).Encode(); err == nil {
		t.Error("Encode accepted an unknown trigger")
	}
}

// A retry waiting in Redis is one wire form: the usual task takes little
// more than half its version 1 size.
func TestWireFormV2Size(t *testing.T) {
	sub := "sub_01KAZ3J5R1Y9T2W8M4N6P0Q7XC"
	tk := Task{DeliveryID: deliverylog.ID(sub, "3f2b6c1e-8d4a-4e7b-9c2f-5a1d0e9b7c44"), SubscriptionID: sub,
		EventID: "3f2b6c1e-8d4a-4e7b-9c2f-5a1d0e9b7c44", EventSeq: 1_234_567, Step: 1, Trigger: Scheduled, TP: tp}
	b, err := tk.Encode()
	if err != nil {
		t.Fatal(err)
	}
	v1 := legacyV1(tk)
	t.Logf("version 2: %d bytes, version 1: %d bytes", len(b), len(v1))
	if 100*len(b) > 55*len(v1) {
		t.Fatalf("version 2 form is %d bytes (version 1: %d)", len(b), len(v1))
	}
}

func BenchmarkCodec(b *testing.B) {
	sub := "sub_01KAZ3J5R1Y9T2W8M4N6P0Q7XC"
	tk := Task{DeliveryID: deliverylog.ID(sub, "evt-000123"), SubscriptionID: sub, EventID: "evt-000123", EventSeq: 123456, Trigger: Scheduled, TP: tp}
	enc, _ := tk.Encode()
	js, _ := json.Marshal(tk)
	b.Run("binary", func(b *testing.B) {
		for b.Loop() {
			e, _ := tk.Encode()
			_, _ = Decode(e)
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			e, _ := json.Marshal(tk)
			_, _ = Decode(e)
		}
	})
	b.Logf("binary %d bytes, JSON %d bytes", len(enc), len(js))
}
