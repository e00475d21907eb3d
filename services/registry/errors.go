package registry

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/catalog"
	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/registry/idempotency"
)

var (
	// errScopeFull: the scope already holds MaxSubscriptionsPerScope
	// subscriptions. It maps to RESOURCE_EXHAUSTED (a quota, like AIP-193
	// says), not FAILED_PRECONDITION: no state change of the caller's other
	// than deleting subscriptions makes a retry succeed.
	errScopeFull = errors.New("the scope has reached its maximum number of subscriptions")
	// errIndexBehind: the in-memory index did not catch up with this
	// replica's own write in time.
	errIndexBehind = errors.New("subscription index is catching up, retry")
)

// grpcError maps a domain error to a gRPC status; it is the only place that
// does. Status errors (validation, permission) pass through unchanged;
// anything unexpected is logged with the operation and answered INTERNAL
// without details.
func (s *Service) grpcError(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, subscription.ErrNotFound):
		return status.Error(codes.NotFound, "subscription not found")
	case errors.Is(err, catalog.ErrNotFound):
		return status.Error(codes.NotFound, "event type not found")
	case errors.Is(err, subscription.ErrConflict):
		return status.Error(codes.Aborted, "the subscription changed since the given revision; read it again and retry")
	case errors.Is(err, subscription.ErrExists):
		return status.Error(codes.AlreadyExists, "subscription already exists")
	case errors.Is(err, catalog.ErrExists):
		return status.Error(codes.AlreadyExists, "event type already exists")
	case errors.Is(err, idempotency.ErrMismatch):
		return badrequest.Field("x-request-id", "already used with a different request in the last 24 h; use a new id")
	case errors.Is(err, errScopeFull):
		return status.Errorf(codes.ResourceExhausted, "%s (%d)", errScopeFull, s.cfg.MaxSubscriptionsPerScope)
	case errors.Is(err, errIndexBehind):
		return status.Error(codes.Unavailable, errIndexBehind.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	case errors.Is(err, seal.ErrOpen):
		s.log.Error(op+": cannot open a sealed value: its master key is not in HOOKWIRE_MASTER_KEY or HOOKWIRE_MASTER_KEYS_PREVIOUS, or it was moved from another record or field", "error", err)
		return status.Error(codes.Internal, "stored secret cannot be opened with the configured master key")
	}
	s.log.Error(op+" failed", "error", err)
	return status.Error(codes.Internal, op+" failed")
}
