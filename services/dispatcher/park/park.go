// Package park keeps the delivery tasks of a paused or suspended
// subscription aside in Redis, and puts them back on the delivery queue when
// the subscription is active again (or deleted: the workers then discard
// them with a log entry). Nothing is dropped while a subscription rests.
//
// Each subscription's tasks are a sorted set (score = when parked, member =
// task JSON); the set ListKey lists the subscriptions that have any, so a
// restarted dispatcher finds them without scanning the keyspace.
package park

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Redis keys.
const (
	KeyPrefix = "hookwire:parked:" // + subscription id: sorted set of tasks
	ListKey   = "hookwire:parked"  // set of subscription ids with parked tasks
)

const batch = 512

// forget removes a subscription from ListKey only if its set is empty, so a
// task parked concurrently keeps it listed.
var forget = redis.NewScript(`
if redis.call('ZCARD', KEYS[1]) == 0 then
  return redis.call('SREM', KEYS[2], ARGV[1])
end
return 0`)

// Enqueuer puts tasks on the delivery queue (task.Queue).
type Enqueuer interface {
	EnqueueAll(ctx context.Context, ts []task.Task) error
}

// Lot is where parked tasks wait.
type Lot struct {
	rdb   redis.UniversalClient
	queue Enqueuer
	clock clock.Clock
	log   *slog.Logger
}

// New returns a Lot.
func New(rdb redis.UniversalClient, q Enqueuer, c clock.Clock, log *slog.Logger) *Lot {
	return &Lot{rdb: rdb, queue: q, clock: c, log: log}
}

// Park sets t aside until Release(t.SubscriptionID).
func (l *Lot) Park(ctx context.Context, t task.Task) error {
	t.Parked = l.clock.Now().UnixMilli()
	b, err := t.Encode()
	if err != nil {
		return err
	}
	_, err = l.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, KeyPrefix+t.SubscriptionID, redis.Z{Score: float64(t.Parked), Member: b})
		p.SAdd(ctx, ListKey, t.SubscriptionID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("park task %s: %w", t.MsgID(), err)
	}
	return nil
}

// Subscriptions lists the subscriptions that have parked tasks.
func (l *Lot) Subscriptions(ctx context.Context) ([]string, error) {
	ids, err := l.rdb.SMembers(ctx, ListKey).Result()
	if err != nil {
		return nil, fmt.Errorf("list parked subscriptions: %w", err)
	}
	return ids, nil
}

// Count is the number of tasks parked for subID.
func (l *Lot) Count(ctx context.Context, subID string) (int64, error) {
	n, err := l.rdb.ZCard(ctx, KeyPrefix+subID).Result()
	if err != nil {
		return 0, fmt.Errorf("count parked tasks of %s: %w", subID, err)
	}
	return n, nil
}

// Release puts every task parked for subID back on the queue, oldest first,
// and returns how many. Each batch is published (idempotently: the MsgID
// holds the parking time) before it is removed, so a crash loses nothing.
func (l *Lot) Release(ctx context.Context, subID string) (int, error) {
	key, total := KeyPrefix+subID, 0
	for {
		members, err := l.rdb.ZRange(ctx, key, 0, batch-1).Result()
		if err != nil {
			return total, fmt.Errorf("read parked tasks of %s: %w", subID, err)
		}
		if len(members) == 0 {
			break
		}
		ts := make([]task.Task, 0, len(members))
		for _, m := range members {
			t, err := task.Decode([]byte(m))
			if err != nil {
				l.log.Error("dropping malformed parked entry", "subscription_id", subID, "err", err)
				continue
			}
			ts = append(ts, t)
		}
		if err := l.queue.EnqueueAll(ctx, ts); err != nil {
			return total, fmt.Errorf("release parked tasks of %s: %w", subID, err)
		}
		args := make([]any, len(members))
		for i, m := range members {
			args[i] = m
		}
		if err := l.rdb.ZRem(ctx, key, args...).Err(); err != nil {
			return total, fmt.Errorf("remove released tasks of %s: %w", subID, err)
		}
		total += len(ts)
	}
	if err := forget.Run(ctx, l.rdb, []string{key, ListKey}, subID).Err(); err != nil {
		return total, fmt.Errorf("forget parked subscription %s: %w", subID, err)
	}
	return total, nil
}
