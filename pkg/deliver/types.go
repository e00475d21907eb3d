// Package deliver sends one webhook attempt over HTTP: it renders the
// Standard Webhooks headers, signs, optionally encrypts, refuses addresses
// the SSRF guard forbids, and classifies the answer. The registry uses it for
// TestEndpoint and the dispatcher for every delivery.
package deliver

import (
	"net/http"
	"time"
)

// Request is one attempt to POST a webhook.
type Request struct {
	URL       string
	WebhookID string    // webhook-id: the same on every attempt of a delivery
	Timestamp time.Time // webhook-timestamp; zero means now
	Body      []byte    // the plain JSON body (bus.Body)
	// Secrets are plain "whsec_..." signing secrets, newest first; each
	// adds one "v1,<sig>" to webhook-signature and one hex value to the
	// comma-separated X-Signature.
	Secrets       []string
	BasicUser     string
	BasicPassword string
	// EncryptionKey, when 32 bytes, replaces the body with the AES-256-GCM
	// envelope (package envelope) before signing.
	EncryptionKey []byte
	Timeout       time.Duration // zero means DefaultTimeout
	Header        http.Header   // extra headers, e.g. traceparent
}

// DefaultTimeout bounds an attempt whose Request has no Timeout.
const DefaultTimeout = 10 * time.Second

// ExcerptLimit is how much of a response body is kept.
const ExcerptLimit = 64 << 10

// Outcome classifies an attempt. Exactly one function (Classify) maps an
// HTTP answer or transport error to an Outcome.
type Outcome int

const (
	// Delivered: any 2xx.
	Delivered Outcome = iota + 1
	// Retryable: 5xx, 408, timeouts, connection errors, 3xx (not followed)
	// and other 4xx: retried on the subscription's schedule.
	Retryable
	// Throttled: 429 or 503 with Retry-After; retry after Result.RetryAfter.
	Throttled
	// Gone: 410; the subscription is disabled (suspended).
	Gone
	// Refused: never sent (SSRF guard, https-only, bad URL); retrying cannot help.
	Refused
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Retryable:
		return "retryable"
	case Throttled:
		return "throttled"
	case Gone:
		return "gone"
	case Refused:
		return "refused"
	}
	return "unknown"
}

// Result is what happened to one attempt.
type Result struct {
	Outcome    Outcome
	Status     int           // 0 when no HTTP answer
	Latency    time.Duration // from dial to response body read
	Excerpt    string        // first bytes of the response body (ExcerptLimit at most read)
	Err        error         // transport or guard error, or ErrRedirect on a 3xx; nil on other HTTP answers
	RetryAfter time.Duration // with Throttled
}
