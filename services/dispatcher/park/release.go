package park

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/telemetry"
)

// Index finds subscriptions (match.Index).
type Index interface {
	Get(id string) (*subscription.Record, bool)
}

// Releaser moves parked tasks back to the queue when their subscription is
// active again or deleted. Wake asks for one subscription; a sweep over
// every subscription with parked tasks runs at start and every sweep
// interval, as a safety net (a replica restarted, a wake lost to an error).
type Releaser struct {
	lot   *Lot
	index Index
	log   *slog.Logger
	sweep time.Duration
	// throttle keeps a Redis outage to one line per cause and interval.
	throttle *telemetry.Throttle

	mu      sync.Mutex
	pending map[string]struct{}
	signal  chan struct{}
}

// NewReleaser returns a Releaser over lot; sweep <= 0 means 30s.
func NewReleaser(lot *Lot, index Index, log *slog.Logger, sweep time.Duration) *Releaser {
	if sweep <= 0 {
		sweep = 30 * time.Second
	}
	return &Releaser{lot: lot, index: index, log: log, sweep: sweep, throttle: telemetry.NewThrottle(log, telemetry.ThrottleInterval),
		pending: map[string]struct{}{}, signal: make(chan struct{}, 1)}
}

// Wake asks for the release of subID's parked tasks; it never blocks.
func (r *Releaser) Wake(subID string) {
	r.mu.Lock()
	r.pending[subID] = struct{}{}
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

// Run releases woken subscriptions until ctx ends. Start it once the index
// is synced: releasing depends on the subscriptions' current status.
func (r *Releaser) Run(ctx context.Context) error {
	tick := time.NewTicker(r.sweep)
	defer tick.Stop()
	r.sweepAll(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			r.sweepAll(ctx)
		case <-r.signal:
		}
		r.mu.Lock()
		ids := r.pending
		r.pending = map[string]struct{}{}
		r.mu.Unlock()
		for id := range ids {
			r.release(ctx, id)
		}
	}
}

// sweepAll wakes every subscription that has parked tasks and may release them.
func (r *Releaser) sweepAll(ctx context.Context) {
	ids, err := r.lot.Subscriptions(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.throttle.Fail(ctx, "sweep parked tasks", err)
		}
		return
	}
	r.throttle.OK(ctx, "sweep parked tasks")
	for _, id := range ids {
		if rec, ok := r.index.Get(id); !ok || rec.Status == subscription.StatusActive {
			r.Wake(id)
		}
	}
}

func (r *Releaser) release(ctx context.Context, id string) {
	if rec, ok := r.index.Get(id); ok && rec.Status != subscription.StatusActive {
		return // paused again meanwhile
	}
	n, err := r.lot.Release(ctx, id)
	if err != nil {
		if ctx.Err() == nil {
			r.throttle.Fail(ctx, "release parked tasks", err, "subscription_id", id, "released", n)
		}
		return // the next sweep tries again
	}
	r.throttle.OK(ctx, "release parked tasks")
	if n > 0 {
		r.log.Info("released parked tasks", "subscription_id", id, "tasks", n)
	}
}
