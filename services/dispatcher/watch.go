package dispatcher

import (
	"context"
	"sync"

	"github.com/hookwire/hookwire/pkg/subscription"
)

// watch keeps the match index equal to the subscription bucket until ctx
// ends; synced is closed once the index holds every stored record. A
// subscription that becomes ACTIVE again, or is deleted, gets its parked
// tasks released (before the sync the releaser's first sweep covers them).
// Suspensions and recoveries are announced (package ops): live ones as
// they happen, and at start the dispatcher's own suspensions that nobody
// announced yet (their announcer may have died).
func (s *Service) watch(ctx context.Context, synced chan<- struct{}) error {
	var once sync.Once
	done := false
	return s.store.Watch(ctx, func(c subscription.Change) {
		if c.Deleted {
			s.index.Delete(c.ID)
			if done {
				s.releaser.Wake(c.ID)
			}
			return
		}
		prev, had := s.index.Get(c.ID)
		rec := c.Record
		s.index.Put(&rec)
		switch {
		case !done:
			// The principal, not UpdatedBy: a caller sets x-user-id, the principal
			// comes from its token.
			if rec.Status == subscription.StatusSuspended && rec.UpdatedByPrincipal == suspendedBy {
				s.notifier.Changed(ctx, rec, c.Revision, true)
			}
			return
		case rec.Status == subscription.StatusActive && (!had || prev.Status != subscription.StatusActive):
			s.releaser.Wake(c.ID)
			if had && prev.Status == subscription.StatusSuspended {
				s.notifier.Changed(ctx, rec, c.Revision, false)
			}
		case rec.Status == subscription.StatusSuspended && had && prev.Status == subscription.StatusActive:
			s.notifier.Changed(ctx, rec, c.Revision, false)
		}
	}, func() {
		done = true
		once.Do(func() { close(synced) })
	}, func(key string, err error) {
		s.log.Error("skipping undecodable subscription record", "key", key, "err", err)
	})
}
