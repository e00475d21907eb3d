package deliverylog

import (
	"encoding/json"
	"strconv"
	"time"
)

// encode is json.Marshal(d), byte for byte, without reflection: a record
// is written on every attempt, and encoding/json was a tenth of the
// dispatcher's CPU at full speed. TestEncodeMatchesJSON keeps it equal.
func encode(d Delivery) ([]byte, error) {
	return appendRecord(make([]byte, 0, 512+len(d.Attempts)*256), d)
}

// appendRecord appends encode(d) to b.
func appendRecord(b []byte, d Delivery) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendString(b, d.ID)
	b = append(b, `,"event_id":`...)
	b = appendString(b, d.EventID)
	b = append(b, `,"event_type":`...)
	b = appendString(b, d.EventType)
	b = append(b, `,"subscription_id":`...)
	b = appendString(b, d.SubscriptionID)
	b = append(b, `,"scope":`...)
	b = appendString(b, d.Scope)
	b = append(b, `,"subscription_scope":`...)
	b = appendString(b, d.SubscriptionScope)
	b = append(b, `,"event_seq":`...)
	b = strconv.AppendUint(b, d.EventSeq, 10)
	b = append(b, `,"state":`...)
	b = appendString(b, string(d.State))
	if d.HoldReason != "" {
		b = append(b, `,"hold_reason":`...)
		b = appendString(b, string(d.HoldReason))
	}
	if len(d.Attempts) > 0 {
		b = append(b, `,"attempts":[`...)
		for i, a := range d.Attempts {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendAttempt(b, a); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	var err error
	b = append(b, `,"created_at":`...)
	if b, err = appendTime(b, d.CreatedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"updated_at":`...)
	if b, err = appendTime(b, d.UpdatedAt); err != nil {
		return nil, err
	}
	if !d.NextAttemptAt.IsZero() {
		b = append(b, `,"next_attempt_at":`...)
		if b, err = appendTime(b, d.NextAttemptAt); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendAttempt(b []byte, a Attempt) ([]byte, error) {
	b = append(b, `{"n":`...)
	b = strconv.AppendInt(b, int64(a.Number), 10)
	b = append(b, `,"at":`...)
	b, err := appendTime(b, a.StartedAt)
	if err != nil {
		return nil, err
	}
	if a.Status != 0 {
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(a.Status), 10)
	}
	b = append(b, `,"latency":`...)
	b = strconv.AppendInt(b, int64(a.Latency), 10)
	for _, f := range [...]struct{ name, v string }{
		{`,"error":`, a.Error}, {`,"excerpt":`, a.Excerpt}, {`,"url":`, a.URL}, {`,"trigger":`, a.Trigger},
	} {
		if f.v != "" {
			b = append(b, f.name...)
			b = appendString(b, f.v)
		}
	}
	return append(b, '}'), nil
}

// appendTime is time.Time's MarshalJSON (RFC 3339 with nanoseconds; an
// error for a year outside 0-9999).
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b, err := t.AppendText(append(b, '"'))
	if err != nil {
		return nil, err
	}
	return append(b, '"'), nil
}

// appendString quotes s as encoding/json does: plain printable ASCII as
// is, anything else (escapes, HTML characters, non-ASCII) through
// encoding/json itself. FuzzAppendString keeps it equal.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
