package task

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
)

// A message carrying three tasks is acked once, after the last outcome.
func TestSettlementAcksOnceAllAreDone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	cons, msg := fetchOne(t, ctx, js)
	s := NewSettlement(msg, 3)
	for i, o := range []Outcome{{Verdict: Done}, {Verdict: SetAside}} {
		if settled, err := s.Settle(o); settled || err != nil {
			t.Fatalf("outcome %d settled the message early (%v)", i+1, err)
		}
	}
	if n := pending(t, ctx, cons); n != 1 {
		t.Fatalf("ack pending %d with a task unsettled, want 1", n)
	}
	if settled, err := s.Settle(Outcome{Verdict: Done}); !settled || err != nil {
		t.Fatalf("the last outcome did not settle the message: %v", err)
	}
	if settled, _ := s.Settle(Outcome{Verdict: RetryLater}); settled {
		t.Fatal("an outcome beyond the message's tasks settled it again")
	}
	testkit.Eventually(t, 5*time.Second, func() bool { return pending(t, ctx, cons) == 0 }, "message not acked")
}

// One task that needs the message again naks all of it with the longest
// delay asked for; Leave alone naks without delay.
func TestSettlementNaksWithTheLongestDelay(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	cons, msg := fetchOne(t, ctx, js)
	s := NewSettlement(msg, 3)
	_, _ = s.Settle(Outcome{Verdict: Leave})
	_, _ = s.Settle(Outcome{Verdict: RetryLater, Delay: 300 * time.Millisecond})
	_, _ = s.Settle(Outcome{Verdict: Done})
	start := time.Now()
	again := next(t, cons)
	if md, err := again.Metadata(); err != nil || md.NumDelivered != 2 {
		t.Fatalf("redelivery metadata %+v, %v; want the second delivery", md, err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Fatalf("redelivered after %s, want the 300ms delay", waited)
	}
	s = NewSettlement(again, 1)
	_, _ = s.Settle(Outcome{Verdict: Leave})
	if third := next(t, cons); third == nil {
		t.Fatal("a task left alone was not redelivered")
	}
}

// Setting a task aside twice, and releasing the same member twice, keep
// one identity: the same member bytes, the same released MsgID. A retry
// is made of the delivery, trigger and step only.
func TestOneIdentityPerTask(t *testing.T) {
	base := Task{DeliveryID: "s_e", SubscriptionID: "s", EventID: "e", EventSeq: 3, Trigger: Scheduled, TP: tp}
	redelivered := base
	redelivered.Rerun = true // its fan-out ran again
	a, errA := base.SetAside().Encode()
	b, errB := redelivered.SetAside().SetAside().Encode()
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Fatalf("two copies set aside encode differently (%v, %v)", errA, errB)
	}
	if !base.SetAside().Rerun {
		t.Fatal("a first attempt set aside is not a Rerun: its release would skip the log check")
	}
	m, err := Decode(a)
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := m.Released(), m.Released()
	if r1.MsgID() != r2.MsgID() || r1.MsgID() == base.MsgID() || !r1.Later() {
		t.Fatalf("released MsgIDs %q, %q (original %q): want one new id on the retry lane", r1.MsgID(), r2.MsgID(), base.MsgID())
	}
	if again := r1.SetAside().Released(); again.MsgID() == r1.MsgID() {
		t.Fatal("a task released, set aside and released again reuses its MsgID: the duplicate window would drop it")
	}
	if x, y := r1.Next(), base.Next(); x.MsgID() != y.MsgID() || x.Rerun != y.Rerun || x.Parked != y.Parked {
		t.Fatalf("retries of two copies differ: %+v vs %+v", x, y)
	}
}
