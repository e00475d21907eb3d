package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Key is the Redis sorted set of waiting retries.
const Key = "hookwire:retries"

// Defaults.
const (
	DefaultPollInterval = 100 * time.Millisecond
	DefaultBatch        = 512
)

// Enqueuer puts tasks on the delivery queue (task.Queue).
type Enqueuer interface {
	EnqueueAll(ctx context.Context, ts []task.Task) error
}

// Scheduler keeps waiting retries in Redis and releases them when due.
type Scheduler struct {
	rdb      redis.Cmdable
	queue    Enqueuer
	clock    clock.Clock
	log      *slog.Logger
	interval time.Duration
	batch    int64
	throttle *telemetry.Throttle // a Redis outage: one line per interval, then "recovered"
}

// New returns a Scheduler; interval <= 0 means DefaultPollInterval.
func New(rdb redis.Cmdable, q Enqueuer, c clock.Clock, log *slog.Logger, interval time.Duration) *Scheduler {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	return &Scheduler{rdb: rdb, queue: q, clock: c, log: log, interval: interval, batch: DefaultBatch,
		throttle: telemetry.NewThrottle(log, telemetry.ThrottleInterval)}
}

// Schedule makes t due at the given time. Scheduling the same task twice
// keeps one entry (the later due time).
func (s *Scheduler) Schedule(ctx context.Context, t task.Task, due time.Time) error {
	b, err := t.Encode()
	if err != nil {
		return err
	}
	if err := s.rdb.ZAdd(ctx, Key, redis.Z{Score: float64(due.UnixMilli()), Member: b}).Err(); err != nil {
		return fmt.Errorf("schedule retry %s: %w", t.MsgID(), err)
	}
	return nil
}

// Waiting is the number of scheduled retries.
func (s *Scheduler) Waiting(ctx context.Context) (int64, error) {
	n, err := s.rdb.ZCard(ctx, Key).Result()
	if err != nil {
		return 0, fmt.Errorf("count retries: %w", err)
	}
	return n, nil
}

// Overdue is how long the earliest retry has been past its due time (0:
// none is due). It stays near the poll interval while the poller keeps up.
func (s *Scheduler) Overdue(ctx context.Context) (time.Duration, error) {
	zs, err := s.rdb.ZRangeWithScores(ctx, Key, 0, 0).Result()
	if err != nil {
		return 0, fmt.Errorf("read the earliest retry: %w", err)
	}
	if len(zs) == 0 {
		return 0, nil
	}
	return max(s.clock.Now().Sub(time.UnixMilli(int64(zs[0].Score))), 0), nil
}

// Run releases due retries until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	var moved <-chan struct{}
	for {
		if m, ok := s.clock.(clock.Mover); ok {
			moved = m.Moved()
		}
		if _, err := s.Release(ctx); err != nil && ctx.Err() == nil {
			s.throttle.Fail(ctx, "release due retries", err)
		} else if err == nil {
			s.throttle.OK(ctx, "release due retries")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-moved:
		}
	}
}

// Release enqueues every retry due now, a batch at a time, and returns how
// many it moved.
func (s *Scheduler) Release(ctx context.Context) (int, error) {
	total := 0
	for {
		now := strconv.FormatInt(s.clock.Now().UnixMilli(), 10)
		members, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
			Key: Key, Start: "-inf", Stop: now, ByScore: true, Count: s.batch,
		}).Result()
		if err != nil {
			return total, fmt.Errorf("read due retries: %w", err)
		}
		if len(members) == 0 {
			return total, nil
		}
		moved, err := moveToQueue(ctx, s.rdb, s.queue, s.log, Key, members)
		if err != nil {
			return total, err
		}
		if !moved { // another replica is releasing them: leave the rest to it
			return total, nil
		}
		total += len(members)
		if int64(len(members)) < s.batch {
			return total, nil
		}
	}
}

// moveToQueue publishes the tasks of members (task.EnqueueMembers) and
// removes from the sorted set key those it may. moved is false, with no
// error, when another replica is releasing the rest at that moment.
func moveToQueue(ctx context.Context, rdb redis.Cmdable, q Enqueuer, log *slog.Logger, key string, members []string) (moved bool, err error) {
	remove, all, err := task.EnqueueMembers(ctx, q, log, members, func(t task.Task) task.Task { return t }, "key", key)
	if len(remove) > 0 {
		if rerr := rdb.ZRem(ctx, key, remove...).Err(); rerr != nil {
			return false, errors.Join(fmt.Errorf("remove %d released retries: %w", len(remove), rerr), err)
		}
	}
	if err != nil {
		return false, fmt.Errorf("enqueue %d due retries: %w", len(members), err)
	}
	return all, nil
}
