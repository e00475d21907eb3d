// Package subscription is the stored form of a subscription and the
// JetStream KV bucket that holds it. The registry writes records; the
// dispatcher watches the bucket to keep its match index current and writes
// status changes (suspension). Secrets, passwords and payload keys are kept
// sealed (package seal): reading the bucket shows none of them.
package subscription

import (
	"time"
)

// Status of a subscription.
type Status string

const (
	StatusActive    Status = "ACTIVE"
	StatusPaused    Status = "PAUSED"    // by a user
	StatusSuspended Status = "SUSPENDED" // by the system
)

// Record is one subscription as stored (JSON) under its ID in Bucket.
type Record struct {
	ID           string              `json:"id"`
	Label        string              `json:"label,omitempty"`
	URL          string              `json:"url"`
	EventTypes   []string            `json:"event_types"`
	Scope        string              `json:"scope"`
	Filters      map[string][]string `json:"filters,omitempty"`
	Status       Status              `json:"status"`
	StatusReason string              `json:"status_reason,omitempty"`

	BasicUser     string `json:"basic_user,omitempty"`
	BasicPassword string `json:"basic_password,omitempty"` // sealed
	// Secrets are sealed "whsec_..." strings, newest first. The first has no
	// expiry; older ones sign until ExpiresAt (rotation overlap).
	Secrets         []Secret  `json:"secrets"`
	SecretCreatedAt time.Time `json:"secret_created_at"`
	EncryptionKey   string    `json:"encryption_key,omitempty"` // sealed 32 bytes

	// RetryDelays are the waits before each retry; nil means
	// DefaultRetryDelays, empty (not nil) means a single attempt. omitzero
	// keeps that difference through JSON, where omitempty would lose it.
	RetryDelays []time.Duration `json:"retry_delays,omitzero"`
	RateLimit   *RateLimit      `json:"rate_limit,omitempty"`
	MaxInFlight int             `json:"max_in_flight,omitempty"`
	Timeout     time.Duration   `json:"timeout,omitempty"`

	NotificationEmails []string          `json:"notification_emails,omitempty"`
	SupportEmail       string            `json:"support_email,omitempty"`
	Metadata           map[string]string `json:"metadata,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	// CreatedByPrincipal and UpdatedByPrincipal are the authenticated
	// callers (token names), beside CreatedBy and UpdatedBy, which are the
	// caller-chosen x-user-id.
	CreatedByPrincipal string `json:"created_by_principal,omitempty"`
	UpdatedByPrincipal string `json:"updated_by_principal,omitempty"`
}

// Secret is a sealed signing secret and, for a previous one, when it stops
// signing.
type Secret struct {
	Sealed    string    `json:"sealed"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// RateLimit is a GCRA limit: PerSecond sustained, Burst at once.
type RateLimit struct {
	PerSecond float64 `json:"per_second"`
	Burst     int     `json:"burst,omitempty"`
}

// DefaultRetryDelays is the checkout provider's schedule: attempt at once,
// then 5, 15 and 45 minutes after the previous failure (4 attempts).
var DefaultRetryDelays = []time.Duration{5 * time.Minute, 15 * time.Minute, 45 * time.Minute}

// Delays returns the retry delays in force for r.
func (r *Record) Delays() []time.Duration {
	if r.RetryDelays == nil {
		return DefaultRetryDelays
	}
	return r.RetryDelays
}

// SigningSecrets returns the sealed secrets that sign at time now, newest first.
func (r *Record) SigningSecrets(now time.Time) []string {
	out := make([]string, 0, len(r.Secrets))
	for _, s := range r.Secrets {
		if s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt) {
			out = append(out, s.Sealed)
		}
	}
	return out
}
