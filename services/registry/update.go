package registry

import (
	"context"
	"slices"

	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/reqmeta"
	"github.com/hookwire/hookwire/pkg/subscription"
)

// UpdateSubscription implements RegistryService: the update_mask paths are
// copied from subscription, then add_event_types and remove_event_types are
// applied. With subscription.revision set, a concurrent change fails the
// call with ABORTED; without it, the change is applied to the latest record.
func (s *Service) UpdateSubscription(ctx context.Context, req *hookwirev1.UpdateSubscriptionRequest) (*hookwirev1.UpdateSubscriptionResponse, error) {
	resp, err := s.updateSubscription(ctx, req)
	return resp, s.grpcError("update subscription", err)
}

func (s *Service) updateSubscription(ctx context.Context, req *hookwirev1.UpdateSubscriptionRequest) (*hookwirev1.UpdateSubscriptionResponse, error) {
	sub := req.GetSubscription()
	if sub == nil {
		return nil, badrequest.Field("subscription", "required")
	}
	paths, err := s.validateUpdate(ctx, req)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.load(ctx, sub.GetId()); err != nil {
		return nil, err
	}
	var key []byte
	rec, rev, err := s.store.Update(ctx, sub.GetId(), sub.GetRevision(), s.now(), func(r *subscription.Record) error {
		if !visible(ctx, r) {
			return subscription.ErrNotFound
		}
		key = nil
		for _, p := range paths {
			generated, err := s.apply(r, sub, p)
			if err != nil {
				return err
			}
			if generated != nil {
				key = generated
			}
		}
		r.EventTypes = editTypes(r.EventTypes, req.GetAddEventTypes(), req.GetRemoveEventTypes())
		if len(r.EventTypes) == 0 {
			return badrequest.Field("remove_event_types", "would leave the subscription without event types")
		}
		r.UpdatedBy, r.UpdatedByPrincipal = reqmeta.UserID(ctx), callerName(ctx)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.wrote(rev)
	return &hookwirev1.UpdateSubscriptionResponse{Subscription: toProto(&rec, rev), EncryptionKey: key}, nil
}

// validateUpdate checks the request and returns the mask's paths.
func (s *Service) validateUpdate(ctx context.Context, req *hookwirev1.UpdateSubscriptionRequest) ([]string, error) {
	sub := req.GetSubscription()
	var v badrequest.Violations
	if sub.GetId() == "" {
		v.Add("subscription.id", "required")
	}
	paths := dedup(req.GetUpdateMask().GetPaths())
	if len(paths) == 0 && len(req.GetAddEventTypes()) == 0 && len(req.GetRemoveEventTypes()) == 0 {
		v.Add("update_mask", "name at least one field to change, or use add_event_types / remove_event_types")
	}
	for _, p := range paths {
		switch {
		case p == "scope":
			v.Add("update_mask", "scope is immutable: create a subscription at the other scope instead")
		case !slices.Contains(mutable, p):
			v.Add("update_mask", "unknown or output-only path %q (allowed: %v)", p, mutable)
		}
	}
	if !v.Empty() {
		return nil, v.Err()
	}
	s.validateFields(&v, sub, paths)
	checkPatterns(&v, "add_event_types", req.GetAddEventTypes())
	checkPatterns(&v, "remove_event_types", req.GetRemoveEventTypes())
	if err := v.Err(); err != nil {
		return nil, err
	}
	if slices.Contains(paths, "event_types") {
		if err := s.checkKnownTypes(ctx, "subscription.event_types", sub.GetEventTypes()); err != nil {
			return nil, err
		}
	}
	if err := s.checkKnownTypes(ctx, "add_event_types", req.GetAddEventTypes()); err != nil {
		return nil, err
	}
	return paths, nil
}

// editTypes appends add (skipping ones present) and drops remove.
func editTypes(types, add, remove []string) []string {
	out := slices.Clone(types)
	for _, t := range add {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return slices.DeleteFunc(out, func(t string) bool { return slices.Contains(remove, t) })
}
