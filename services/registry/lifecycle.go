package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/reqmeta"
	"github.com/hookwire/hookwire/pkg/signing"
	"github.com/hookwire/hookwire/pkg/subscription"
)

// MaxSecretOverlap bounds RotateSecret's previous_secret_ttl.
const MaxSecretOverlap = 30 * 24 * time.Hour

// DeleteSubscription implements RegistryService.
func (s *Service) DeleteSubscription(ctx context.Context, req *hookwirev1.DeleteSubscriptionRequest) (*hookwirev1.DeleteSubscriptionResponse, error) {
	if req.GetId() == "" {
		return nil, badrequest.Field("id", "required")
	}
	err := s.deleteSubscription(ctx, req.GetId(), req.GetRevision())
	if err != nil {
		return nil, s.grpcError("delete subscription", err)
	}
	return &hookwirev1.DeleteSubscriptionResponse{}, nil
}

func (s *Service) deleteSubscription(ctx context.Context, id string, rev uint64) error {
	if _, _, err := s.load(ctx, id); err != nil {
		return err
	}
	return s.remove(ctx, id, rev)
}

// remove deletes the record and notes the write for read-your-writes.
func (s *Service) remove(ctx context.Context, id string, rev uint64) error {
	if err := s.store.Delete(ctx, id, rev); err != nil {
		return err
	}
	// A delete returns no revision; the bucket's last sequence is at or
	// after the delete marker, which is what read-your-writes needs.
	st, err := s.store.KV().Status(ctx)
	if err != nil {
		return fmt.Errorf("bucket status after delete: %w", err)
	}
	if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok {
		s.wrote(bs.StreamInfo().State.LastSeq)
	}
	return nil
}

// PauseSubscription implements RegistryService.
func (s *Service) PauseSubscription(ctx context.Context, req *hookwirev1.PauseSubscriptionRequest) (*hookwirev1.PauseSubscriptionResponse, error) {
	var v badrequest.Violations
	if req.GetId() == "" {
		v.Add("id", "required")
	}
	if len(req.GetReason()) > MaxReasonLen {
		v.Add("reason", "at most %d characters", MaxReasonLen)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sub, err := s.setStatus(ctx, req.GetId(), subscription.StatusPaused, req.GetReason())
	if err != nil {
		return nil, s.grpcError("pause subscription", err)
	}
	return &hookwirev1.PauseSubscriptionResponse{Subscription: sub}, nil
}

// ResumeSubscription implements RegistryService; it clears PAUSED and
// SUSPENDED alike.
func (s *Service) ResumeSubscription(ctx context.Context, req *hookwirev1.ResumeSubscriptionRequest) (*hookwirev1.ResumeSubscriptionResponse, error) {
	if req.GetId() == "" {
		return nil, badrequest.Field("id", "required")
	}
	sub, err := s.setStatus(ctx, req.GetId(), subscription.StatusActive, "")
	if err != nil {
		return nil, s.grpcError("resume subscription", err)
	}
	return &hookwirev1.ResumeSubscriptionResponse{Subscription: sub}, nil
}

func (s *Service) setStatus(ctx context.Context, id string, st subscription.Status, reason string) (*hookwirev1.Subscription, error) {
	return s.change(ctx, id, func(r *subscription.Record) error {
		r.Status, r.StatusReason = st, reason
		return nil
	})
}

// change applies fn to the latest record the caller may see.
func (s *Service) change(ctx context.Context, id string, fn func(*subscription.Record) error) (*hookwirev1.Subscription, error) {
	if _, _, err := s.load(ctx, id); err != nil {
		return nil, err
	}
	rec, rev, err := s.store.Update(ctx, id, 0, s.now(), func(r *subscription.Record) error {
		if !visible(ctx, r) {
			return subscription.ErrNotFound
		}
		r.UpdatedBy, r.UpdatedByPrincipal = reqmeta.UserID(ctx), callerName(ctx)
		return fn(r)
	})
	if err != nil {
		return nil, err
	}
	s.wrote(rev)
	return toProto(&rec, rev), nil
}

// RotateSecret implements RegistryService: the new secret signs first, the
// previous one keeps signing until now + overlap, older ones are dropped.
func (s *Service) RotateSecret(ctx context.Context, req *hookwirev1.RotateSecretRequest) (*hookwirev1.RotateSecretResponse, error) {
	var v badrequest.Violations
	if req.GetId() == "" {
		v.Add("id", "required")
	}
	if sec := req.GetSigningSecret(); sec != "" {
		v.Check("signing_secret", signing.ValidateSecret(sec))
	}
	overlap := s.cfg.SecretOverlap
	if ttl := req.GetPreviousSecretTtl(); ttl != nil {
		if err := ttl.CheckValid(); err != nil || ttl.AsDuration() < 0 || ttl.AsDuration() > MaxSecretOverlap {
			v.Add("previous_secret_ttl", "must be between 0s and %s", MaxSecretOverlap)
		}
		overlap = ttl.AsDuration()
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	resp, err := s.rotate(ctx, req.GetId(), req.GetSigningSecret(), overlap)
	return resp, s.grpcError("rotate secret", err)
}

func (s *Service) rotate(ctx context.Context, id, secret string, overlap time.Duration) (*hookwirev1.RotateSecretResponse, error) {
	if secret == "" {
		var err error
		if secret, err = signing.NewSecret(); err != nil {
			return nil, fmt.Errorf("new signing secret: %w", err)
		}
	}
	// Previous secrets keep their sealed form: one place holds every
	// signing secret of a subscription, current or previous.
	sealed, err := s.box.Seal([]byte(secret), subscription.Place(id, subscription.FieldSigningSecret))
	if err != nil {
		return nil, fmt.Errorf("seal signing secret: %w", err)
	}
	now := s.now()
	expires := now.Add(overlap)
	sub, err := s.change(ctx, id, func(r *subscription.Record) error {
		kept := []subscription.Secret{{Sealed: sealed}}
		if len(r.Secrets) > 0 && overlap > 0 {
			kept = append(kept, subscription.Secret{Sealed: r.Secrets[0].Sealed, ExpiresAt: expires})
		}
		r.Secrets = kept
		r.SecretCreatedAt = now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &hookwirev1.RotateSecretResponse{
		SigningSecret:            secret,
		PreviousSecretExpireTime: timestamppb.New(expires),
		Subscription:             sub,
	}, nil
}
