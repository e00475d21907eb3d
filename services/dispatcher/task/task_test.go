package task

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookwire/hookwire/pkg/testkit"
)

func TestMsgIDDistinguishesStepTriggerRun(t *testing.T) {
	base := Task{DeliveryID: "sub1_abc", SubscriptionID: "sub1", EventID: "e1", EventSeq: 7, Trigger: Scheduled}
	tests := []struct {
		name string
		t    Task
		want string
	}{
		{"first attempt", base, "sub1_abc.scheduled.0"},
		{"retry", base.Next(), "sub1_abc.scheduled.1"},
		{"released from parking", Task{DeliveryID: "sub1_abc", Trigger: Scheduled, Step: 2, Parked: 1700}, "sub1_abc.scheduled.2.p1700"},
		{"redeliver", Task{DeliveryID: "sub1_abc", Trigger: Redeliver, Run: "r9"}, "sub1_abc.redeliverr9.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.t.MsgID(); got != tt.want {
				t.Fatalf("MsgID = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEnqueueIsIdempotent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	q, err := OpenQueue(ctx, js, QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	a := Task{DeliveryID: "s1_k", SubscriptionID: "s1", EventID: "e", EventSeq: 1, Trigger: Scheduled}
	b := Task{DeliveryID: "s2_k", SubscriptionID: "s2", EventID: "e", EventSeq: 1, Trigger: Scheduled}
	if err := q.Enqueue(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := q.EnqueueAll(ctx, []Task{a, b, a.Next()}); err != nil {
		t.Fatal(err)
	}
	info, err := q.Stream().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 {
		t.Fatalf("stream holds %d tasks, want 3 (a, b, a.Next)", info.State.Msgs)
	}
	m, err := q.Stream().GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Decode(m.Data); err != nil || got != a {
		t.Fatalf("stored task = %+v, %v; want %+v", got, err, a)
	}
}

// TestEnqueueFailsWhenNeverAcknowledged: a publish JetStream never answers
// (here a plain subscriber takes the subject and stays silent) makes both
// Enqueue and EnqueueAll return an error after the ack timeout, even under
// a context without deadline, instead of waiting for ever.
func TestEnqueueFailsWhenNeverAcknowledged(t *testing.T) {
	ctx := context.Background()
	n := testkit.StartNATS(t)
	nc, js := n.Connect(t)
	q, err := OpenQueue(ctx, js, QueueConfig{AckTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(ctx, Stream); err != nil {
		t.Fatal(err)
	}
	sub, err := nc.SubscribeSync(SubjectPrefix + ">") // a black hole
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	mk := func(sub string) Task {
		return Task{DeliveryID: sub + "_k", SubscriptionID: sub, EventID: "e", EventSeq: 1, Trigger: Scheduled}
	}
	tests := []struct {
		name    string
		enqueue func() error
	}{
		{"one", func() error { return q.Enqueue(ctx, mk("a")) }},
		{"many", func() error { return q.EnqueueAll(ctx, []Task{mk("a"), mk("b"), mk("c")}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- tt.enqueue() }()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("enqueue without acknowledgement succeeded")
				}
			case <-time.After(10 * time.Second):
				t.Fatal("enqueue still waiting for an acknowledgement after 10s")
			}
		})
	}
}

// A task's trace context travels in the message's traceparent header, not
// in its body, and DecodeMsg puts it back into TP (for the retry schedule
// and parking, which keep the task without headers).
func TestTraceContextTravelsInTheHeader(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	q, err := OpenQueue(ctx, js, QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	in := Task{DeliveryID: "s1_k", SubscriptionID: "s1", EventID: "e", EventSeq: 1, Step: 1, Trigger: Scheduled, TP: tp}
	if err := q.EnqueueAll(ctx, []Task{in, {DeliveryID: "s2_k", SubscriptionID: "s2", EventID: "e", EventSeq: 1, Trigger: Scheduled}}); err != nil {
		t.Fatal(err)
	}
	m, err := q.Stream().GetLastMsgForSubject(ctx, RetrySubjectPrefix+"s1")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Values("traceparent"); len(got) != 1 || got[0] != tp {
		t.Fatalf("traceparent header = %v, want %s", got, tp)
	}
	if strings.Contains(string(m.Data), tp) {
		t.Fatalf("body %s carries the trace context", m.Data)
	}
	out, err := DecodeMsg(m.Data, m.Header)
	if err != nil || out != in {
		t.Fatalf("DecodeMsg = %+v, %v; want %+v", out, err, in)
	}
	if sc := trace.SpanContextFromContext(out.TraceContext(ctx)); sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("TraceContext trace id = %s", sc.TraceID())
	}
	plain, err := q.Stream().GetLastMsgForSubject(ctx, SubjectPrefix+"s2")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plain.Header["traceparent"]; ok {
		t.Fatalf("a task without trace context got a traceparent: %v", plain.Header)
	}
}
