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
	// Parked counts the task's releases from Redis (held at its in-flight
	// cap, or parked for a paused or suspended subscription): each release
	// makes its MsgID new, so the queue's duplicate window does not swallow
	// it (see Released). Versions before it was a counter wrote the time
	// set aside (unix ms) here; counting on from that works the same.
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

// SetAside is t about to be held or parked in Redis, where its member is
// its encoding: nothing in it says when or how often it was set aside, so
// two copies of one task (a redelivered or re-run message's) are one
// member. A first attempt becomes a Rerun, whoever set it aside: a copy of
// it may be attempted, held or parked already, and the worker checks the
// delivery log after its release.
func (t Task) SetAside() Task {
	if t.Trigger == Scheduled && t.Step == 0 {
		t.Rerun = true
	}
	return t
}

// Released is t put back on the queue from Redis. Its MsgID is new (the
// queue's duplicate window would take it for a repeat of the message it
// was set aside from) and the same for every release of one member (a
// crash between publishing and removing it publishes it once more, which
// the window drops).
func (t Task) Released() Task {
	t.Parked++
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

// Next is the task of the following retry step. Only the delivery, the
// trigger and the step make it: two copies of one attempt (a redelivered
// message's, a released one's) schedule the same retry, one chain per
// delivery.
func (t Task) Next() Task {
	t.Step++
	t.Parked, t.Rerun = 0, false
	return t
}
