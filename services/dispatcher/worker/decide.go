package worker

import (
	"time"

	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Action is what happens to a task after its attempt.
type Action int

const (
	// Done: the delivery reached a final state for this task; ack.
	Done Action = iota + 1
	// Retry: schedule Decision.Next at Decision.At, then ack.
	Retry
	// Park: suspend the subscription and park the task until it is resumed.
	Park
)

// Decision is the outcome of one attempt for its task.
type Decision struct {
	Action Action
	State  deliverylog.State // recorded with the attempt
	At     time.Time         // with Retry: when the next attempt is due
	Next   task.Task         // with Retry: the next step's task
	Reason string            // with Park: why the subscription is suspended
}

// GoneReason is the status reason of a subscription suspended by a 410.
const GoneReason = "endpoint answered 410 Gone"

// Decide is the one place that maps an attempt's outcome to what happens
// next: ack, retry later, give up, or park.
//
//   - Delivered: DELIVERED.
//   - Retryable: retry after delays[Step] (+ jitter) while steps remain,
//     else FAILED. A Redeliver task is one attempt, never retried.
//   - Throttled: retry after the subscriber's Retry-After; it counts as an
//     attempt, so with no step left it is FAILED too.
//   - Gone: suspend the subscription and park the task (PENDING): it runs
//     again, at the same step, after Resume.
//   - Refused (SSRF guard, https-only, bad URL): FAILED; retrying cannot help.
//
// jitter returns the extra wait added to a scheduled delay.
func Decide(res deliver.Result, t task.Task, delays []time.Duration, now time.Time, jitter func(time.Duration) time.Duration) Decision {
	retryAfter := func(wait time.Duration) Decision {
		if t.Trigger == task.Redeliver || t.Step >= len(delays) {
			return Decision{Action: Done, State: deliverylog.Failed}
		}
		return Decision{Action: Retry, State: deliverylog.Pending, At: now.Add(wait), Next: t.Next()}
	}
	switch res.Outcome {
	case deliver.Delivered:
		return Decision{Action: Done, State: deliverylog.Delivered}
	case deliver.Throttled:
		if res.RetryAfter > 0 {
			return retryAfter(res.RetryAfter)
		}
		fallthrough
	case deliver.Retryable:
		if t.Step >= len(delays) {
			return retryAfter(0)
		}
		d := delays[t.Step]
		if jitter != nil {
			d += jitter(d)
		}
		return retryAfter(d)
	case deliver.Gone:
		return Decision{Action: Park, State: deliverylog.Pending, Reason: GoneReason}
	default: // Refused, and anything unclassified
		return Decision{Action: Done, State: deliverylog.Failed}
	}
}
