package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/oklog/ulid/v2"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/catalog"
	"github.com/hookwire/hookwire/pkg/eventtype"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/reqmeta"
	"github.com/hookwire/hookwire/pkg/signing"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/registry/idempotency"
)

// IDPrefix starts every subscription id; a ULID follows, so ids sort in
// creation order.
const IDPrefix = "sub_"

// CreateSubscription implements RegistryService.
func (s *Service) CreateSubscription(ctx context.Context, req *hookwirev1.CreateSubscriptionRequest) (*hookwirev1.CreateSubscriptionResponse, error) {
	resp, err := s.createSubscription(ctx, req)
	return resp, s.grpcError("create subscription", err)
}

func (s *Service) createSubscription(ctx context.Context, req *hookwirev1.CreateSubscriptionRequest) (*hookwirev1.CreateSubscriptionResponse, error) {
	sub := req.GetSubscription()
	if sub == nil {
		return nil, badrequest.Field("subscription", "required")
	}
	var v badrequest.Violations
	checkScope(&v, "subscription.scope", sub.GetScope())
	s.validateFields(&v, sub, mutable)
	if sec := req.GetSigningSecret(); sec != "" {
		v.Check("signing_secret", signing.ValidateSecret(sec))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.checkKnownTypes(ctx, "subscription.event_types", sub.GetEventTypes()); err != nil {
		return nil, err
	}
	if err := auth.CheckScope(ctx, sub.GetScope()); err != nil {
		return nil, err
	}

	// A caller-supplied x-request-id makes the call idempotent for 24 h.
	var key, fingerprint string
	if id, fromCaller := reqmeta.RequestID(ctx); fromCaller {
		key = idempotency.Key("CreateSubscription", callerName(ctx), id)
		var err error
		if fingerprint, err = idempotency.Fingerprint(req); err != nil {
			return nil, err
		}
		prev := &hookwirev1.CreateSubscriptionResponse{}
		if found, err := s.requests.Get(ctx, key, fingerprint, prev); err != nil || found {
			return prev, err
		}
	}
	if err := s.checkQuota(ctx, sub.GetScope()); err != nil {
		return nil, err
	}
	resp, rev, err := s.create(ctx, sub, req.GetSigningSecret())
	if err != nil {
		return nil, err
	}
	s.wrote(rev)
	if key == "" {
		return resp, nil
	}
	stored, err := s.requests.Remember(ctx, key, fingerprint, resp)
	if err != nil {
		// The subscription exists; failing now would make the retry create a
		// second one, so answer and let the log tell.
		s.log.Error("create subscription: response not remembered for its request id", "id", resp.GetSubscription().GetId(), "error", err)
		return resp, nil
	}
	if stored {
		return resp, nil
	}
	// A concurrent call with the same request id won: undo ours, answer theirs.
	if err := s.remove(ctx, resp.GetSubscription().GetId(), rev); err != nil && !errors.Is(err, subscription.ErrNotFound) {
		return nil, fmt.Errorf("undo duplicate create: %w", err)
	}
	prev := &hookwirev1.CreateSubscriptionResponse{}
	if _, err := s.requests.Get(ctx, key, fingerprint, prev); err != nil {
		return nil, err
	}
	return prev, nil
}

// create stores a new record built from sub (validated) and returns the
// response with its one-time secret and generated key.
func (s *Service) create(ctx context.Context, sub *hookwirev1.Subscription, secret string) (*hookwirev1.CreateSubscriptionResponse, uint64, error) {
	now, user, principal := s.now(), reqmeta.UserID(ctx), callerName(ctx)
	rec := subscription.Record{
		ID:              IDPrefix + ulid.Make().String(),
		Scope:           sub.GetScope(),
		Status:          subscription.StatusActive,
		SecretCreatedAt: now,
		CreatedAt:       now,
		UpdatedAt:       now,
		CreatedBy:       user,
		UpdatedBy:       user,

		CreatedByPrincipal: principal,
		UpdatedByPrincipal: principal,
	}
	var key []byte
	for _, path := range mutable {
		generated, err := s.apply(&rec, sub, path)
		if err != nil {
			return nil, 0, err
		}
		if generated != nil {
			key = generated
		}
	}
	if secret == "" {
		var err error
		if secret, err = signing.NewSecret(); err != nil {
			return nil, 0, fmt.Errorf("new signing secret: %w", err)
		}
	}
	sealed, err := s.box.Seal([]byte(secret), subscription.Place(rec.ID, subscription.FieldSigningSecret))
	if err != nil {
		return nil, 0, fmt.Errorf("seal signing secret: %w", err)
	}
	rec.Secrets = []subscription.Secret{{Sealed: sealed}}
	rev, err := s.store.Create(ctx, rec)
	if err != nil {
		return nil, 0, err
	}
	return &hookwirev1.CreateSubscriptionResponse{
		Subscription:  toProto(&rec, rev),
		SigningSecret: secret,
		EncryptionKey: key,
	}, rev, nil
}

// checkKnownTypes rejects exact event types missing from the catalog;
// wildcards need no entry.
func (s *Service) checkKnownTypes(ctx context.Context, field string, patterns []string) error {
	var v badrequest.Violations
	for i, p := range patterns {
		if eventtype.IsWildcard(p) {
			continue
		}
		_, err := s.catalog.Get(ctx, p)
		if errors.Is(err, catalog.ErrNotFound) {
			v.Add(fmt.Sprintf("%s[%d]", field, i), "unknown event type %q: create it with CreateEventType or use a wildcard", p)
			continue
		}
		if err != nil {
			return err
		}
	}
	return v.Err()
}

// checkQuota enforces MaxSubscriptionsPerScope at one exact scope. It is
// counted on this replica's index, so replicas creating at the same instant
// may overshoot it by a few: a guard against runaway clients, not a ledger.
func (s *Service) checkQuota(ctx context.Context, sc string) error {
	if err := s.caughtUp(ctx); err != nil {
		return err
	}
	n := s.index.Count(func(r *subscription.Record) bool { return r.Scope == sc })
	if n >= s.cfg.MaxSubscriptionsPerScope {
		return errScopeFull
	}
	return nil
}
