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
// caller's scope is left out, as its deliveries are from a listing. Those
// are dropped after the store ranked them, so it is asked for more, from
// where its last answer ended, until the limit is filled or it has no more.
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
	v := s.visibility()
	resp := &hookwirev1.ListFailingSubscriptionsResponse{}
	for batch := limit; len(resp.Subscriptions) < limit; batch = min(2*batch, deliverylog.MaxFailingLimit) {
		ranked, err := s.log.Failing(ctx, f, batch)
		if errors.Is(err, deliverylog.ErrBadFilter) {
			return nil, badrequest.Field("end_time", "%s", err.Error())
		}
		if err != nil {
			return nil, s.grpcError("list failing subscriptions", err)
		}
		resp.Truncated = resp.Truncated || ranked.Truncated
		for _, x := range ranked.Subscriptions {
			if len(resp.Subscriptions) == limit {
				break
			}
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
		if len(ranked.Subscriptions) < batch {
			break // the store has no more
		}
		f.After = ranked.Subscriptions[len(ranked.Subscriptions)-1]
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
	switch {
	case req.GetStartTime() == nil:
	case !f.Until.After(f.Since):
		v.Add("end_time", "must be after start_time")
	case f.Until.Sub(f.Since) > deliverylog.MaxFailingWindow:
		v.Add("start_time", "must be at most %s before end_time (or now)", deliverylog.MaxFailingWindow)
	}
	limit := int(req.GetLimit())
	if limit < 0 || limit > deliverylog.MaxFailingLimit {
		v.Add("limit", "must be 1 to %d (0 means %d)", deliverylog.MaxFailingLimit, deliverylog.DefaultFailingLimit)
	} else if limit == 0 {
		limit = deliverylog.DefaultFailingLimit
	}
	return f, limit, v.Err()
}
