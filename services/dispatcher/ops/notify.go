package ops

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/mail"
	"github.com/hookwire/hookwire/services/dispatcher/streak"
)

// ClaimPrefix + event id marks a status change as announced: set once its
// notice is recorded, so a replica replaying the bucket at start announces
// only what nobody did.
const ClaimPrefix = "hookwire:announced:"

const claimTTL = 30 * 24 * time.Hour

// Announcer publishes events (Publisher).
type Announcer interface {
	Publish(ctx context.Context, ev bus.Event) error
}

// Outbox records notices to be e-mailed (notice.Outbox).
type Outbox interface {
	Add(ctx context.Context, n mail.Notice) (bool, error)
	LastSuspension(ctx context.Context, subID string) (mail.Notice, bool, error)
}

// Streaks reads a subscription's run of FAILED deliveries (streak.Counter).
type Streaks interface {
	Get(ctx context.Context, subID string) (streak.Streak, error)
}

// NotifierDeps are a Notifier's dependencies.
type NotifierDeps struct {
	Publisher Announcer
	Outbox    Outbox // nil: no SMTP server, no e-mails
	Streaks   Streaks
	Redis     redis.Cmdable
	Logger    *slog.Logger
	Recovered bool // e-mail recoveries too, not only suspensions
}

// Notifier announces status changes: the operational event (published by
// every replica that sees the change; the deterministic id keeps one) and
// the notice e-mail, recorded in the outbox (once: its ID is the change's).
type Notifier struct {
	d     NotifierDeps
	queue chan change
}

type change struct {
	rec    subscription.Record
	rev    uint64
	replay bool // seen while replaying the bucket at start
}

// NewNotifier returns a Notifier; call Run to process changes.
func NewNotifier(d NotifierDeps) *Notifier {
	return &Notifier{d: d, queue: make(chan change, 1024)}
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

// Suspended records the notice of rec's suspension at revision rev now,
// while its streak of FAILED deliveries is still counted: the suspender
// calls it before it resets the streak.
func (n *Notifier) Suspended(ctx context.Context, rec subscription.Record, rev uint64) error {
	return n.record(ctx, rec, rev)
}

// Run announces changes until ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-n.queue:
			if err := n.announce(ctx, c); err != nil && ctx.Err() == nil {
				n.d.Logger.Error("announce subscription status change", "subscription_id", c.rec.ID, "status", c.rec.Status, "err", err)
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
	if c.replay {
		done, err := n.d.Redis.Exists(ctx, ClaimPrefix+ev.ID).Result()
		if err != nil {
			return fmt.Errorf("read claim %s: %w", ev.ID, err)
		}
		if done == 1 {
			return nil // announced before this process started
		}
	}
	if err := n.record(ctx, c.rec, c.rev); err != nil {
		return err
	}
	first, err := n.d.Redis.SetNX(ctx, ClaimPrefix+ev.ID, 1, claimTTL).Result()
	if err != nil {
		return fmt.Errorf("claim %s: %w", ev.ID, err)
	}
	if err := n.publish(ctx, ev); err != nil {
		return err
	}
	// Every replica's watch sees the change; the claim's first taker
	// reports a recovery (the suspension was reported by its suspender).
	if first && c.rec.Status == subscription.StatusActive {
		n.d.Logger.InfoContext(ctx, "subscription recovered", "subscription_id", c.rec.ID, "revision", c.rev,
			"resumed_by", c.rec.UpdatedByPrincipal, "event_id", ev.ID)
	}
	return nil
}

// record puts rec's notice in the outbox, unless there is nobody to tell
// or no way to tell them.
func (n *Notifier) record(ctx context.Context, rec subscription.Record, rev uint64) error {
	suspended := rec.Status == subscription.StatusSuspended
	if len(rec.NotificationEmails) == 0 || (!suspended && !n.d.Recovered) {
		return nil
	}
	if n.d.Outbox == nil {
		n.d.Logger.Warn("no SMTP server (HOOKWIRE_SMTP_ADDR): notice e-mail skipped",
			"subscription_id", rec.ID, "status", rec.Status, "recipients", len(rec.NotificationEmails))
		return nil
	}
	url, hidden := deliver.RedactURL(rec.URL)
	nt := mail.Notice{
		Kind: mail.Recovered, SubscriptionID: rec.ID, Revision: rev, Label: rec.Label, URL: url, URLHidden: hidden,
		To: rec.NotificationEmails, Support: rec.SupportEmail, At: rec.UpdatedAt.UTC(),
	}
	if suspended {
		s, err := n.d.Streaks.Get(ctx, rec.ID)
		if err != nil {
			return err
		}
		var span time.Duration
		for _, d := range rec.Delays() {
			span += d
		}
		nt.Kind, nt.Reason, nt.Failed, nt.FailingSince, nt.RetrySpan = mail.Suspended, rec.StatusReason, s.Failed, s.Since, mail.Duration(span)
	} else {
		last, ok, err := n.d.Outbox.LastSuspension(ctx, rec.ID)
		if err != nil {
			return err
		}
		if ok {
			nt.Follows, nt.SuspendedAt = last.ID(), last.At
			nt.Failed, nt.FailingSince, nt.RetrySpan = last.Failed, last.FailingSince, last.RetrySpan
		}
	}
	added, err := n.d.Outbox.Add(ctx, nt)
	if err != nil {
		return err
	}
	if added {
		n.d.Logger.Info("notice recorded", "notice_id", nt.ID(), "subscription_id", rec.ID, "recipients", len(nt.To))
	}
	return nil
}

// publish retries a few times: the event must not be lost to a blip.
func (n *Notifier) publish(ctx context.Context, ev bus.Event) error {
	var err error
	for i := range 5 {
		if err = n.d.Publisher.Publish(ctx, ev); err == nil {
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
