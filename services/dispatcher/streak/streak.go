// Package streak counts, per subscription in Redis, the deliveries in a row
// that ended FAILED (exhausted their retries). A delivered one resets the
// count; the dispatcher suspends a subscription whose count reaches
// HOOKWIRE_SUSPEND_AFTER. Redis makes the count shared by every replica.
package streak

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keys, + subscription ID: the counter, and when its first
// delivery ended FAILED (Unix milliseconds, wall clock).
const (
	KeyPrefix      = "hookwire:failstreak:"
	SinceKeyPrefix = "hookwire:failstreak-since:"
)

// ttl forgets a streak nobody added to for a long time.
const ttl = 30 * 24 * time.Hour

// resetEvery is how often a run of successes resets a streak that this
// process did not see grow: a delivered attempt is the hot path, and one
// DEL a second per subscription is enough to end another replica's streak.
const resetEvery = time.Second

// Counter is the Redis-backed streak counter. Safe for concurrent use.
type Counter struct {
	rdb redis.Cmdable
	now func() time.Time

	mu    sync.Mutex
	reset map[string]time.Time // subscription -> last DEL; absent: must DEL
}

// New returns a Counter.
func New(rdb redis.Cmdable) *Counter {
	return &Counter{rdb: rdb, now: time.Now, reset: map[string]time.Time{}}
}

// Succeeded ends subID's streak after a delivered delivery. The DEL is
// skipped when this process reset it less than a second ago and counted no
// failure since.
func (c *Counter) Succeeded(ctx context.Context, subID string) error {
	now := c.now()
	c.mu.Lock()
	last, ok := c.reset[subID]
	fresh := ok && now.Sub(last) < resetEvery
	if !fresh {
		if len(c.reset) > 100_000 {
			clear(c.reset)
		}
		c.reset[subID] = now
	}
	c.mu.Unlock()
	if fresh {
		return nil
	}
	return c.Reset(ctx, subID)
}

// Fail adds an exhausted delivery to subID's streak and returns its length.
func (c *Counter) Fail(ctx context.Context, subID string) (int64, error) {
	c.mu.Lock()
	delete(c.reset, subID) // the next success must DEL
	c.mu.Unlock()
	var n *redis.IntCmd
	_, err := c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, KeyPrefix+subID)
		p.Expire(ctx, KeyPrefix+subID, ttl)
		p.SetNX(ctx, SinceKeyPrefix+subID, c.now().UnixMilli(), 0)
		p.Expire(ctx, SinceKeyPrefix+subID, ttl)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count exhausted delivery of %s: %w", subID, err)
	}
	return n.Val(), nil
}

// Streak is a run of deliveries in a row that ended FAILED.
type Streak struct {
	Failed int64     // how many
	Since  time.Time // when the first of them ended FAILED; zero when Failed is 0
}

// Get reads subID's current streak.
func (c *Counter) Get(ctx context.Context, subID string) (Streak, error) {
	vals, err := c.rdb.MGet(ctx, KeyPrefix+subID, SinceKeyPrefix+subID).Result()
	if err != nil {
		return Streak{}, fmt.Errorf("read exhausted streak of %s: %w", subID, err)
	}
	var s Streak
	if v, ok := vals[0].(string); ok {
		s.Failed, _ = strconv.ParseInt(v, 10, 64)
	}
	if v, ok := vals[1].(string); ok && s.Failed > 0 {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			s.Since = time.UnixMilli(ms).UTC()
		}
	}
	return s, nil
}

// Reset ends subID's streak (a delivery succeeded, or it was suspended).
func (c *Counter) Reset(ctx context.Context, subID string) error {
	if err := c.rdb.Del(ctx, KeyPrefix+subID, SinceKeyPrefix+subID).Err(); err != nil {
		return fmt.Errorf("reset exhausted streak of %s: %w", subID, err)
	}
	return nil
}
