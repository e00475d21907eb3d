package deliveryapi

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

var (
	// errPending: Redeliver of a delivery whose attempts are still running.
	errPending = errors.New("the delivery is pending: its schedule is still running")
	// errSubscriptionGone: Redeliver for a deleted subscription.
	errSubscriptionGone = errors.New("the delivery's subscription was deleted")
	// errNoSequence: a record without the event's EVENTS sequence cannot be
	// turned into a task.
	errNoSequence = errors.New("the delivery has no event sequence to redeliver from")
)

// grpcError maps a domain error to a gRPC status; it is the only place that
// does. Status errors (validation) pass through; anything unexpected is
// logged with the operation and answered INTERNAL without details.
func (s *Server) grpcError(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, deliverylog.ErrNotFound):
		return status.Error(codes.NotFound, "delivery not found")
	case errors.Is(err, subscription.ErrNotFound):
		return status.Error(codes.NotFound, "subscription not found")
	case errors.Is(err, errPending), errors.Is(err, errSubscriptionGone), errors.Is(err, errNoSequence):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	s.logger.Error(op+" failed", "error", err)
	return status.Error(codes.Internal, op+" failed")
}
