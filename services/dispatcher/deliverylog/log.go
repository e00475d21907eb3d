package deliverylog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/bus"
)

// ErrNotFound is returned for a delivery that has no record (never
// attempted, or expired after the retention).
var ErrNotFound = errors.New("delivery not found")

// Log reads and writes delivery records. It is safe for concurrent use, by
// any number of processes: every write is a compare-and-set on the key's
// revision, retried on conflict.
type Log struct {
	kv     jetstream.KeyValue
	stream jetstream.Stream // the bucket's backing stream, for List
	direct *direct          // for put; nil: kv.Create and kv.Update
	now    func() time.Time
	budget int // records Failing may read
	// afterBatch, when set, is called with the scan consumer's name after
	// each batch Failing reads (tests).
	afterBatch func(consumer string)
}

// Option configures a Log.
type Option func(*Log)

// WithClock sets the clock stamping CreatedAt and UpdatedAt (tests).
func WithClock(now func() time.Time) Option { return func(l *Log) { l.now = now } }

// WithScanBudget sets how many records Failing reads at most (default
// DefaultScanBudget); a window holding more is ranked from its newest
// records and the result is Truncated.
func WithScanBudget(n int) Option { return func(l *Log) { l.budget = max(n, 1) } }

// Open creates or updates the bucket and returns a Log over it.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config, opts ...Option) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	kv, err := bus.EnsureKeyValue(ctx, js, cfg.BucketConfig())
	if err != nil {
		return nil, fmt.Errorf("open kv bucket %s: %w", Bucket, err)
	}
	stream, err := bus.FindStream(ctx, js, "KV_"+Bucket)
	if err != nil {
		return nil, err // names the stream
	}
	l := &Log{kv: kv, stream: stream, direct: newDirect(js), now: time.Now, budget: DefaultScanBudget}
	for _, o := range opts {
		o(l)
	}
	return l, nil
}

// KV exposes the bucket (inspection, tests).
func (l *Log) KV() jetstream.KeyValue { return l.kv }

// Get returns the delivery with that id.
func (l *Log) Get(ctx context.Context, id string) (Delivery, error) {
	key, err := keyOf(id)
	if err != nil {
		return Delivery{}, err
	}
	d, _, err := l.get(ctx, key)
	return d, err
}

// RecordAttempt appends attempt a to the delivery identified by d
// (d.ID, or d.SubscriptionID + d.Scope + d.EventID) and sets its state and next
// attempt time, creating the record from d's identity fields on first use.
// The stored attempt number is the record's own count (redeliveries
// included); a.Number only hints: 0 or 1 means "probably a new record", so
// the write is a single kv.Create; otherwise Get + Update.
func (l *Log) RecordAttempt(ctx context.Context, d Delivery, a Attempt, state State, next time.Time) (Delivery, error) {
	if !state.Valid() {
		return Delivery{}, fmt.Errorf("record attempt: invalid state %q", state)
	}
	if d.ID == "" {
		d.ID = ID(d.SubscriptionID, d.Scope, d.EventID)
	}
	key, err := keyOf(d.ID)
	if err != nil {
		return Delivery{}, fmt.Errorf("record attempt: %w", err)
	}
	a, next = a.trimmed(), stamp(next)
	apply := func(cur *Delivery) error {
		cur.appendAttempt(a)
		cur.State, cur.NextAttemptAt, cur.HoldReason = state, next, ""
		return nil
	}
	if a.Number <= 1 {
		fresh, err := l.create(ctx, key, d, apply)
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return fresh, err
		}
	}
	return l.update(ctx, key, d, apply)
}

// SetState changes the state and next attempt time of an existing delivery.
func (l *Log) SetState(ctx context.Context, id string, state State, next time.Time) (Delivery, error) {
	if !state.Valid() {
		return Delivery{}, fmt.Errorf("set state of %s: invalid state %q", id, state)
	}
	return l.Update(ctx, id, func(d *Delivery) error {
		d.State, d.NextAttemptAt = state, next
		if state != Held {
			d.HoldReason = ""
		}
		return nil
	})
}

// Update applies change to the stored delivery and writes it back with a
// compare-and-set, re-reading and re-applying on conflict. change may
// return an error to abort; it is returned as is.
func (l *Log) Update(ctx context.Context, id string, change func(*Delivery) error) (Delivery, error) {
	key, err := keyOf(id)
	if err != nil {
		return Delivery{}, err
	}
	return l.update(ctx, key, Delivery{}, change)
}
