package deliveryapi

import (
	"context"
	"errors"

	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// ListDeliveries lists the deliveries matching every filter of the request
// (subscription, event, state, status class, creation window) among those
// of the subscriptions the caller's scope covers, in the store's order. A
// page may be short and still carry a next token: the KV store bounds the
// records read per page.
func (s *Server) ListDeliveries(ctx context.Context, req *hookwirev1.ListDeliveriesRequest) (*hookwirev1.ListDeliveriesResponse, error) {
	f, err := listFilter(req)
	if err != nil {
		return nil, err
	}
	if f.Scope, err = callerScope(ctx); err != nil {
		return nil, err
	}
	v := s.visibility()
	if f.SubscriptionID != "" {
		// A subscription outside the caller's scope is NotFound, not an
		// empty list; a deleted one still lists, judged per delivery.
		sv, err := v.subscription(ctx, f.SubscriptionID)
		if err != nil {
			return nil, s.grpcError("list deliveries", err)
		}
		if sv == subHidden {
			return nil, s.grpcError("list deliveries", subscription.ErrNotFound)
		}
	}
	ds, next, err := s.log.List(ctx, f, int(req.GetPageSize()), req.GetPageToken())
	if errors.Is(err, deliverylog.ErrBadPageToken) {
		return nil, badrequest.Field("page_token", "%s", err.Error())
	}
	if errors.Is(err, deliverylog.ErrBadFilter) {
		return nil, badrequest.Field("filter", "%s", err.Error())
	}
	if err != nil {
		return nil, s.grpcError("list deliveries", err)
	}
	resp := &hookwirev1.ListDeliveriesResponse{NextPageToken: next}
	for _, d := range ds {
		ok, err := v.sees(ctx, d)
		if err != nil {
			return nil, s.grpcError("list deliveries", err)
		}
		if ok {
			resp.Deliveries = append(resp.Deliveries, d.Proto())
		}
	}
	return resp, nil
}

// GetDelivery returns one delivery with its attempts.
func (s *Server) GetDelivery(ctx context.Context, req *hookwirev1.GetDeliveryRequest) (*hookwirev1.GetDeliveryResponse, error) {
	if err := validateDeliveryID(req.GetDeliveryId()); err != nil {
		return nil, err
	}
	d, err := s.visibleDelivery(ctx, req.GetDeliveryId())
	if err != nil {
		return nil, s.grpcError("get delivery", err)
	}
	return &hookwirev1.GetDeliveryResponse{Delivery: d.Proto()}, nil
}

// visibleDelivery reads a delivery the caller may see; any other is
// deliverylog.ErrNotFound.
func (s *Server) visibleDelivery(ctx context.Context, id string) (deliverylog.Delivery, error) {
	d, err := s.log.Get(ctx, id)
	if err != nil {
		return deliverylog.Delivery{}, err
	}
	ok, err := s.visibility().sees(ctx, d)
	if err != nil {
		return deliverylog.Delivery{}, err
	}
	if !ok {
		return deliverylog.Delivery{}, deliverylog.ErrNotFound
	}
	return d, nil
}
