package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/match"
	"github.com/hookwire/hookwire/services/dispatcher/ops"
	"github.com/hookwire/hookwire/services/dispatcher/streak"
	"github.com/hookwire/hookwire/services/dispatcher/worker"
)

// suspendedBy is the audit name of the dispatcher's own status changes.
// It starts with auth.ReservedPrefix, which no token may be named with, so
// a caller cannot pass a suspension of its own for the dispatcher's (the
// watch announces the dispatcher's at start).
const suspendedBy = "hookwire-dispatcher"

var errNotActive = errors.New("subscription is not active")

// suspender suspends a subscription: its endpoint answered 410 Gone, or
// HOOKWIRE_SUSPEND_AFTER deliveries in a row exhausted their retries.
type suspender struct {
	store    *subscription.Store
	index    *match.Index
	clock    clock.Clock
	log      *slog.Logger
	notifier *ops.Notifier
	streaks  *streak.Counter
}

// Suspend marks subID SUSPENDED with reason, unless it is not ACTIVE any
// more (paused by a user, already suspended, deleted). The index is updated
// at once, ahead of the watch, so the next task of subID is parked rather
// than sent again; the suspension is announced (notice e-mail, event) from
// here, since the watch of this process will see no change any more.
//
// It logs the suspension once, as a WARN with the attempt that decided it
// and its trace: the update is a compare-and-set, so of two replicas
// deciding at once only one gets here.
func (s suspender) Suspend(ctx context.Context, why worker.Suspension) error {
	subID, reason := why.SubscriptionID, why.Reason
	rec, rev, err := s.store.Update(ctx, subID, 0, s.clock.Now().UTC(), func(r *subscription.Record) error {
		if r.Status != subscription.StatusActive {
			return errNotActive
		}
		r.Status, r.StatusReason, r.UpdatedBy, r.UpdatedByPrincipal = subscription.StatusSuspended, reason, suspendedBy, suspendedBy
		return nil
	})
	if errors.Is(err, errNotActive) || errors.Is(err, subscription.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("suspend subscription %s: %w", subID, err)
	}
	s.index.Put(&rec)
	s.log.WarnContext(ctx, "subscription suspended", "subscription_id", subID, "reason", reason,
		"delivery_id", why.DeliveryID, "attempts", why.Attempts, "last_status", why.LastStatus, "last_error", why.LastError)
	// The notice is recorded before the streak it reports is reset; if
	// this fails, Changed below tries again.
	if err := s.notifier.Suspended(ctx, rec, rev); err != nil {
		s.log.Error("record suspension notice", "subscription_id", subID, "err", err)
	}
	if err := s.streaks.Reset(ctx, subID); err != nil {
		s.log.Warn("reset exhausted streak", "subscription_id", subID, "err", err)
	}
	s.notifier.Changed(ctx, rec, rev, false)
	return nil
}
