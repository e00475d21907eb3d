package ops

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/subscription"
)

// ClaimPrefix + event id marks a status change as announced: the replica
// that sets it sends the e-mails, so they go out once.
const ClaimPrefix = "hookwire:announced:"

const claimTTL = 30 * 24 * time.Hour

// Mailer sends suspension notices (mail.Mailer).
type Mailer interface {
	Enabled() bool
	SendSuspended(ctx context.Context, rec subscription.Record) error
}

// Announcer publishes events (Publisher).
type Announcer interface {
	Publish(ctx context.Context, ev bus.Event) error
}

// Notifier announces status changes: the operational event (published by
// every replica that sees the change; the deterministic id keeps one) and,
// for a suspension, the e-mails (sent by the replica that claims it).
type Notifier struct {
	pub   Announcer
	mail  Mailer
	rdb   redis.Cmdable
	log   *slog.Logger
	queue chan change
}

type change struct {
	rec    subscription.Record
	rev    uint64
	replay bool // seen while replaying the bucket at start
}

// NewNotifier returns a Notifier; call Run to process changes.
func NewNotifier(pub Announcer, m Mailer, rdb redis.Cmdable, log *slog.Logger) *Notifier {
	return &Notifier{pub: pub, mail: m, rdb: rdb, log: log, queue: make(chan change, 1024)}
}

// Changed reports rec, stored at revision rev, as having just become
// SUSPENDED or (from SUSPENDED) ACTIVE. With replay the change is older than
// this process and is announced only if nobody has yet. It never blocks
// for long: status changes are rare.
func (n *Notifier) Changed(ctx context.Context, rec subscription.Record, rev uint64, replay bool) {
	select {
	case n.queue <- change{rec: rec, rev: rev, replay: replay}:
	case <-ctx.Done():
	}
}

// Run announces changes until ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-n.queue:
			if err := n.announce(ctx, c); err != nil && ctx.Err() == nil {
				n.log.Error("announce subscription status change", "subscription_id", c.rec.ID, "status", c.rec.Status, "err", err)
			}
		}
	}
}

func (n *Notifier) announce(ctx context.Context, c change) error {
	build := Recovered
	if c.rec.Status == subscription.StatusSuspended {
		build = Suspended
	}
	ev, err := build(c.rec, c.rev)
	if err != nil {
		return err
	}
	claimed, err := n.rdb.SetNX(ctx, ClaimPrefix+ev.ID, 1, claimTTL).Result()
	if err != nil {
		return fmt.Errorf("claim %s: %w", ev.ID, err)
	}
	if c.replay && !claimed {
		return nil // announced before this process started
	}
	if err := n.publish(ctx, ev); err != nil {
		return err
	}
	n.log.Info("announced subscription status change", "event_id", ev.ID, "subscription_id", c.rec.ID)
	if !claimed || c.rec.Status != subscription.StatusSuspended || len(c.rec.NotificationEmails) == 0 {
		return nil
	}
	if !n.mail.Enabled() {
		n.log.Warn("no SMTP server (HOOKWIRE_SMTP_ADDR): suspension e-mails skipped",
			"subscription_id", c.rec.ID, "recipients", len(c.rec.NotificationEmails))
		return nil
	}
	if err := n.mail.SendSuspended(ctx, c.rec); err != nil {
		return err
	}
	n.log.Info("suspension e-mailed", "subscription_id", c.rec.ID, "recipients", len(c.rec.NotificationEmails))
	return nil
}

// publish retries a few times: the event must not be lost to a blip.
func (n *Notifier) publish(ctx context.Context, ev bus.Event) error {
	var err error
	for i := range 5 {
		if err = n.pub.Publish(ctx, ev); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(1<<i) * 100 * time.Millisecond):
		}
	}
	return err
}
