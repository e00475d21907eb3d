package deliverylog

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"time"

	"github.com/hookwire/hookwire/pkg/scope"
)

// check reports a filter no store can answer.
func (f Filter) check() error {
	if f.Status != "" {
		if _, _, ok := f.Status.statusRange(); !ok {
			return fmt.Errorf("%w: status class %q", ErrBadFilter, f.Status)
		}
	}
	if f.State != "" && !f.State.Valid() {
		return fmt.Errorf("%w: state %q", ErrBadFilter, f.State)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return fmt.Errorf("%w: the time window ends before it starts", ErrBadFilter)
	}
	return nil
}

// Matches reports whether d is selected by f.
func (f Filter) Matches(d Delivery) bool {
	switch {
	case f.SubscriptionID != "" && d.SubscriptionID != f.SubscriptionID,
		f.EventID != "" && d.EventID != f.EventID,
		f.State != "" && d.State != f.State,
		f.Status != "" && ClassOf(d.LastStatus()) != f.Status,
		!scope.Within(d.SubscriptionScope, f.Scope),
		!f.Since.IsZero() && d.CreatedAt.Before(f.Since),
		!f.Until.IsZero() && !d.CreatedAt.Before(f.Until):
		return false
	}
	return true
}

// fingerprint identifies the filter in a page token, so that a token
// cannot be used with another query.
func (f Filter) fingerprint() []byte {
	s := f.SubscriptionID + "\x00" + f.EventID + "\x00" + string(f.State) + "\x00" + string(f.Status) + "\x00" + f.Scope +
		"\x00" + unixMicro(f.Since) + "\x00" + unixMicro(f.Until)
	sum := sha256.Sum256([]byte(s))
	return sum[:8]
}

func unixMicro(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}
