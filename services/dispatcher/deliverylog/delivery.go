package deliverylog

import (
	"strings"
	"time"
	"unicode/utf8"
)

// State of a delivery.
type State string

const (
	Pending   State = "PENDING"   // waiting for its first attempt or a retry
	Held      State = "HELD"      // its task is parked: the subscription is paused or suspended (HoldReason)
	Delivered State = "DELIVERED" // a 2xx answer was received
	Failed    State = "FAILED"    // every attempt of the schedule failed
	Discarded State = "DISCARDED" // given up early (subscription gone, 410 …)
)

// Valid reports whether s is one of the five states.
func (s State) Valid() bool {
	switch s {
	case Pending, Held, Delivered, Failed, Discarded:
		return true
	}
	return false
}

// Attempt triggers, the same words as the delivery task's.
const (
	TriggerScheduled = "scheduled"
	TriggerRedeliver = "redeliver"
	TriggerReplay    = "replay"
)

// Bounds that keep one record small (a KV value, rewritten on every attempt).
const (
	MaxExcerpt  = 4 << 10 // bytes of response body kept per attempt
	MaxError    = 1 << 10 // bytes of error text kept per attempt
	MaxAttempts = 50      // newest attempts kept per delivery
)

// Delivery is one (event, subscription) pair and what happened to it.
type Delivery struct {
	ID             string `json:"id"`
	EventID        string `json:"event_id"`
	EventType      string `json:"event_type"`
	SubscriptionID string `json:"subscription_id"`
	Scope          string `json:"scope"` // the event's scope
	// SubscriptionScope is the subscription's scope when the delivery was
	// written ("" for the root). It decides who sees the delivery once the
	// subscription is deleted. Every record has it: one without is
	// malformed.
	SubscriptionScope string `json:"subscription_scope"`
	EventSeq          uint64 `json:"event_seq"`
	State             State  `json:"state"`
	// HoldReason says why a HELD delivery waits; empty in other states.
	HoldReason    HoldReason `json:"hold_reason,omitempty"`
	Attempts      []Attempt  `json:"attempts,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	NextAttemptAt time.Time  `json:"next_attempt_at,omitzero"`
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	Number    int           `json:"n"`
	StartedAt time.Time     `json:"at"`
	Status    int           `json:"status,omitempty"` // 0: no HTTP answer
	Latency   time.Duration `json:"latency"`
	Error     string        `json:"error,omitempty"`
	Excerpt   string        `json:"excerpt,omitempty"`
	URL       string        `json:"url,omitempty"`
	Trigger   string        `json:"trigger,omitempty"`
}

// trimmed bounds the free-text fields and makes them valid UTF-8 (protobuf
// strings must be), cutting on a rune boundary; the start time is kept to
// the microsecond, as PostgreSQL keeps it.
func (a Attempt) trimmed() Attempt {
	a.StartedAt = stamp(a.StartedAt)
	a.Excerpt = clip(a.Excerpt, MaxExcerpt)
	a.Error = clip(a.Error, MaxError)
	a.URL = strings.ReplaceAll(a.URL, "\x00", "")
	return a
}

func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD") // PostgreSQL text holds no NUL
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// appendAttempt adds a as the next attempt (numbered after the last one) and
// drops the oldest beyond MaxAttempts.
func (d *Delivery) appendAttempt(a Attempt) {
	a.Number = 1
	if n := len(d.Attempts); n > 0 {
		a.Number = d.Attempts[n-1].Number + 1
	}
	d.Attempts = append(d.Attempts, a)
	if over := len(d.Attempts) - MaxAttempts; over > 0 {
		d.Attempts = append(d.Attempts[:0:0], d.Attempts[over:]...)
	}
}
