package deliverylog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// errFinished aborts a Hold of a finished delivery.
var errFinished = errors.New("delivery finished")

// Hold marks the delivery HELD for reason (see Store); a compare-and-set
// like every other write.
func (l *Log) Hold(ctx context.Context, d Delivery, reason HoldReason) (Delivery, error) {
	if !reason.Valid() {
		return Delivery{}, fmt.Errorf("hold delivery %s: invalid reason %q", d.ID, reason)
	}
	key, err := keyOf(d.ID)
	if err != nil {
		return Delivery{}, fmt.Errorf("hold delivery: %w", err)
	}
	held, err := l.update(ctx, key, d, func(cur *Delivery) error {
		if cur.State != Pending && cur.State != Held {
			return errFinished
		}
		cur.State, cur.HoldReason, cur.NextAttemptAt = Held, reason, time.Time{}
		return nil
	})
	if errors.Is(err, errFinished) {
		return l.Get(ctx, d.ID)
	}
	return held, err
}

// Count pages through the matching records (the bucket has no index: it
// reads every record of the subscription, or of the bucket) and tallies
// them by subscription and state.
func (l *Log) Count(ctx context.Context, f CountFilter) ([]Count, error) {
	lf := Filter{SubscriptionID: f.SubscriptionID, Scope: f.Scope, Since: f.Since, Until: f.Until}
	type key struct {
		sub   string
		state State
	}
	n := map[key]int64{}
	tok := ""
	for {
		ds, next, err := l.List(ctx, lf, MaxPageSize, tok)
		if err != nil {
			return nil, fmt.Errorf("count deliveries: %w", err)
		}
		for _, d := range ds {
			n[key{d.SubscriptionID, d.State}]++
		}
		if next == "" {
			break
		}
		tok = next
	}
	out := make([]Count, 0, len(n))
	for k, v := range n {
		out = append(out, Count{SubscriptionID: k.sub, State: k.state, N: v})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.SubscriptionID != b.SubscriptionID {
			return strings.Compare(a.SubscriptionID, b.SubscriptionID)
		}
		return strings.Compare(string(a.State), string(b.State))
	})
	return out, nil
}

// Run returns when ctx ends: JetStream expires the records itself (the
// bucket's TTL), so the KV store has no upkeep of its own.
func (l *Log) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// Close does nothing: the store uses the caller's JetStream connection.
func (l *Log) Close() {}
