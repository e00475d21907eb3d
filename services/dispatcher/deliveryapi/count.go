package deliveryapi

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// CountDeliveries counts the deliveries created in a window by
// subscription and state: of one subscription the caller sees, or of
// every subscription its scope covers.
func (s *Server) CountDeliveries(ctx context.Context, req *hookwirev1.CountDeliveriesRequest) (*hookwirev1.CountDeliveriesResponse, error) {
	f, err := s.countFilter(req)
	if err != nil {
		return nil, err
	}
	if f.Scope, err = callerScope(ctx); err != nil {
		return nil, err
	}
	if f.SubscriptionID != "" {
		sv, err := s.visibility().subscription(ctx, f.SubscriptionID)
		if err != nil {
			return nil, s.grpcError("count deliveries", err)
		}
		if sv == subHidden {
			return nil, s.grpcError("count deliveries", subscription.ErrNotFound)
		}
	}
	counts, err := s.log.Count(ctx, f)
	if err != nil {
		return nil, s.grpcError("count deliveries", err)
	}
	resp := &hookwirev1.CountDeliveriesResponse{Counts: make([]*hookwirev1.DeliveryCount, len(counts))}
	for i, c := range counts {
		resp.Counts[i] = &hookwirev1.DeliveryCount{SubscriptionId: c.SubscriptionID, State: c.State.Proto(), Count: c.N}
	}
	return resp, nil
}

func (s *Server) countFilter(req *hookwirev1.CountDeliveriesRequest) (deliverylog.CountFilter, error) {
	var v badrequest.Violations
	f := deliverylog.CountFilter{SubscriptionID: req.GetSubscriptionId()}
	if f.SubscriptionID != "" {
		checkSubscriptionID(&v, f.SubscriptionID)
	}
	if req.GetStartTime() == nil {
		v.Add("start_time", "is required")
	} else {
		f.Since = req.GetStartTime().AsTime()
	}
	f.Until = s.now()
	if req.GetEndTime() != nil {
		f.Until = req.GetEndTime().AsTime()
	}
	if req.GetStartTime() != nil && !f.Until.After(f.Since) {
		v.Add("end_time", "must be after start_time")
	}
	return f, v.Err()
}

// callerScope is the scope of the caller's token: listings and counts
// cover the subscriptions at or under it.
func callerScope(ctx context.Context) (string, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return "", status.Error(codes.PermissionDenied, "no authenticated caller")
	}
	return p.Scope, nil
}
