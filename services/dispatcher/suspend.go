package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/match"
)

// suspendedBy is the audit name of the dispatcher's own status changes.
const suspendedBy = "hookwire-dispatcher"

var errNotActive = errors.New("subscription is not active")

// suspender suspends a subscription (endpoint answered 410 Gone).
type suspender struct {
	store *subscription.Store
	index *match.Index
	clock clock.Clock
	log   *slog.Logger
}

// Suspend marks subID SUSPENDED with reason, unless it is not ACTIVE any
// more (paused by a user, already suspended, deleted). The index is updated
// at once, ahead of the watch, so the next task of subID is parked rather
// than sent again.
func (s suspender) Suspend(ctx context.Context, subID, reason string) error {
	rec, _, err := s.store.Update(ctx, subID, 0, s.clock.Now().UTC(), func(r *subscription.Record) error {
		if r.Status != subscription.StatusActive {
			return errNotActive
		}
		r.Status, r.StatusReason, r.UpdatedBy = subscription.StatusSuspended, reason, suspendedBy
		return nil
	})
	if errors.Is(err, errNotActive) || errors.Is(err, subscription.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("suspend subscription %s: %w", subID, err)
	}
	s.index.Put(&rec)
	s.log.Warn("subscription suspended", "subscription_id", subID, "reason", reason)
	return nil
}
