// Package ratelimit enforces a subscription's RateLimit{PerSecond, Burst}
// with GCRA in Redis (github.com/go-redis/redis_rate), so every dispatcher
// replica shares one budget per subscription. A limited delivery is not
// failed: the caller (package lane) holds it until the returned wait has
// passed and asks again; only an attempt actually sent uses the budget.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/pkg/subscription"
)

// KeyPrefix + subscription ID is the GCRA state in Redis (redis_rate adds
// its own "rate:" prefix).
const KeyPrefix = "hookwire:"

// Limiter checks per-subscription rate limits. It is safe for concurrent use.
type Limiter struct {
	l *redis_rate.Limiter
}

// New returns a Limiter over rdb.
func New(rdb redis.UniversalClient) *Limiter {
	return &Limiter{l: redis_rate.NewLimiter(rdb)}
}

// Limit converts rl to a GCRA limit: one request every 1/PerSecond seconds
// (fractional rates such as 0.5/s work), at most max(Burst, 1) at once.
func Limit(rl subscription.RateLimit) redis_rate.Limit {
	period := time.Duration(math.Round(float64(time.Second) / rl.PerSecond))
	return redis_rate.Limit{Rate: 1, Period: max(period, time.Microsecond), Burst: max(rl.Burst, 1)}
}

// Take asks for one attempt to subID under rl. It returns 0 when the
// attempt may go now (and counts it), else how long to wait before asking
// again (nothing is counted). A nil or non-positive rl never waits.
func (l *Limiter) Take(ctx context.Context, subID string, rl *subscription.RateLimit) (time.Duration, error) {
	if rl == nil || rl.PerSecond <= 0 {
		return 0, nil
	}
	res, err := l.l.Allow(ctx, KeyPrefix+subID, Limit(*rl))
	if err != nil {
		return 0, fmt.Errorf("rate limit of subscription %s: %w", subID, err)
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return max(res.RetryAfter, time.Millisecond), nil
}
