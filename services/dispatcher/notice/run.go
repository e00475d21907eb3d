package notice

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/mail"
)

// Sender hands a message to the SMTP server (mail.Mailer).
type Sender interface {
	Send(ctx context.Context, to []string, msg []byte) error
}

// HeldCounter counts a subscription's parked deliveries (park.Lot).
type HeldCounter interface {
	Count(ctx context.Context, subID string) (int64, error)
}

// Timing of the runner.
const (
	poll      = time.Second      // how often the queue is read when nothing wakes the runner
	lease     = 2 * time.Minute  // a claimed notice is another replica's again after this (an SMTP conversation ends within 30s)
	firstWait = 5 * time.Second  // back-off after the first failed attempt, doubled after each
	maxWait   = 10 * time.Minute // longest back-off
	warnEvery = time.Hour        // WARN about one unsent notice at most this often, after the first
)

// Deps are a Runner's dependencies.
type Deps struct {
	Outbox   *Outbox
	Sender   Sender
	Composer mail.Composer
	Held     HeldCounter
	Clock    clock.Clock
	Logger   *slog.Logger
}

// Runner sends the outbox's due notices.
type Runner struct {
	d         Deps
	warnAfter time.Duration
	metrics   *metrics
	throttle  *telemetry.Throttle // an SMTP or Redis outage: one line per interval, then "recovered"
}

// NewRunner returns a Runner; a notice still unsent warnAfter after it was
// recorded is logged at WARN (once, then at most hourly).
func NewRunner(d Deps, warnAfter time.Duration) *Runner {
	return &Runner{d: d, warnAfter: warnAfter, metrics: newMetrics(), throttle: telemetry.NewThrottle(d.Logger, telemetry.ThrottleInterval)}
}

// Run sends due notices until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	reg, err := r.metrics.register(r.d.Outbox)
	if err != nil {
		return fmt.Errorf("notice metrics: %w", err)
	}
	defer func() { _ = reg.Unregister() }()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	var moved <-chan struct{}
	for {
		if m, ok := r.d.Clock.(clock.Mover); ok {
			moved = m.Moved()
		}
		r.sendDue(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-moved:
		case <-r.d.Outbox.wake:
		}
	}
}

// sendDue sends due notices one at a time: each is claimed just before its
// attempt, so a slow SMTP server never lets a lease run out on a notice
// still waiting its turn here.
func (r *Runner) sendDue(ctx context.Context) {
	for ctx.Err() == nil {
		ids, err := r.d.Outbox.claim(ctx, lease, 1)
		if err != nil {
			if ctx.Err() == nil {
				r.throttle.Fail(ctx, "claim notices", err)
			}
			return
		}
		r.throttle.OK(ctx, "claim notices")
		if len(ids) == 0 {
			return
		}
		if err := r.send(ctx, ids[0]); err != nil && ctx.Err() == nil {
			r.throttle.Fail(ctx, "send notice", err, "notice_id", ids[0])
		} else if err == nil {
			r.throttle.OK(ctx, "send notice")
		}
	}
}

// send makes one attempt at the claimed notice id. When ctx ends first
// nothing is marked: the lease runs out and the notice is taken again.
func (r *Runner) send(ctx context.Context, id string) error {
	e, ok, err := r.d.Outbox.load(ctx, id)
	if err != nil {
		return err
	}
	if !ok || e.sent {
		return r.d.Outbox.drop(ctx, id) // expired, or sent by a replica whose lease had run out
	}
	if e.Follows != "" {
		prev, ok, err := r.d.Outbox.load(ctx, e.Follows)
		if err != nil {
			return err
		}
		if ok && !prev.sent { // a recovery never overtakes its suspension
			return r.d.Outbox.postpone(ctx, id, r.d.Clock.Now().Add(poll))
		}
	}
	err = r.attempt(ctx, &e)
	if ctx.Err() != nil {
		return nil
	}
	if err == nil {
		if err := r.d.Outbox.sent(ctx, id); err != nil {
			return err
		}
		r.metrics.sent.Add(ctx, 1)
		r.d.Logger.InfoContext(ctx, "notice e-mailed", "notice_id", id, "subscription_id", e.SubscriptionID,
			"recipients", len(e.To), "attempts", e.attempts+1)
		return nil
	}
	r.metrics.failed.Add(ctx, 1)
	e.attempts++
	now := r.d.Clock.Now()
	if err := r.d.Outbox.failed(ctx, e, now.Add(backoff(e.attempts)), err); err != nil {
		return err
	}
	r.warn(ctx, e, now, err)
	return nil
}

// attempt composes and sends e once.
func (r *Runner) attempt(ctx context.Context, e *entry) error {
	if e.Kind == mail.Suspended {
		held, err := r.d.Held.Count(ctx, e.SubscriptionID)
		if err != nil {
			return err
		}
		e.Held = held
	}
	msg, err := r.d.Composer.Compose(e.Notice, r.d.Clock.Now())
	if err != nil {
		return err
	}
	return r.d.Sender.Send(ctx, e.To, msg)
}

// warn logs a notice still unsent warnAfter after it was recorded: once,
// then at most every warnEvery (over all replicas).
func (r *Runner) warn(ctx context.Context, e entry, now time.Time, cause error) {
	if now.Sub(e.created) < r.warnAfter || (!e.warned.IsZero() && now.Sub(e.warned) < warnEvery) {
		return
	}
	if err := r.d.Outbox.warnedAt(ctx, e.id, now); err != nil {
		r.d.Logger.Error("note notice warning", "notice_id", e.id, "err", err)
	}
	r.d.Logger.WarnContext(ctx, "notice e-mail not sent yet: the merchant does not know", "notice_id", e.id,
		"subscription_id", e.SubscriptionID, "kind", e.Kind, "recipients", len(e.To), "attempts", e.attempts,
		"pending_for", now.Sub(e.created).Round(time.Second).String(), "err", cause)
}

// backoff is the wait after the n-th failed attempt.
func backoff(n int) time.Duration {
	d := firstWait
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	return min(d, maxWait)
}

// Outbox is where the runner takes its notices from.
func (r *Runner) Outbox() *Outbox { return r.d.Outbox }
