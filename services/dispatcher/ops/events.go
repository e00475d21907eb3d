// Package ops is Hookwire's own operational events — a delivery exhausted
// its retries, a subscription was suspended or recovered — published to
// EVENTS like any producer's event, so subscriptions receive them through
// the normal pipeline, and the notice e-mails of suspensions and recoveries,
// recorded in the outbox (package notice) that sends them.
//
// Event ids are deterministic (type:subject:revision), so every dispatcher
// replica may publish the same fact and EVENTS (duplicate window) and the
// fan-out's Redis dedup keep one. Operational events go to subscriptions
// that name a hookwire.* pattern, never to a bare "*" (package fanout), and
// no exhausted event is made for the delivery of an operational event:
// nothing loops.
package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/catalog"
	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/telemetry"
)

// Operational event types (in the catalog, catalog.Operational).
const (
	TypeExhausted = "hookwire.delivery.exhausted"
	TypeSuspended = "hookwire.subscription.suspended"
	TypeRecovered = "hookwire.subscription.recovered"
)

// IsOperational reports whether typ is one of Hookwire's own event types.
func IsOperational(typ string) bool { return strings.HasPrefix(typ, catalog.OperationalPrefix) }

// Exhaustion is a delivery that ended FAILED.
type Exhaustion struct {
	DeliveryID     string `json:"delivery_id"`
	SubscriptionID string `json:"subscription_id"`
	EventID        string `json:"event_id"`
	EventType      string `json:"event_type"`
	Attempts       int    `json:"attempts"`
	LastStatus     int    `json:"last_status"`
	LastError      string `json:"last_error,omitempty"`
}

// Exhausted is the hookwire.delivery.exhausted event of x, at the
// subscription's scope; the id names the delivery and its attempt count.
func Exhausted(x Exhaustion, scope string, at time.Time) (bus.Event, error) {
	id := TypeExhausted + ":" + x.DeliveryID + ":" + strconv.Itoa(x.Attempts)
	return event(id, TypeExhausted, scope, at, x)
}

// StatusChange is the data of the suspended and recovered events.
type StatusChange struct {
	SubscriptionID string    `json:"subscription_id"`
	Label          string    `json:"label,omitempty"`
	URL            string    `json:"url"` // without userinfo, query or fragment (deliver.RedactURL)
	Reason         string    `json:"reason,omitempty"`
	SuspendedAt    time.Time `json:"suspended_at,omitzero"`
	RecoveredAt    time.Time `json:"recovered_at,omitzero"`
}

// Suspended is the hookwire.subscription.suspended event of rec, stored at
// KV revision rev.
func Suspended(rec subscription.Record, rev uint64) (bus.Event, error) {
	url, _ := deliver.RedactURL(rec.URL)
	data := StatusChange{SubscriptionID: rec.ID, Label: rec.Label, URL: url, Reason: rec.StatusReason, SuspendedAt: rec.UpdatedAt.UTC()}
	return event(revID(TypeSuspended, rec.ID, rev), TypeSuspended, rec.Scope, rec.UpdatedAt, data)
}

// Recovered is the hookwire.subscription.recovered event of rec (ACTIVE
// again after a suspension), stored at KV revision rev.
func Recovered(rec subscription.Record, rev uint64) (bus.Event, error) {
	url, _ := deliver.RedactURL(rec.URL)
	data := StatusChange{SubscriptionID: rec.ID, Label: rec.Label, URL: url, RecoveredAt: rec.UpdatedAt.UTC()}
	return event(revID(TypeRecovered, rec.ID, rev), TypeRecovered, rec.Scope, rec.UpdatedAt, data)
}

func revID(typ, subID string, rev uint64) string {
	return typ + ":" + subID + ":" + strconv.FormatUint(rev, 10)
}

func event(id, typ, scope string, at time.Time, data any) (bus.Event, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return bus.Event{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return bus.Event{ID: id, Type: typ, Scope: scope, OccurredAt: at.UTC(), Data: b}, nil
}

// Publisher publishes operational events to EVENTS.
type Publisher struct {
	js jetstream.JetStream
}

// NewPublisher returns a Publisher.
func NewPublisher(js jetstream.JetStream) *Publisher { return &Publisher{js: js} }

// Publish stores ev in EVENTS and returns once JetStream acknowledged.
func (p *Publisher) Publish(ctx context.Context, ev bus.Event) error {
	m, err := bus.Message(ev)
	if err != nil {
		return err
	}
	telemetry.Inject(ctx, m) // its deliveries join the trace of what caused it
	if _, err := p.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("publish %s: %w", ev.ID, err)
	}
	return nil
}
