package cli

import (
	"io"
	"strconv"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// deliveryTable prints one line per delivery.
func deliveryTable(w io.Writer, ds []*hookwirev1.Delivery) {
	row(w, "ID", "STATE", "EVENT TYPE", "EVENT ID", "ATTEMPTS", "LAST STATUS", "UPDATED")
	for _, d := range ds {
		last := "-"
		if n := len(d.GetAttempts()); n > 0 {
			last = attemptResult(d.GetAttempts()[n-1])
		}
		row(w, d.GetId(), deliveryState(d.GetState()), d.GetEventType(), d.GetEventId(),
			strconv.Itoa(len(d.GetAttempts())), last, fmtTime(d.GetUpdateTime()))
	}
}

// deliveryDetail prints one delivery, then a table of its attempts.
func deliveryDetail(w io.Writer, d *hookwirev1.Delivery) {
	row(w, "ID", d.GetId())
	row(w, "STATE", deliveryState(d.GetState()))
	row(w, "SUBSCRIPTION", orDash(d.GetSubscriptionId()))
	row(w, "EVENT", d.GetEventId()+" ("+d.GetEventType()+")")
	row(w, "SCOPE", orDash(d.GetScope()))
	row(w, "EVENT SEQUENCE", strconv.FormatUint(d.GetEventSequence(), 10))
	row(w, "CREATED", fmtTime(d.GetCreateTime()))
	row(w, "UPDATED", fmtTime(d.GetUpdateTime()))
	row(w, "NEXT ATTEMPT", fmtTime(d.GetNextAttemptTime()))
	row(w)
	row(w, "#", "STARTED", "TRIGGER", "RESULT", "LATENCY", "URL", "RESPONSE")
	for _, at := range d.GetAttempts() {
		row(w, strconv.Itoa(int(at.GetNumber())), fmtTime(at.GetStartTime()),
			enumName(at.GetTrigger().String(), "ATTEMPT_TRIGGER_"), attemptResult(at),
			fmtDuration(at.GetLatency()), at.GetUrl(), orDash(truncate(oneLine(at.GetResponseExcerpt()), 60)))
	}
}

func deliveryState(s hookwirev1.DeliveryState) string {
	return enumName(s.String(), "DELIVERY_STATE_")
}

// attemptResult is the HTTP status, or the error when there was no answer.
func attemptResult(at *hookwirev1.Attempt) string {
	if at.GetHttpStatus() != 0 {
		return strconv.Itoa(int(at.GetHttpStatus()))
	}
	return orDash(truncate(at.GetError(), 60))
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
