// Package notice is the outbox of the e-mails that tell a subscription's
// notification addresses it was suspended or is active again: a notice is
// recorded in Redis before anything is sent, and marked sent only once the
// SMTP server accepted it. Every replica runs a Runner; a due notice is
// claimed under a lease (its due time moves to the end of the lease), so
// one replica sends it at a time, and a replica that dies mid-send leaves
// it to be taken again when the lease ends. A failed send is tried again
// with back-off, across restarts and replicas.
//
// Redis rather than a JetStream stream: the dispatcher already keeps its
// schedules there (retries, parked tasks) and a sorted set gives due
// times, leases and back-off in one structure; the record of a sent notice
// stays for 30 days, so a replica that replays the subscription bucket at
// start does not record the same suspension twice.
//
// Each notice carries a Message-ID derived from its ID (subscription and
// KV revision of the status change), so in the rare repeat — the server
// accepted the message but the acknowledgement was lost — the copies are
// recognisably one.
package notice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/mail"
)

// Redis keys.
const (
	KeyPrefix     = "hookwire:notice:"      // + notice ID: hash (data, state, created, attempts, error, warned)
	QueueKey      = "hookwire:notices"      // sorted set: ID of each unsent notice -> when it may be tried next (ms)
	LastKeyPrefix = "hookwire:notice-last:" // + subscription ID: ID of its latest suspension notice
)

// keep is how long a notice is remembered after it was recorded, sent or
// not: a repeat of its status change within keep records nothing.
const keep = 30 * 24 * time.Hour

// Hash states.
const (
	statePending = "pending"
	stateSent    = "sent"
)

// add records a notice unless its hash exists; for a suspension it also
// points LastKeyPrefix+subscription at it.
var add = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'state', 'pending', 'created', ARGV[2], 'attempts', 0)
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
if #KEYS > 2 then
  redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
end
return 1`)

// claim takes up to ARGV[3] notices due at ARGV[1] and moves their due time
// to ARGV[2], the end of the lease.
var claim = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], ARGV[2], id)
end
return ids`)

// Outbox is the Redis outbox. Safe for concurrent use.
type Outbox struct {
	rdb   redis.Cmdable
	clock clock.Clock
	wake  chan struct{}
}

// NewOutbox returns the outbox in rdb.
func NewOutbox(rdb redis.Cmdable, c clock.Clock) *Outbox {
	return &Outbox{rdb: rdb, clock: c, wake: make(chan struct{}, 1)}
}

// Add records n, due at once, and reports whether it is new: a notice of
// the same ID recorded in the last 30 days, sent or not, is left alone.
func (o *Outbox) Add(ctx context.Context, n mail.Notice) (bool, error) {
	b, err := json.Marshal(n)
	if err != nil {
		return false, fmt.Errorf("encode notice %s: %w", n.ID(), err)
	}
	keys := []string{KeyPrefix + n.ID(), QueueKey}
	if n.Kind == mail.Suspended {
		keys = append(keys, LastKeyPrefix+n.SubscriptionID)
	}
	now := strconv.FormatInt(o.clock.Now().UnixMilli(), 10)
	added, err := add.Run(ctx, o.rdb, keys, b, now, n.ID(), int64(keep/time.Second)).Int()
	if err != nil {
		return false, fmt.Errorf("record notice %s: %w", n.ID(), err)
	}
	if added == 1 {
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
	return added == 1, nil
}

// LastSuspension is the latest suspension notice of subID, if one is
// remembered.
func (o *Outbox) LastSuspension(ctx context.Context, subID string) (mail.Notice, bool, error) {
	id, err := o.rdb.Get(ctx, LastKeyPrefix+subID).Result()
	if errors.Is(err, redis.Nil) {
		return mail.Notice{}, false, nil
	}
	if err != nil {
		return mail.Notice{}, false, fmt.Errorf("read last suspension notice of %s: %w", subID, err)
	}
	e, ok, err := o.load(ctx, id)
	return e.Notice, ok, err
}

// Pending is the number of notices not yet sent.
func (o *Outbox) Pending(ctx context.Context) (int64, error) {
	n, err := o.rdb.ZCard(ctx, QueueKey).Result()
	if err != nil {
		return 0, fmt.Errorf("count pending notices: %w", err)
	}
	return n, nil
}

// entry is a recorded notice with its sending state.
type entry struct {
	mail.Notice
	id       string
	sent     bool
	created  time.Time
	attempts int
	warned   time.Time // last WARN about it; zero: none yet
}

// claim leases up to limit due notices until now+lease and returns their IDs.
func (o *Outbox) claim(ctx context.Context, lease time.Duration, limit int) ([]string, error) {
	now := o.clock.Now()
	ids, err := claim.Run(ctx, o.rdb, []string{QueueKey},
		now.UnixMilli(), now.Add(lease).UnixMilli(), limit).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("claim due notices: %w", err)
	}
	return ids, nil
}

// load reads notice id; false when it is not remembered any more.
func (o *Outbox) load(ctx context.Context, id string) (entry, bool, error) {
	h, err := o.rdb.HGetAll(ctx, KeyPrefix+id).Result()
	if err != nil {
		return entry{}, false, fmt.Errorf("read notice %s: %w", id, err)
	}
	if len(h) == 0 {
		return entry{}, false, nil
	}
	e := entry{id: id, sent: h["state"] == stateSent, created: millis(h["created"]), warned: millis(h["warned"])}
	e.attempts, _ = strconv.Atoi(h["attempts"])
	if err := json.Unmarshal([]byte(h["data"]), &e.Notice); err != nil {
		return entry{}, false, fmt.Errorf("decode notice %s: %w", id, err)
	}
	return e, true, nil
}

// sent marks id sent: it leaves the queue, its record stays until it expires.
func (o *Outbox) sent(ctx context.Context, id string) error {
	_, err := o.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, KeyPrefix+id, "state", stateSent, "sent", o.clock.Now().UnixMilli())
		p.HDel(ctx, KeyPrefix+id, "error")
		p.ZRem(ctx, QueueKey, id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark notice %s sent: %w", id, err)
	}
	return nil
}

// failed records a failed attempt of e and makes it due again at next
// (unless another replica marked it sent meanwhile).
func (o *Outbox) failed(ctx context.Context, e entry, next time.Time, cause error) error {
	_, err := o.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, KeyPrefix+e.id, "attempts", e.attempts, "error", cause.Error())
		p.ZAddXX(ctx, QueueKey, redis.Z{Score: float64(next.UnixMilli()), Member: e.id})
		return nil
	})
	if err != nil {
		return fmt.Errorf("reschedule notice %s: %w", e.id, err)
	}
	return nil
}

// postpone makes id due again at next without counting an attempt.
func (o *Outbox) postpone(ctx context.Context, id string, next time.Time) error {
	if err := o.rdb.ZAddXX(ctx, QueueKey, redis.Z{Score: float64(next.UnixMilli()), Member: id}).Err(); err != nil {
		return fmt.Errorf("postpone notice %s: %w", id, err)
	}
	return nil
}

// drop removes id from the queue (its record expired).
func (o *Outbox) drop(ctx context.Context, id string) error {
	if err := o.rdb.ZRem(ctx, QueueKey, id).Err(); err != nil {
		return fmt.Errorf("drop notice %s: %w", id, err)
	}
	return nil
}

// warnedAt records that a WARN about id was logged at t.
func (o *Outbox) warnedAt(ctx context.Context, id string, t time.Time) error {
	if err := o.rdb.HSet(ctx, KeyPrefix+id, "warned", t.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("note warning of notice %s: %w", id, err)
	}
	return nil
}

func millis(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
