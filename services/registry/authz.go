package registry

import (
	"context"

	"github.com/hookwire/hookwire/pkg/auth"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/subscription"
)

// AuthRules maps every RegistryService method to the permission it needs.
func (s *Service) AuthRules() auth.Rules {
	read := []string{
		hookwirev1.RegistryService_GetSubscription_FullMethodName,
		hookwirev1.RegistryService_ListSubscriptions_FullMethodName,
		hookwirev1.RegistryService_ListEventTypes_FullMethodName,
	}
	manage := []string{
		hookwirev1.RegistryService_CreateSubscription_FullMethodName,
		hookwirev1.RegistryService_UpdateSubscription_FullMethodName,
		hookwirev1.RegistryService_DeleteSubscription_FullMethodName,
		hookwirev1.RegistryService_RotateSecret_FullMethodName,
		hookwirev1.RegistryService_PauseSubscription_FullMethodName,
		hookwirev1.RegistryService_ResumeSubscription_FullMethodName,
		hookwirev1.RegistryService_TestEndpoint_FullMethodName,
		hookwirev1.RegistryService_CreateEventType_FullMethodName,
	}
	r := auth.Rules{}
	for _, m := range read {
		r[m] = auth.Read
	}
	for _, m := range manage {
		r[m] = auth.Manage
	}
	return r
}

// callerName names the caller for idempotency keys; "" for internal calls.
func callerName(ctx context.Context) string {
	if p, ok := auth.FromContext(ctx); ok {
		return p.Name
	}
	return ""
}

// load returns the subscription id if the caller may see it. A subscription
// outside the caller's scope is reported as not found, the same as a
// missing one, so a token cannot probe which ids exist elsewhere.
func (s *Service) load(ctx context.Context, id string) (subscription.Record, uint64, error) {
	rec, rev, err := s.store.Get(ctx, id)
	if err != nil {
		return subscription.Record{}, 0, err
	}
	if auth.CheckScope(ctx, rec.Scope) != nil {
		return subscription.Record{}, 0, subscription.ErrNotFound
	}
	return rec, rev, nil
}

// visible reports whether the caller may see rec.
func visible(ctx context.Context, rec *subscription.Record) bool {
	return auth.CheckScope(ctx, rec.Scope) == nil
}
