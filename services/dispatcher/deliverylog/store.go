package deliverylog

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Store is the delivery log as the worker, the DeliveryService, Redeliver,
// Replay and the fan-out's re-run check use it. Two implementations hold
// to one contract (store_contract_test.go): Log on JetStream KV (the
// embedded default) and PG on PostgreSQL (HOOKWIRE_DELIVERY_LOG_URL).
//
// Times are kept to the microsecond, in UTC. A delivery's CreatedAt is set
// by its first write.
type Store interface {
	// Get returns the delivery with that id, or ErrNotFound.
	Get(ctx context.Context, id string) (Delivery, error)
	// RecordAttempt appends attempt a to delivery d (numbered after its
	// last), sets its state and next attempt time and clears a hold,
	// creating the record from d's identity fields on first use. It
	// returns once the record is durable.
	RecordAttempt(ctx context.Context, d Delivery, a Attempt, state State, next time.Time) (Delivery, error)
	// SetState changes the state and next attempt time of an existing
	// delivery (ErrNotFound otherwise).
	SetState(ctx context.Context, id string, state State, next time.Time) (Delivery, error)
	// Hold marks the delivery HELD for reason, its task parked while its
	// subscription rests, creating the record from d's identity when
	// there is none. A finished delivery (DELIVERED, FAILED, DISCARDED)
	// is left as it is.
	Hold(ctx context.Context, d Delivery, reason HoldReason) (Delivery, error)
	// Update applies change to the stored delivery atomically; change may
	// alter State, NextAttemptAt and HoldReason. An error from change
	// aborts and is returned as is.
	Update(ctx context.Context, id string, change func(*Delivery) error) (Delivery, error)
	// List returns up to pageSize deliveries matching f and the token of
	// the next page ("" at the end). A page may be short and still have a
	// token (bounded work per call). Each store has its own order (see
	// Log.List and PG.List); paging through, a stable set is listed whole,
	// each delivery once.
	List(ctx context.Context, f Filter, pageSize int, pageToken string) ([]Delivery, string, error)
	// Count counts deliveries by subscription and state.
	Count(ctx context.Context, f CountFilter) ([]Count, error)
	// Failing ranks the subscriptions by their failed attempts (no 2xx)
	// that started in f's window, most first (then the latest failure,
	// then the subscription id), and returns the first limit (0: the
	// default, at most MaxFailingLimit) after f.After. A window longer
	// than MaxFailingWindow is ErrBadFilter.
	Failing(ctx context.Context, f FailureFilter, limit int) (Ranking, error)
	// Run does the store's upkeep until ctx ends.
	Run(ctx context.Context) error
	// Close releases the store's connections.
	Close()
}

var (
	_ Store = (*Log)(nil)
	_ Store = (*PG)(nil)
)

// HoldReason says why a HELD delivery waits.
type HoldReason string

const (
	HoldPaused    HoldReason = "paused"    // the subscription was paused by a user
	HoldSuspended HoldReason = "suspended" // the subscription was suspended by the system
)

// Valid reports whether r is one of the reasons.
func (r HoldReason) Valid() bool { return r == HoldPaused || r == HoldSuspended }

// StatusClass groups deliveries by the HTTP status of their last attempt.
type StatusClass string

const (
	Status2xx  StatusClass = "2xx"
	Status3xx  StatusClass = "3xx"
	Status4xx  StatusClass = "4xx"
	Status5xx  StatusClass = "5xx"
	StatusNone StatusClass = "none" // no HTTP answer (network error, timeout) or no attempt yet
)

// statusRange is the [lo, hi) range of HTTP statuses of c.
func (c StatusClass) statusRange() (lo, hi int, ok bool) {
	switch c {
	case Status2xx:
		return 200, 300, true
	case Status3xx:
		return 300, 400, true
	case Status4xx:
		return 400, 500, true
	case Status5xx:
		return 500, 600, true
	case StatusNone:
		return 0, 1, true
	}
	return 0, 0, false
}

// ClassOf is the class of a delivery whose last attempt got status (0 for
// no answer or no attempt).
func ClassOf(status int) StatusClass {
	for _, c := range []StatusClass{Status2xx, Status3xx, Status4xx, Status5xx, StatusNone} {
		if lo, hi, _ := c.statusRange(); status >= lo && status < hi {
			return c
		}
	}
	return ""
}

// LastStatus is the HTTP status of d's last attempt, 0 without one.
func (d Delivery) LastStatus() int {
	if n := len(d.Attempts); n > 0 {
		return d.Attempts[n-1].Status
	}
	return 0
}

// CountFilter selects the deliveries Count counts: created in
// [Since, Until), of one subscription or of every subscription at or under
// Scope.
type CountFilter struct {
	SubscriptionID string
	Scope          string
	Since, Until   time.Time
}

// Count is how many deliveries of a subscription are in a state.
type Count struct {
	SubscriptionID string
	State          State
	N              int64
}

// OpenStore opens the store cfg selects, its writes measured (Observe):
// PostgreSQL when cfg.URL is set, else the JetStream KV bucket on js.
func OpenStore(ctx context.Context, js jetstream.JetStream, cfg Config, now func() time.Time, log *slog.Logger) (Store, error) {
	var s Store
	name := "jetstream"
	if cfg.URL != "" {
		p, err := OpenPostgres(ctx, cfg, WithPGClock(now), WithPGLogger(log))
		if err != nil {
			return nil, fmt.Errorf("open delivery log on PostgreSQL: %w", err)
		}
		s, name = p, "postgres"
	} else {
		l, err := Open(ctx, js, cfg, WithClock(now))
		if err != nil {
			return nil, err
		}
		s = l
	}
	o, err := Observe(s, name)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("delivery log metrics: %w", err)
	}
	return o, nil
}
