// Package park keeps the delivery tasks of a paused or suspended
// subscription aside in Redis, and puts them back on the delivery queue when
// the subscription is active again (or deleted: the workers then discard
// them with a log entry). Nothing is dropped while a subscription rests.
//
// Each subscription's tasks are a sorted set (score = when set aside,
// member = the task's encoding, task.Task.SetAside: the same for every
// copy of one task, so setting a task aside twice keeps one member and its
// first score); the set ListKey lists the subscriptions that have any, so
// a restarted dispatcher finds them without scanning the keyspace.
package park

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

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
// A release that meets another replica's publishes of the same members in
// process tries again after twin × twinBackoff, up to twinRetries times in
// a row (about 1.4 s in all).
const (
	twinRetries = 7
	twinBackoff = 50 * time.Millisecond
)

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
	rdb    redis.UniversalClient
	queue  Enqueuer
	clock  clock.Clock
	log    *slog.Logger
	prefix string // + subscription id: sorted set of tasks
	list   string // set of subscription ids with tasks
}

// New returns the Lot of paused and suspended subscriptions (KeyPrefix, ListKey).
func New(rdb redis.UniversalClient, q Enqueuer, c clock.Clock, log *slog.Logger) *Lot {
	return NewWithKeys(rdb, q, c, log, KeyPrefix, ListKey)
}

// NewWithKeys returns a Lot over other Redis keys: the dispatcher keeps the
// tasks held at a subscription's in-flight cap in one (package lane).
func NewWithKeys(rdb redis.UniversalClient, q Enqueuer, c clock.Clock, log *slog.Logger, prefix, list string) *Lot {
	return &Lot{rdb: rdb, queue: q, clock: c, log: log, prefix: prefix, list: list}
}

// Park sets t aside until Release(t.SubscriptionID).
func (l *Lot) Park(ctx context.Context, t task.Task) error {
	return l.ParkAll(ctx, []task.Task{t})
}

// ParkAll sets every task aside in one round trip. The callers have made
// each one t.SetAside(). A task set aside already (a copy of it) keeps its
// member and its place.
func (l *Lot) ParkAll(ctx context.Context, ts []task.Task) error {
	now := float64(l.clock.Now().UnixMilli())
	_, err := l.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, t := range ts {
			b, err := t.Encode()
			if err != nil {
				return err
			}
			p.ZAddNX(ctx, l.prefix+t.SubscriptionID, redis.Z{Score: now, Member: b})
			p.SAdd(ctx, l.list, t.SubscriptionID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set aside %d tasks: %w", len(ts), err)
	}
	return nil
}

// Subscriptions lists the subscriptions that have parked tasks.
func (l *Lot) Subscriptions(ctx context.Context) ([]string, error) {
	ids, err := l.rdb.SMembers(ctx, l.list).Result()
	if err != nil {
		return nil, fmt.Errorf("list parked subscriptions: %w", err)
	}
	return ids, nil
}

// Total is the number of tasks set aside in the lot, over all
// subscriptions (one SMEMBERS and one pipelined ZCARD per subscription).
func (l *Lot) Total(ctx context.Context) (int64, error) {
	ids, err := l.Subscriptions(ctx)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	cmds := make([]*redis.IntCmd, len(ids))
	_, err = l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.ZCard(ctx, l.prefix+id)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count set-aside tasks: %w", err)
	}
	var n int64
	for _, c := range cmds {
		n += c.Val()
	}
	return n, nil
}

// Count is the number of tasks parked for subID.
func (l *Lot) Count(ctx context.Context, subID string) (int64, error) {
	n, err := l.rdb.ZCard(ctx, l.prefix+subID).Result()
	if err != nil {
		return 0, fmt.Errorf("count parked tasks of %s: %w", subID, err)
	}
	return n, nil
}

// Release puts every task parked for subID back on the queue, oldest first,
// and returns how many. Each batch is published (idempotently: the MsgID
// of a released member is always the same, task.Task.Released) before it
// is removed, so a crash loses nothing.
func (l *Lot) Release(ctx context.Context, subID string) (int, error) {
	return l.ReleaseN(ctx, subID, -1)
}

// ReleaseN is Release of at most n tasks (n < 0: all).
//
// Only the tasks parked when the release starts are released: a task set
// aside again meanwhile (its subscription was paused again, and the worker
// parked the released task anew: a member of its own, its Parked count one
// higher) has a later score and waits for the next release, so a release
// never chases its own tail.
func (l *Lot) ReleaseN(ctx context.Context, subID string, n int) (int, error) {
	key, total := l.prefix+subID, 0
	last, err := l.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: key, Start: 0, Stop: 0, Rev: true}).Result()
	if err != nil {
		return 0, fmt.Errorf("read parked tasks of %s: %w", subID, err)
	}
	bound := "-inf" // nothing parked: only forget the subscription
	if len(last) > 0 {
		bound = strconv.FormatFloat(last[0].Score, 'f', -1, 64)
	}
	twin := 0 // rounds in a row that met a twin's publishes in process
	for len(last) > 0 && (n < 0 || total < n) {
		size := batch
		if n >= 0 {
			size = min(batch, n-total)
		}
		members, err := l.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
			Key: key, Start: "-inf", Stop: bound, ByScore: true, Count: int64(size),
		}).Result()
		if err != nil {
			return total, fmt.Errorf("read parked tasks of %s: %w", subID, err)
		}
		if len(members) == 0 {
			break
		}
		remove, all, err := task.EnqueueMembers(ctx, l.queue, l.log, members, task.Task.Released, "subscription_id", subID)
		if len(remove) > 0 {
			if rerr := l.rdb.ZRem(ctx, key, remove...).Err(); rerr != nil {
				return total, errors.Join(fmt.Errorf("remove released tasks of %s: %w", subID, rerr), err)
			}
		}
		if err != nil {
			return total, fmt.Errorf("release parked tasks of %s: %w", subID, err)
		}
		total += len(remove)
		if all {
			twin = 0
			continue
		}
		// Another replica is publishing some of these at this moment (both
		// got the same wake-up): in a moment its publishes are stored, ours
		// are acknowledged as duplicates and the members removed, by it or
		// by us. Try again shortly rather than leave them for the sweep.
		if twin++; twin > twinRetries {
			return total, nil // still in process: the twin or the next sweep finishes
		}
		t := time.NewTimer(time.Duration(twin) * twinBackoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return total, ctx.Err()
		case <-t.C:
		}
	}
	if err := forget.Run(ctx, l.rdb, []string{key, l.list}, subID).Err(); err != nil {
		return total, fmt.Errorf("forget parked subscription %s: %w", subID, err)
	}
	return total, nil
}
