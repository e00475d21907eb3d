// Package dedup remembers, in Redis, which EVENTS message first carried each
// event_id, beyond the broker's duplicate window. The value is the stream
// sequence, which tells a producer's late repeat (another sequence: skip)
// from the dispatcher's own redelivery of the same message after a crash
// (same sequence: fan out again, which is idempotent).
package dedup

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// KeyPrefix + event_id is the Redis key of an event.
const KeyPrefix = "hookwire:dedup:"

// DefaultTTL is how long an event_id is remembered.
const DefaultTTL = 72 * time.Hour

// Filter is the Redis-backed dedup filter.
type Filter struct {
	rdb redis.Cmdable
	ttl time.Duration
}

// New returns a Filter remembering event_ids for ttl.
func New(rdb redis.Cmdable, ttl time.Duration) *Filter {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Filter{rdb: rdb, ttl: ttl}
}

// First claims eventID for the message at stream sequence seq. It reports
// true when seq is the first message seen with that event_id (or is that
// same message seen again), false for a repeat in another message.
func (f *Filter) First(ctx context.Context, eventID string, seq uint64) (bool, error) {
	key := KeyPrefix + eventID
	val := strconv.FormatUint(seq, 10)
	ok, err := f.rdb.SetNX(ctx, key, val, f.ttl).Result()
	if err != nil {
		return false, fmt.Errorf("dedup event %s: %w", eventID, err)
	}
	if ok {
		return true, nil
	}
	got, err := f.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return f.First(ctx, eventID, seq) // expired in between
	}
	if err != nil {
		return false, fmt.Errorf("dedup event %s: %w", eventID, err)
	}
	return got == val, nil
}
