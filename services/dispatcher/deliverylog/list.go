package deliverylog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Page sizes.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
	// scanFactor bounds the records one page may read when a state filter
	// skips some: pageSize*scanFactor (at least minScan). A page that hits the
	// bound is returned short, with a token to go on.
	scanFactor = 10
	minScan    = 1000
)

var (
	// ErrBadFilter: a subscription id that cannot be part of a key.
	ErrBadFilter = errors.New("invalid delivery filter")
	// ErrBadPageToken: a token this log did not hand out for this filter.
	ErrBadPageToken = errors.New("invalid page token")
)

// Filter selects deliveries. Empty fields match everything. EventID
// matches the event_id at any scope (the key holds the scope's hash too, so
// it is matched on the records read, not in the subject).
type Filter struct {
	SubscriptionID string
	EventID        string
	State          State
	Status         StatusClass // of the last attempt
	// Scope: only deliveries of subscriptions at or under it (the
	// caller's scope subtree); "" is the root, everything.
	Scope string
	// Since, Until: only deliveries created in [Since, Until).
	Since, Until time.Time
}

// subject is the KV stream subject the filter covers.
func (f Filter) subject() (string, error) {
	sub := "*"
	if f.SubscriptionID != "" {
		if !isKeyToken(f.SubscriptionID) {
			return "", fmt.Errorf("%w: subscription id %q", ErrBadFilter, f.SubscriptionID)
		}
		sub = f.SubscriptionID
	}
	return "$KV." + Bucket + "." + sub + ".*", nil
}

// List returns up to pageSize deliveries matching f in the order of their
// latest write, and the token of the next page ("" at the end). A page may
// hold fewer than pageSize deliveries and still have a next token when a
// state filter skipped many records (bounded work per call).
func (l *Log) List(ctx context.Context, f Filter, pageSize int, pageToken string) ([]Delivery, string, error) {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	pageSize = min(pageSize, MaxPageSize)
	if err := f.check(); err != nil {
		return nil, "", err
	}
	subject, err := f.subject()
	if err != nil {
		return nil, "", err
	}
	after, err := decodeToken(pageToken, f)
	if err != nil {
		return nil, "", err
	}
	cfg := jetstream.ConsumerConfig{
		FilterSubject:     subject,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		InactiveThreshold: time.Minute,
	}
	if after > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, after+1
	}
	cons, err := l.stream.CreateOrUpdateConsumer(ctx, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: create consumer: %w", err)
	}
	info := cons.CachedInfo()
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = l.stream.DeleteConsumer(dctx, info.Name) // else it expires after InactiveThreshold
	}()
	s := scan{f: f, pageSize: pageSize, budget: max(pageSize*scanFactor, minScan), pending: info.NumPending}
	if err := s.run(ctx, cons); err != nil {
		return nil, "", err
	}
	if s.pending == 0 {
		return s.out, "", nil
	}
	return s.out, encodeToken(s.last, f), nil
}
