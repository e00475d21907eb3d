// Package streak counts, per subscription in Redis, the deliveries in a row
// that ended FAILED (exhausted their retries). A delivered one resets the
// count; the dispatcher suspends a subscription whose count reaches
// HOOKWIRE_SUSPEND_AFTER. Redis makes the count shared by every replica.
package streak

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// KeyPrefix + subscription ID is the counter.
const KeyPrefix = "hookwire:failstreak:"

// ttl forgets a streak nobody added to for a long time.
const ttl = 30 * 24 * time.Hour

// Counter is the Redis-backed streak counter.
type Counter struct {
	rdb redis.Cmdable
}

// New returns a Counter.
func New(rdb redis.Cmdable) *Counter { return &Counter{rdb: rdb} }

// Fail adds an exhausted delivery to subID's streak and returns its length.
func (c *Counter) Fail(ctx context.Context, subID string) (int64, error) {
	var n *redis.IntCmd
	_, err := c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, KeyPrefix+subID)
		p.Expire(ctx, KeyPrefix+subID, ttl)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count exhausted delivery of %s: %w", subID, err)
	}
	return n.Val(), nil
}

// Reset ends subID's streak (a delivery succeeded, or it was suspended).
func (c *Counter) Reset(ctx context.Context, subID string) error {
	if err := c.rdb.Del(ctx, KeyPrefix+subID).Err(); err != nil {
		return fmt.Errorf("reset exhausted streak of %s: %w", subID, err)
	}
	return nil
}
