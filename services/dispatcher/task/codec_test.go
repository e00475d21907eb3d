package task

import (
	"encoding/json"
	"testing"
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

func BenchmarkCodec(b *testing.B) {
	tk := Task{DeliveryID: "sub_0123456789abcdef01234567", SubscriptionID: "sub", EventID: "evt-000123", EventSeq: 123456, Trigger: Scheduled}
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
