package deliveryapi

import (
	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// Input bounds.
const (
	maxEventIDLen = 128 // as ingest accepts
	maxSubIDLen   = 128
)

func validateDeliveryID(id string) error {
	if id == "" {
		return badrequest.Field("delivery_id", "is required")
	}
	if _, _, err := deliverylog.ParseID(id); err != nil {
		return badrequest.Field("delivery_id", "%s", err.Error())
	}
	return nil
}

// checkSubscriptionID adds a violation for an id that cannot name a
// subscription (it must be one KV key token).
func checkSubscriptionID(v *badrequest.Violations, id string) {
	if len(id) > maxSubIDLen {
		v.Add("subscription_id", "longer than %d characters", maxSubIDLen)
		return
	}
	if _, _, err := deliverylog.ParseID(deliverylog.ID(id, "", "")); err != nil {
		v.Add("subscription_id", "%q is not a subscription id: letters, digits, '-', '_' and '=' only", id)
	}
}

func listFilter(req *hookwirev1.ListDeliveriesRequest) (deliverylog.Filter, error) {
	var v badrequest.Violations
	f := deliverylog.Filter{SubscriptionID: req.GetSubscriptionId(), EventID: req.GetEventId()}
	if f.SubscriptionID != "" {
		checkSubscriptionID(&v, f.SubscriptionID)
	}
	if len(f.EventID) > maxEventIDLen {
		v.Add("event_id", "longer than %d characters", maxEventIDLen)
	}
	if st := req.GetState(); st != hookwirev1.DeliveryState_DELIVERY_STATE_UNSPECIFIED {
		state, ok := deliverylog.StateFromProto(st)
		if !ok {
			v.Add("state", "unknown delivery state %d", st)
		}
		f.State = state
	}
	if c := req.GetStatusClass(); c != hookwirev1.HttpStatusClass_HTTP_STATUS_CLASS_UNSPECIFIED {
		class, ok := deliverylog.StatusClassFromProto(c)
		if !ok {
			v.Add("status_class", "unknown HTTP status class %d", c)
		}
		f.Status = class
	}
	if t := req.GetStartTime(); t != nil {
		f.Since = t.AsTime()
	}
	if t := req.GetEndTime(); t != nil {
		f.Until = t.AsTime()
	}
	if req.GetStartTime() != nil && req.GetEndTime() != nil && !f.Until.After(f.Since) {
		v.Add("end_time", "must be after start_time")
	}
	if n := req.GetPageSize(); n < 0 || n > deliverylog.MaxPageSize {
		v.Add("page_size", "must be 1 to %d (0 means %d)", deliverylog.MaxPageSize, deliverylog.DefaultPageSize)
	}
	return f, v.Err()
}
