package deliverylog

import (
	"cmp"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Failing's bounds on the number of subscriptions returned, and on its
// window: every store reads at least the window's failed attempts.
const (
	DefaultFailingLimit = 10
	MaxFailingLimit     = 1000
	MaxFailingWindow    = 24 * time.Hour
)

// FailureFilter selects the attempts Failing counts: started in
// [Since, Until), of deliveries of subscriptions at or under Scope (the
// scope each delivery recorded, as Filter.Scope), without a 2xx answer.
type FailureFilter struct {
	Scope        string
	Since, Until time.Time
	// After, when its SubscriptionID is set, continues a ranking: only the
	// subscriptions ranked after it (by Attempts, LastAt, SubscriptionID)
	// are returned.
	After Failures
}

func (f FailureFilter) check() error {
	if f.Since.IsZero() || f.Until.IsZero() || !f.Until.After(f.Since) {
		return fmt.Errorf("%w: the failure window needs a start before its end", ErrBadFilter)
	}
	if f.Until.Sub(f.Since) > MaxFailingWindow {
		return fmt.Errorf("%w: the failure window is longer than %s", ErrBadFilter, MaxFailingWindow)
	}
	return nil
}

// Ranking is what Failing returns.
type Ranking struct {
	Subscriptions []Failures
	// Truncated: the store read only part of the window's records (the
	// KV store's scan budget); the counts may be low and some
	// subscriptions missing.
	Truncated bool
}

// Failures is one subscription's failed attempts in a window.
type Failures struct {
	SubscriptionID string
	Attempts       int64     // failed attempts started in the window
	LastAt         time.Time // start of the last of them
	LastStatus     int       // its HTTP status, 0 without an answer
	LastError      string    // its Summary
}

// Failed reports whether the attempt got no 2xx answer (another status, a
// network error or a timeout).
func (a Attempt) Failed() bool { return a.Status < 200 || a.Status >= 300 }

// Summary is what the attempt got, in a few words: its error text, else
// its status ("HTTP 503 Service Unavailable").
func (a Attempt) Summary() string { return summary(a.Status, a.Error) }

func summary(status int, errText string) string {
	if errText != "" {
		return errText
	}
	return strings.TrimSpace(fmt.Sprintf("HTTP %d %s", status, http.StatusText(status)))
}

// compareFailing orders the ranking: most attempts first, then the latest
// failure, then by subscription id.
func compareFailing(a, b Failures) int {
	if c := cmp.Compare(b.Attempts, a.Attempts); c != 0 {
		return c
	}
	if c := b.LastAt.Compare(a.LastAt); c != 0 {
		return c
	}
	return strings.Compare(a.SubscriptionID, b.SubscriptionID)
}

func failingLimit(limit int) int {
	if limit <= 0 {
		return DefaultFailingLimit
	}
	return min(limit, MaxFailingLimit)
}
