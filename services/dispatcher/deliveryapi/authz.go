package deliveryapi

import (
	"context"
	"errors"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// loadSubscription returns the subscription if the caller may see it; one
// outside the caller's scope is subscription.ErrNotFound, like a missing one.
func (s *Server) loadSubscription(ctx context.Context, id string) (subscription.Record, error) {
	rec, _, err := s.subs.Get(ctx, id)
	if err != nil {
		return subscription.Record{}, err
	}
	if auth.CheckScope(ctx, rec.Scope) != nil {
		return subscription.Record{}, subscription.ErrNotFound
	}
	return rec, nil
}

// visibility decides, per subscription, whether the caller sees its
// deliveries, with one subscription lookup per request.
type visibility struct {
	s     *Server
	known map[string]subVisibility
}

type subVisibility int

const (
	subVisible subVisibility = iota + 1
	subHidden                // exists, outside the caller's scope
	subDeleted               // judged per delivery, by the subscription scope it recorded
)

func (s *Server) visibility() *visibility {
	return &visibility{s: s, known: map[string]subVisibility{}}
}

// subscription looks up (once) how the caller sees subscription id.
func (v *visibility) subscription(ctx context.Context, id string) (subVisibility, error) {
	if sv, ok := v.known[id]; ok {
		return sv, nil
	}
	rec, _, err := v.s.subs.Get(ctx, id)
	switch {
	case err == nil && auth.CheckScope(ctx, rec.Scope) == nil:
		v.known[id] = subVisible
	case err == nil:
		v.known[id] = subHidden
	case errors.Is(err, subscription.ErrNotFound):
		v.known[id] = subDeleted
	default:
		return 0, err
	}
	return v.known[id], nil
}

// sees reports whether the caller may see d.
func (v *visibility) sees(ctx context.Context, d deliverylog.Delivery) (bool, error) {
	sv, err := v.subscription(ctx, d.SubscriptionID)
	if err != nil {
		return false, err
	}
	if sv == subDeleted {
		// The event's scope says nothing about who owned the subscription:
		// a subscription at acquirers/1 receives events of its merchants,
		// whose tokens must not read its endpoint's answers; the scope the
		// subscription had, recorded with the delivery, does.
		return auth.CheckScope(ctx, d.SubscriptionScope) == nil, nil
	}
	return sv == subVisible, nil
}
