package deliverylog

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

var stateToProto = map[State]hookwirev1.DeliveryState{
	Pending:   hookwirev1.DeliveryState_DELIVERY_STATE_PENDING,
	Held:      hookwirev1.DeliveryState_DELIVERY_STATE_HELD,
	Delivered: hookwirev1.DeliveryState_DELIVERY_STATE_DELIVERED,
	Failed:    hookwirev1.DeliveryState_DELIVERY_STATE_FAILED,
	Discarded: hookwirev1.DeliveryState_DELIVERY_STATE_DISCARDED,
}

var triggerToProto = map[string]hookwirev1.AttemptTrigger{
	TriggerScheduled: hookwirev1.AttemptTrigger_ATTEMPT_TRIGGER_SCHEDULED,
	TriggerRedeliver: hookwirev1.AttemptTrigger_ATTEMPT_TRIGGER_REDELIVER,
	TriggerReplay:    hookwirev1.AttemptTrigger_ATTEMPT_TRIGGER_REPLAY,
}

var holdToProto = map[HoldReason]hookwirev1.HoldReason{
	HoldPaused:    hookwirev1.HoldReason_HOLD_REASON_PAUSED,
	HoldSuspended: hookwirev1.HoldReason_HOLD_REASON_SUSPENDED,
}

var classFromProto = map[hookwirev1.HttpStatusClass]StatusClass{
	hookwirev1.HttpStatusClass_HTTP_STATUS_CLASS_2XX:  Status2xx,
	hookwirev1.HttpStatusClass_HTTP_STATUS_CLASS_3XX:  Status3xx,
	hookwirev1.HttpStatusClass_HTTP_STATUS_CLASS_4XX:  Status4xx,
	hookwirev1.HttpStatusClass_HTTP_STATUS_CLASS_5XX:  Status5xx,
	hookwirev1.HttpStatusClass_HTTP_STATUS_CLASS_NONE: StatusNone,
}

// StatusClassFromProto maps the API enum; ok is false for UNSPECIFIED and
// unknown values.
func StatusClassFromProto(p hookwirev1.HttpStatusClass) (StatusClass, bool) {
	c, ok := classFromProto[p]
	return c, ok
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
		HoldReason:      holdToProto[d.HoldReason],
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
