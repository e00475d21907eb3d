package lane

import (
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// noRedelivery fails if JetStream hands a message of class c to another
// puller within wait: nothing the lanes own may look abandoned.
func (r *rig) noRedelivery(c Class, wait time.Duration) {
	r.t.Helper()
	if ms := r.fetch(c, 1, wait); len(ms) > 0 {
		md, _ := ms[0].Metadata()
		r.t.Fatalf("message %s redelivered (delivery %d) while its lane owned it", ms[0].Subject(), md.NumDelivered)
	}
}

// Every message the lanes own is kept alive, wherever it waits: in flight
// at a slow subscriber, queued behind it, and in a router's Submit blocked
// for a worker. The old lanes touched only queued tasks, so JetStream
// redelivered the in-flight one (and the blocked router's) after AckWait
// while the first copy still ran: the same attempt twice at once.
func TestUnsettledMessagesAreKeptAliveWhereverTheyWait(t *testing.T) {
	r := newRig(t, time.Second)
	r.index.add("slow", 1, nil)
	r.index.add("other", 1, nil)
	l, _ := r.lanes(Options{Workers: [2]int{1, 1}})
	inFlight, queued, blocked := tsk("slow", 1), tsk("slow", 2), tsk("other", 3)
	r.run.block(inFlight.DeliveryID)
	r.enqueue(inFlight, queued, blocked)
	r.submit(l, First, 2)
	r.waitStarted(inFlight.DeliveryID)
	routed := make(chan struct{})
	ms := r.fetch(First, 1, 5*time.Second)
	go func() { defer close(routed); l.Submit(r.ctx, First, ms[0]) }() // blocks: the only worker is busy
	testkit.Eventually(t, 5*time.Second, func() bool { return l.Stats().Unsettled == 3 }, "three messages owned")

	r.noRedelivery(First, 4*r.ackWait)
	r.run.unblock(inFlight.DeliveryID)
	<-routed
	testkit.Eventually(t, 10*time.Second, func() bool { return r.info(First).NumAckPending == 0 }, "all settled")
	for _, tk := range []task.Task{inFlight, queued, blocked} {
		if n := r.run.count(tk.DeliveryID); n != 1 {
			t.Errorf("%s attempted %d times, want 1", tk.DeliveryID, n)
		}
	}
	if ci := r.info(First); ci.NumRedelivered != 0 {
		t.Errorf("%d messages redelivered", ci.NumRedelivered)
	}
}

// On stop, tasks that have not started go back to JetStream at once (not
// after AckWait), while the attempt in flight finishes and is settled.
func TestStopHandsBackUnstartedAndFinishesInFlight(t *testing.T) {
	r := newRig(t, time.Minute)
	r.index.add("s", 1, nil)
	l, stop := r.lanes(Options{})
	a, b, c := tsk("s", 1), tsk("s", 2), tsk("s", 3)
	r.run.block(a.DeliveryID)
	r.enqueue(a, b, c)
	r.submit(l, First, 3)
	r.waitStarted(a.DeliveryID)
	stopped := make(chan struct{})
	go func() { defer close(stopped); stop() }()

	back := r.fetch(First, 2, 10*time.Second) // far sooner than the minute of AckWait
	if len(back) != 2 {
		t.Fatalf("%d of the 2 queued tasks handed back", len(back))
	}
	for _, m := range back {
		if md, _ := m.Metadata(); md.NumDelivered != 2 {
			t.Errorf("handed-back message delivered %d times, want 2", md.NumDelivered)
		}
		_ = m.Ack()
	}
	select {
	case <-stopped:
		t.Fatal("Run returned with an attempt in flight")
	default:
	}
	r.run.unblock(a.DeliveryID)
	<-stopped
	testkit.Eventually(t, 5*time.Second, func() bool { return r.info(First).NumAckPending == 0 }, "the finished attempt acked")
	if r.run.count(b.DeliveryID)+r.run.count(c.DeliveryID) != 0 {
		t.Error("a queued task was attempted after the stop")
	}
}

// An attempt still in flight when the grace is over is cancelled and its
// message handed back at once.
func TestStopCancelsAttemptsPastTheGrace(t *testing.T) {
	r := newRig(t, time.Minute)
	r.index.add("s", 1, nil)
	l, stop := r.lanes(Options{Grace: 200 * time.Millisecond})
	a := tsk("s", 1)
	r.run.block(a.DeliveryID) // never unblocked: only the cancelled context ends it
	r.enqueue(a)
	r.submit(l, First, 1)
	r.waitStarted(a.DeliveryID)
	stop()
	back := r.fetch(First, 1, 10*time.Second)
	if len(back) != 1 {
		t.Fatal("the cancelled attempt's message was not handed back")
	}
	_ = back[0].Ack()
}

// A lane at its cap queues what it can and holds the rest in Redis (their
// messages acked); as it drains, it takes the held tasks back through the
// Later consumer, and every task runs once.
func TestHoldAndRefill(t *testing.T) {
	r := newRig(t, 10*time.Second)
	r.index.add("s", 1, nil)
	l, _ := r.lanes(Options{Workers: [2]int{4, 4}, MaxWaiting: 8, MaxUnsettled: [2]int{100, 100}})
	r.feed(l, Later)
	var ts []task.Task
	for i := range 20 {
		ts = append(ts, tsk("s", i+1))
	}
	r.run.block(ts[0].DeliveryID)
	r.enqueue(ts...)
	r.submit(l, First, len(ts))
	r.waitStarted(ts[0].DeliveryID)
	// 1 in flight, 8 queued (the waiting budget), 11 held with their
	// messages acked.
	testkit.Eventually(t, 10*time.Second, func() bool {
		held, err := r.held.Count(r.ctx, "s")
		return err == nil && held == 11 && r.info(First).NumAckPending == 9
	}, "11 tasks held and acked, 9 unsettled")
	r.run.unblock(ts[0].DeliveryID)
	testkit.Eventually(t, 20*time.Second, func() bool {
		for _, tk := range ts {
			if r.run.count(tk.DeliveryID) == 0 {
				return false
			}
		}
		return true
	}, "every task attempted")
	for _, tk := range ts {
		if n := r.run.count(tk.DeliveryID); n != 1 {
			t.Errorf("%s attempted %d times", tk.DeliveryID, n)
		}
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		n, _ := r.held.Count(r.ctx, "s")
		return n == 0 && r.info(Later).NumAckPending == 0 && r.info(First).NumAckPending == 0
	}, "nothing left held or unsettled")
}

// Held tasks of a lane that is idle here (held by another replica, or
// before a restart) are found by the sweep.
func TestSweepFindsTasksHeldElsewhere(t *testing.T) {
	r := newRig(t, 10*time.Second)
	r.index.add("s", 2, nil)
	ts := []task.Task{tsk("s", 1).SetAside(), tsk("s", 2).SetAside()}
	if err := r.held.ParkAll(r.ctx, ts); err != nil {
		t.Fatal(err)
	}
	l, _ := r.lanes(Options{Sweep: 50 * time.Millisecond})
	r.feed(l, Later)
	testkit.Eventually(t, 10*time.Second, func() bool {
		return r.run.count(ts[0].DeliveryID) == 1 && r.run.count(ts[1].DeliveryID) == 1
	}, "held tasks attempted")
}

// A rate-limited lane pauses instead of attempting: attempts follow the
// GCRA's spacing, and none is repeated.
func TestRateLimitPausesTheLane(t *testing.T) {
	r := newRig(t, 10*time.Second)
	r.index.add("s", 5, &subscription.RateLimit{PerSecond: 10, Burst: 1})
	l, _ := r.lanes(Options{})
	var ts []task.Task
	for i := range 6 {
		ts = append(ts, tsk("s", i+1))
	}
	r.enqueue(ts...)
	r.submit(l, First, len(ts))
	testkit.Eventually(t, 10*time.Second, func() bool { return r.info(First).NumAckPending == 0 }, "all settled")
	r.run.mu.Lock()
	times := r.run.times["s"]
	r.run.mu.Unlock()
	if len(times) != len(ts) {
		t.Fatalf("%d attempts for %d tasks", len(times), len(ts))
	}
	if span := times[len(times)-1].Sub(times[0]); span < 400*time.Millisecond {
		t.Errorf("6 attempts at 10/s (burst 1) took %s, want about 500ms", span)
	}
}

// The tasks of a shared message weigh one message together in the waiting
// budget, and the message is settled once, after all of them.
func TestSharedMessageWeighsOneAndSettlesAfterAll(t *testing.T) {
	r := newRig(t, time.Minute)
	r.index.add("s", 1, nil)
	l, _ := r.lanes(Options{})
	a := tsk("s", 1)
	r.run.block(a.DeliveryID)
	r.enqueue(a)
	r.submit(l, First, 1)
	r.waitStarted(a.DeliveryID)
	r.enqueueShared(tsk("s", 2), tsk("s", 3), tsk("s", 4))
	r.submit(l, First, 1)
	l.mu.Lock()
	units, waiting := l.units, l.waiting
	l.mu.Unlock()
	if units != unit || waiting != 3 {
		t.Fatalf("3 queued tasks of one message weigh %d/%d, want one message (%d)", units, waiting, unit)
	}
	if n := r.info(First).NumAckPending; n != 2 {
		t.Fatalf("%d messages unsettled, want 2", n)
	}
	r.run.unblock(a.DeliveryID)
	testkit.Eventually(t, 10*time.Second, func() bool { return r.info(First).NumAckPending == 0 }, "both settled")
	if ci := r.info(First); ci.NumRedelivered != 0 || ci.Delivered.Consumer != 2 {
		t.Fatalf("consumer state %+v: want 2 deliveries, none again", ci.Delivered)
	}
}

// A process owns at most MaxUnsettled messages of a class: Submit waits
// for one to settle (its router pulls nothing meanwhile).
func TestSubmitWaitsAtTheUnsettledBound(t *testing.T) {
	r := newRig(t, time.Minute)
	for _, s := range []string{"a", "b", "c"} {
		r.index.add(s, 1, nil)
	}
	l, _ := r.lanes(Options{MaxUnsettled: [2]int{2, 2}})
	ta, tb, tc := tsk("a", 1), tsk("b", 2), tsk("c", 3)
	r.run.block(ta.DeliveryID)
	r.run.block(tb.DeliveryID)
	r.enqueue(ta, tb, tc)
	ms := r.fetch(First, 3, 5*time.Second)
	l.Submit(r.ctx, First, ms[0])
	l.Submit(r.ctx, First, ms[1])
	submitted := make(chan struct{})
	go func() { defer close(submitted); l.Submit(r.ctx, First, ms[2]) }()
	testkit.Eventually(t, 5*time.Second, func() bool {
		l.liveMu.Lock()
		defer l.liveMu.Unlock()
		return l.room[First] != nil
	}, "the third Submit to wait for room")
	if r.run.count(tc.DeliveryID) != 0 {
		t.Fatal("a third message started over the bound")
	}
	r.run.unblock(ta.DeliveryID)
	<-submitted
	r.waitStarted(tc.DeliveryID)
	r.run.unblock(tb.DeliveryID)
	testkit.Eventually(t, 10*time.Second, func() bool { return r.info(First).NumAckPending == 0 }, "all settled")
}
