// Package dedup tells the fan-out whether an EVENTS message is the first
// of its event, (scope, event_id), for the whole dedup horizon, beyond the
// broker's duplicate window. It claims the message's stream sequence in the
// event's Redis record (pkg/eventrecord), the one ingest answers producers
// from: the recorded sequence tells a producer's late repeat (another
// sequence: skip) from the dispatcher's own redelivery of the same message
// after a crash (same sequence: fan out again, which is idempotent).
package dedup

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/pkg/eventrecord"
)

// DefaultTTL is how long an event is remembered.
const DefaultTTL = eventrecord.DefaultTTL

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
	key   string
	seq   uint64
	first bool
	err   error
	done  chan struct{}
}

// New returns a Filter remembering events for ttl (when it creates their
// record; ingest usually has).
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
	c := &claim{key: eventrecord.Key(scope, eventID), seq: seq, done: make(chan struct{})}
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

// send settles a batch of claims in one round trip.
func (f *Filter) send(ctx context.Context, batch []*claim) {
	defer func() {
		for _, c := range batch {
			close(c.done)
		}
	}()
	pipe := f.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(batch))
	for i, c := range batch {
		cmds[i] = eventrecord.Claim(ctx, pipe, c.key, c.seq, f.ttl)
	}
	_, _ = pipe.Exec(ctx) // each command carries its own error
	for i, c := range batch {
		var got uint64
		got, c.err = eventrecord.Claimed(cmds[i])
		c.first = c.err == nil && got == c.seq
	}
}
