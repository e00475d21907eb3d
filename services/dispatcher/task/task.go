// Package task is the durable unit of delivery work: one attempt (or retry
// step) of one (event, subscription) pair, queued on the JetStream stream
// DELIVERIES. Fan-out, the retry scheduler, Redeliver and Replay all enqueue
// Tasks; the delivery workers consume them.
package task

import "strconv"

// Trigger says why a task exists.
type Trigger string

const (
	// Scheduled: fan-out of a new event, and the retries of its schedule.
	Scheduled Trigger = "scheduled"
	// Redeliver: one operator-requested attempt; never retried.
	Redeliver Trigger = "redeliver"
	// Replay: an event re-sent for recovery; retried on the schedule.
	Replay Trigger = "replay"
)

// Task is one delivery attempt to make. Its wire form (Encode) is compact
// because a million of them may wait in the retry schedule.
type Task struct {
	// DeliveryID is deliverylog.ID(SubscriptionID, scope, EventID), the
	// scope being the event's (an event is (scope, event_id): two tenants'
	// events of one event_id are two deliveries); it is also the webhook-id
	// header, identical on every attempt and redelivery.
	DeliveryID     string
	SubscriptionID string
	EventID        string
	EventSeq       uint64 // sequence of the event in EVENTS
	Step           int    // 0 = first attempt; k = k-th retry
	Trigger        Trigger
	Run            string // unique per Redeliver/Replay request
	// Parked is when (unix ms) the task was last set aside: parked for a
	// paused or suspended subscription, held at its in-flight cap, or
	// waiting for its rate limit. It makes the released task's MsgID new, so
	// the queue's duplicate window does not swallow it (see SetAside).
	Parked int64
	// Rerun marks a first attempt that may have been made already: its
	// fan-out ran again (the EVENTS message was redelivered, or is older
	// than the queue's duplicate window), so the queue may not have
	// recognised it as a duplicate. The worker looks the delivery up in the
	// log before sending it (worker: attempted).
	Rerun bool
	// TP is the W3C traceparent the task's attempts are children of (the
	// fan-out's span, or the Redeliver/Replay call's), so that every
	// attempt of a delivery, retries included, joins the event's trace. It
	// is kept in Redis; on the queue it travels as the message's
	// traceparent header instead (Queue, DecodeMsg).
	TP string
}

// SetAside stamps t as set aside at nowMs (unix ms). The stamp only grows,
// even on a clock that stands still, so every release has a new MsgID.
func (t Task) SetAside(nowMs int64) Task {
	t.Parked = max(nowMs, t.Parked+1)
	return t
}

// SetAsideAgain is t about to be held or parked; redelivered: its message
// was delivered before. A first attempt then becomes a Rerun, since a copy
// of it may be held, parked or attempted already, and the worker must check
// the delivery log after its release.
func (t Task) SetAsideAgain(redelivered bool) Task {
	if redelivered && t.Trigger == Scheduled && t.Step == 0 {
		t.Rerun = true
	}
	return t
}

// Later reports whether t belongs on the retry lane: a retry step, a
// replay, or a task that was set aside. Only first attempts of fresh events
// (and operator redeliveries) use the first-attempt lane, so a flood of
// retries never queues ahead of them.
func (t Task) Later() bool {
	return t.Step > 0 || t.Trigger == Replay || t.Parked != 0
}

// MsgID is the Nats-Msg-Id that makes enqueueing idempotent: the same task
// published twice inside the DELIVERIES duplicate window is stored once.
func (t Task) MsgID() string {
	id := t.DeliveryID + "." + string(t.Trigger) + t.Run + "." + strconv.Itoa(t.Step)
	if t.Parked != 0 {
		id += ".p" + strconv.FormatInt(t.Parked, 10)
	}
	return id
}

// Next is the task of the following retry step.
func (t Task) Next() Task {
	t.Step++
	return t
}
