package deliverylog

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

var stateToProto = map[State]hookwirev1.DeliveryState{
	Pending:   hookwirev1.DeliveryState_DELIVERY_STATE_PENDING,
	Delivered: hookwirev1.DeliveryState_DELIVERY_STATE_DELIVERED,
	Failed:    hookwirev1.DeliveryState_DELIVERY_STATE_FAILED,
	Discarded: hookwirev1.DeliveryState_DELIVERY_STATE_DISCARDED,
}

var triggerToProto = map[string]hookwirev1.AttemptTrigger{
	TriggerScheduled: hookwirev1.AttemptTrigger_ATTEMPT_TRIGGER_SCHEDULED,
	TriggerRedeliver: hookwirev1.AttemptTrigger_ATTEMPT_TRIGGER_REDELIVER,
	TriggerReplay:    hookwirev1.AttemptTrigger_ATTEMPT_TRIGGER_REPLAY,
}

// Proto is the state's API form (UNSPECIFIED for an unknown state).
func (s State) Proto() hookwirev1.DeliveryState { return stateToProto[s] }

// StateFromProto maps the API enum back; ok is false for UNSPECIFIED and
// unknown values.
func StateFromProto(p hookwirev1.DeliveryState) (s State, ok bool) {
	for k, v := range stateToProto {
		if v == p {
			return k, true
		}
	}
	return "", false
}

// Proto is the delivery's API form, attempts included.
func (d Delivery) Proto() *hookwirev1.Delivery {
	out := &hookwirev1.Delivery{
		Id:              d.ID,
		EventId:         d.EventID,
		EventType:       d.EventType,
		SubscriptionId:  d.SubscriptionID,
		Scope:           d.Scope,
		State:           d.State.Proto(),
		CreateTime:      timestamp(d.CreatedAt),
		UpdateTime:      timestamp(d.UpdatedAt),
		NextAttemptTime: timestamp(d.NextAttemptAt),
		EventSequence:   d.EventSeq,
		Attempts:        make([]*hookwirev1.Attempt, len(d.Attempts)),
	}
	for i, a := range d.Attempts {
		out.Attempts[i] = a.Proto()
	}
	return out
}

// Proto is the attempt's API form.
func (a Attempt) Proto() *hookwirev1.Attempt {
	return &hookwirev1.Attempt{
		Number:          int32(a.Number),
		StartTime:       timestamp(a.StartedAt),
		HttpStatus:      int32(a.Status),
		Latency:         durationpb.New(a.Latency),
		Error:           a.Error,
		ResponseExcerpt: a.Excerpt,
		Trigger:         triggerToProto[a.Trigger],
		Url:             a.URL,
	}
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
