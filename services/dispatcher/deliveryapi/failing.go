package deliveryapi

import (
	"context"
	"errors"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/scope"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// ListFailingSubscriptions ranks the subscriptions at or under the
// requested scope (the caller's by default) by their failed attempts in
// the window. The store selects deliveries by the subscription scope they
// recorded, as ListDeliveries does; a subscription that exists outside the
// caller's scope is left out, as its deliveries are from a listing.
func (s *Server) ListFailingSubscriptions(ctx context.Context, req *hookwirev1.ListFailingSubscriptionsRequest) (*hookwirev1.ListFailingSubscriptionsResponse, error) {
	f, limit, err := s.failureFilter(req)
	if err != nil {
		return nil, err
	}
	caller, err := callerScope(ctx)
	if err != nil {
		return nil, err
	}
	if f.Scope == "" {
		f.Scope = caller
	} else if err := auth.CheckScope(ctx, f.Scope); err != nil {
		return nil, err
	}
	ranked, err := s.log.Failing(ctx, f, limit)
	if errors.Is(err, deliverylog.ErrBadFilter) {
		return nil, badrequest.Field("end_time", "%s", err.Error())
	}
	if err != nil {
		return nil, s.grpcError("list failing subscriptions", err)
	}
	v := s.visibility()
	resp := &hookwirev1.ListFailingSubscriptionsResponse{}
	for _, x := range ranked {
		sv, err := v.subscription(ctx, x.SubscriptionID)
		if err != nil {
			return nil, s.grpcError("list failing subscriptions", err)
		}
		if sv == subHidden {
			continue
		}
		resp.Subscriptions = append(resp.Subscriptions, &hookwirev1.SubscriptionFailures{
			SubscriptionId: x.SubscriptionID, FailedAttempts: x.Attempts, LastFailureTime: timestamppb.New(x.LastAt),
			LastHttpStatus: int32(x.LastStatus), LastError: x.LastError,
		})
	}
	return resp, nil
}

func (s *Server) failureFilter(req *hookwirev1.ListFailingSubscriptionsRequest) (deliverylog.FailureFilter, int, error) {
	var v badrequest.Violations
	f := deliverylog.FailureFilter{Scope: req.GetScope(), Until: s.now()}
	if f.Scope != "" {
		if err := scope.Validate(f.Scope); err != nil {
			v.Add("scope", "%s", err.Error())
		}
	}
	if req.GetStartTime() == nil {
		v.Add("start_time", "is required")
	} else {
		f.Since = req.GetStartTime().AsTime()
	}
	if req.GetEndTime() != nil {
		f.Until = req.GetEndTime().AsTime()
	}
	if req.GetStartTime() != nil && !f.Until.After(f.Since) {
		v.Add("end_time", "must be after start_time")
	}
	if n := req.GetLimit(); n < 0 || n > deliverylog.MaxFailingLimit {
		v.Add("limit", "must be 1 to %d (0 means %d)", deliverylog.MaxFailingLimit, deliverylog.DefaultFailingLimit)
	}
	return f, int(req.GetLimit()), v.Err()
}
