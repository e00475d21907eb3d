// Package receiver is the subscriber side of Hookwire: it verifies the
// Standard Webhooks signature of a delivery, decrypts the AES-256-GCM
// envelope (package envelope) when payload encryption is on, and hands over
// the event.
//
//	rcv, err := receiver.New(os.Getenv("WEBHOOK_SECRET"))
//	http.Handle("/hooks", rcv.Handler(func(w http.ResponseWriter, r *http.Request, ev receiver.Event) {
//		log.Printf("%s %s %s", ev.WebhookID, ev.Type, ev.Data)
//	}))
//
// Deliveries are at least once: dedup on Event.WebhookID, which is the same
// on every attempt of one delivery.
package receiver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hookwire/hookwire/pkg/envelope"
	"github.com/hookwire/hookwire/pkg/signing"
)

// DefaultMaxBody bounds the request body Verify reads.
const DefaultMaxBody = 4 << 20

// ErrTooLarge: the body exceeds the configured maximum.
var ErrTooLarge = errors.New("webhook body too large")

// Receiver verifies and opens deliveries. It is safe for concurrent use.
type Receiver struct {
	secrets   []string
	key       []byte
	tolerance time.Duration
	maxBody   int64
	now       func() time.Time
}

// Option configures a Receiver.
type Option func(*Receiver)

// WithEncryptionKey sets the subscription's 32-byte payload key; bodies are
// then expected to be envelopes and are decrypted after verification.
func WithEncryptionKey(key []byte) Option {
	return func(r *Receiver) { r.key = append([]byte(nil), key...) }
}

// WithTolerance sets the accepted clock skew of webhook-timestamp (default
// signing.DefaultTolerance, 5 minutes).
func WithTolerance(d time.Duration) Option { return func(r *Receiver) { r.tolerance = d } }

// WithSecrets adds secrets that are also accepted, e.g. the previous one
// while a rotation is under way.
func WithSecrets(more ...string) Option {
	return func(r *Receiver) { r.secrets = append(r.secrets, more...) }
}

// WithMaxBody bounds the body read (default DefaultMaxBody).
func WithMaxBody(n int64) Option { return func(r *Receiver) { r.maxBody = n } }

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(r *Receiver) { r.now = now } }

// New returns a Receiver for a "whsec_..." signing secret.
func New(secret string, opts ...Option) (*Receiver, error) {
	r := &Receiver{secrets: []string{secret}, tolerance: signing.DefaultTolerance, maxBody: DefaultMaxBody, now: time.Now}
	for _, o := range opts {
		o(r)
	}
	for i, s := range r.secrets {
		if err := signing.ValidateSecret(s); err != nil {
			return nil, fmt.Errorf("receiver secret %d: %w", i, err)
		}
	}
	if r.key != nil && len(r.key) != envelope.KeySize {
		return nil, fmt.Errorf("receiver: %w", envelope.ErrKey)
	}
	return r, nil
}

// Verify reads r's body (at most the configured maximum), checks the
// Standard Webhooks headers and signature against it, and returns the plain
// JSON event — decrypted when an encryption key is set. Signature failures
// wrap signing.ErrNoSignature, ErrTimestamp or ErrMismatch.
func (rc *Receiver) Verify(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, rc.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read webhook body: %w", err)
	}
	if int64(len(body)) > rc.maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, rc.maxBody)
	}
	if err := signing.Verify(rc.secrets, r.Header, body, rc.now(), rc.tolerance); err != nil {
		return nil, fmt.Errorf("verify webhook: %w", err)
	}
	if rc.key == nil {
		return body, nil
	}
	plain, err := envelope.Open(rc.key, body)
	if err != nil {
		return nil, fmt.Errorf("decrypt webhook: %w", err)
	}
	return plain, nil
}
