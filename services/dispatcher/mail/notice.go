package mail

import (
	"strconv"
	"strings"
	"time"
)

// Kind is what a notice tells.
type Kind string

// Notice kinds.
const (
	Suspended Kind = "suspended" // the subscription was SUSPENDED by the dispatcher
	Recovered Kind = "recovered" // it is ACTIVE again after a suspension
)

// Notice is one e-mail to a subscription's notification addresses, as
// recorded in the outbox (package notice) before it is sent: everything
// but Held is fixed when it is recorded, so every attempt sends the same
// facts under the same Message-ID.
type Notice struct {
	Kind           Kind      `json:"kind"`
	SubscriptionID string    `json:"subscription_id"`
	Revision       uint64    `json:"revision"` // KV revision of the status change
	Label          string    `json:"label,omitempty"`
	URL            string    `json:"url"`                  // redacted (deliver.RedactURL)
	URLHidden      bool      `json:"url_hidden,omitempty"` // userinfo, query or fragment removed
	To             []string  `json:"to"`
	Support        string    `json:"support,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	At             time.Time `json:"at"`                     // when the status changed
	Failed         int64     `json:"failed,omitempty"`       // deliveries in a row that ended FAILED
	FailingSince   time.Time `json:"failing_since,omitzero"` // when the first of them ended FAILED
	RetrySpan      Duration  `json:"retry_span,omitempty"`   // a delivery's first attempt to its last
	SuspendedAt    time.Time `json:"suspended_at,omitzero"`  // Recovered: when it was suspended
	// Follows is the ID of the notice this one must not overtake (a
	// recovery follows its suspension).
	Follows string `json:"follows,omitempty"`

	// Held is how many deliveries are parked for the subscription, counted
	// when the message is composed (not stored).
	Held int64 `json:"-"`
}

// Duration is a time.Duration stored as a Go duration string.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// ID names the notice in the outbox: kind, subscription and the revision
// of its status change, so each suspension has its own.
func (n Notice) ID() string {
	return string(n.Kind) + ":" + n.SubscriptionID + ":" + strconv.FormatUint(n.Revision, 10)
}

// Name is how the e-mail calls the webhook: its label, else its id.
func (n Notice) Name() string {
	if n.Label != "" {
		return n.Label
	}
	return n.SubscriptionID
}

// MessageID is the Message-ID of notice id sent from the address from:
// stable, so a repeat after a lost acknowledgement is recognisable.
func MessageID(id, from string) string {
	domain := "hookwire.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i+1 < len(from) {
		domain = atext(strings.Trim(from[i+1:], "<> "))
	}
	return "<hookwire." + atext(id) + "@" + domain + ">"
}

// atext keeps the characters a dot-atom may hold and writes any other byte
// as =XX, so the result is one unambiguous msg-id part.
func atext(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("!#$%&'*+-/?^_`{|}~.", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteString("=" + strconv.FormatUint(uint64(c)>>4, 16) + strconv.FormatUint(uint64(c)&15, 16))
		}
	}
	return strings.ReplaceAll(b.String(), "..", ".=2e")
}
