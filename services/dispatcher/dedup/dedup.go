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
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/pkg/bus"
)

// KeyPrefix + bus.MsgID(scope, event_id) is the Redis key of an event: its
// identity, never the event_id alone (two tenants may use the same one).
const KeyPrefix = "hookwire:dedup:"

// DefaultTTL is how long an event_id is remembered.
const DefaultTTL = 72 * time.Hour

// Filter is the Redis-backed dedup filter. Concurrent First calls are
// sent together: whichever caller finds no round trip in progress sends
// every claim waiting then as one pipeline (and repeats while more arrive),
// so the fan-out workers share round trips instead of queueing for a
// connection each.
type Filter struct {
	rdb redis.Cmdable
	ttl time.Duration

	mu      sync.Mutex
	busy    bool     // a caller is sending claims
	pending []*claim // claims waiting for the next round trip
}

// claim is one First call in a batch.
type claim struct {
	key, val string
	first    bool
	err      error
	done     chan struct{}
}

// New returns a Filter remembering event_ids for ttl.
func New(rdb redis.Cmdable, ttl time.Duration) *Filter {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Filter{rdb: rdb, ttl: ttl}
}

// First claims the event (scope, eventID) for the EVENTS message at seq.
// It reports true when this message is the event's first (or a redelivery
// of it), false when an earlier message already carried the same event.
func (f *Filter) First(ctx context.Context, scope, eventID string, seq uint64) (bool, error) {
	c := &claim{key: KeyPrefix + bus.MsgID(scope, eventID), val: strconv.FormatUint(seq, 10), done: make(chan struct{})}
	f.mu.Lock()
	f.pending = append(f.pending, c)
	if f.busy {
		f.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return false, fmt.Errorf("dedup event %s: %w", eventID, ctx.Err())
		}
	} else {
		f.busy = true
		for len(f.pending) > 0 {
			batch := f.pending
			f.pending = nil
			f.mu.Unlock()
			f.send(ctx, batch)
			f.mu.Lock()
		}
		f.busy = false
		f.mu.Unlock()
	}
	if c.err != nil {
		return false, fmt.Errorf("dedup event %s: %w", eventID, c.err)
	}
	return c.first, nil
}

// send settles a batch of claims: SET NX for all, then GET for those
// whose key existed (the same sequence is a redelivery: still first).
func (f *Filter) send(ctx context.Context, batch []*claim) {
	defer func() {
		for _, c := range batch {
			close(c.done)
		}
	}()
	pipe := f.rdb.Pipeline()
	sets := make([]*redis.BoolCmd, len(batch))
	for i, c := range batch {
		sets[i] = pipe.SetNX(ctx, c.key, c.val, f.ttl)
	}
	_, _ = pipe.Exec(ctx) // each command carries its own error
	var taken []int
	for i, c := range batch {
		c.first, c.err = sets[i].Result()
		if c.err == nil && !c.first {
			taken = append(taken, i)
		}
	}
	if len(taken) == 0 {
		return
	}
	gets := make([]*redis.StringCmd, len(taken))
	for j, i := range taken {
		gets[j] = pipe.Get(ctx, batch[i].key)
	}
	_, _ = pipe.Exec(ctx)
	for j, i := range taken {
		c := batch[i]
		got, err := gets[j].Result()
		switch {
		case errors.Is(err, redis.Nil): // expired in between: claim it alone
			c.first, c.err = f.claimOne(ctx, c.key, c.val)
		case err != nil:
			c.err = err
		default:
			c.first = got == c.val
		}
	}
}

// claimOne is one claim without batching.
func (f *Filter) claimOne(ctx context.Context, key, val string) (bool, error) {
	for {
		ok, err := f.rdb.SetNX(ctx, key, val, f.ttl).Result()
		if err != nil || ok {
			return ok, err
		}
		got, err := f.rdb.Get(ctx, key).Result()
		if errors.Is(err, redis.Nil) {
			continue // expired in between
		}
		if err != nil {
			return false, err
		}
		return got == val, nil
	}
}
