package task

import (
	"testing"

	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// FuzzDecode: Decode never panics on bytes from Redis or NATS, and what it
// accepts encodes back to a form that decodes to the same task.
func FuzzDecode(f *testing.F) {
	for _, tk := range []Task{
		{DeliveryID: deliverylog.ID("sub_01KAZ3J5R1Y9T2W8M4N6P0Q7XC", scope, "evt-42"), SubscriptionID: "sub_01KAZ3J5R1Y9T2W8M4N6P0Q7XC",
			EventID: "evt-42", EventSeq: 99, Step: 2, Trigger: Scheduled, TP: tp},
		{DeliveryID: "s_k", SubscriptionID: "s", EventID: "e", EventSeq: 3, Trigger: Redeliver, Run: "op", Parked: 17, Rerun: true},
		{DeliveryID: "s_k", SubscriptionID: "s", EventID: "e", EventSeq: 1, Trigger: Replay, TP: "not a traceparent"},
	} {
		b, err := tk.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"d":"s_k","s":"s","e":"e","q":1,"t":"scheduled"}`))
	f.Add([]byte{wireVersion, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		tk, err := Decode(b)
		if err != nil {
			return
		}
		again, err := tk.Encode()
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", tk, err)
		}
		if got, err := Decode(again); err != nil || got != tk {
			t.Fatalf("re-encoded %+v decodes to %+v, %v", tk, got, err)
		}
	})
}
