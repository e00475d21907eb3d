package receiver

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/hookwire/hookwire/pkg/signing"
)

// Event is one delivered event.
type Event struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Scope      string          `json:"scope"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
	// WebhookID is the webhook-id header: the same on every attempt of one
	// delivery, so it is the key to dedup on.
	WebhookID string `json:"-"`
}

// Handler adapts fn to an http.Handler: it accepts only POST, verifies and
// decrypts the delivery, decodes the event and calls fn. It answers 405 to
// other methods, 413 to an oversized body, 401 when the signature or
// timestamp does not verify and 400 when the body cannot be opened or
// decoded; fn answers the rest (no write means 200, which Hookwire counts
// as delivered).
func (rc *Receiver) Handler(fn func(w http.ResponseWriter, r *http.Request, ev Event)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := rc.Verify(r)
		switch {
		case errors.Is(err, ErrTooLarge):
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		case errors.Is(err, signing.ErrNoSignature), errors.Is(err, signing.ErrTimestamp), errors.Is(err, signing.ErrMismatch):
			http.Error(w, "invalid webhook signature", http.StatusUnauthorized)
			return
		case err != nil:
			http.Error(w, "cannot open webhook body", http.StatusBadRequest)
			return
		}
		var ev Event
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, "webhook body is not an event", http.StatusBadRequest)
			return
		}
		ev.WebhookID = r.Header.Get(signing.HeaderID)
		fn(w, r, ev)
	})
}
