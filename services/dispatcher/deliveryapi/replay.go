package deliveryapi

import (
	"context"
	"fmt"
	"time"

	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// window is a validated Replay request.
type window struct {
	subID            string
	start, end       time.Time
	includeDelivered bool
}

// Replay queues a delivery task for every event stored in EVENTS during the
// window that matches the subscription (scope, type, attribute filters; its
// status is ignored: the worker decides), skipping those already delivered
// unless include_delivered is set. Window times are the broker's receive
// times, the same clock EVENTS's max age uses.
func (s *Server) Replay(ctx context.Context, req *hookwirev1.ReplayRequest) (*hookwirev1.ReplayResponse, error) {
	w, err := s.replayWindow(ctx, req)
	if err != nil {
		return nil, s.grpcError("replay", err)
	}
	rec, err := s.loadSubscription(ctx, w.subID)
	if err != nil {
		return nil, s.grpcError("replay", err)
	}
	r := &replay{s: s, rec: &rec, w: w, run: newRun()}
	if err := r.scan(ctx); err != nil {
		return nil, s.grpcError("replay", err)
	}
	s.logger.InfoContext(ctx, "replay queued", "subscription_id", w.subID, "run", r.run,
		"start", w.start, "end", w.end, "events_matched", r.matched, "deliveries_queued", r.queued)
	return &hookwirev1.ReplayResponse{EventsMatched: r.matched, DeliveriesQueued: r.queued}, nil
}

// replayWindow validates the request; the window may not be longer than
// EVENTS keeps events.
func (s *Server) replayWindow(ctx context.Context, req *hookwirev1.ReplayRequest) (window, error) {
	var v badrequest.Violations
	w := window{subID: req.GetSubscriptionId(), end: s.now(), includeDelivered: req.GetIncludeDelivered()}
	if w.subID == "" {
		v.Add("subscription_id", "is required")
	} else {
		checkSubscriptionID(&v, w.subID)
	}
	switch {
	case req.GetStartTime() == nil:
		v.Add("start_time", "is required")
	case req.GetStartTime().CheckValid() != nil:
		v.Add("start_time", "%s", req.GetStartTime().CheckValid().Error())
	default:
		w.start = req.GetStartTime().AsTime()
	}
	if req.GetEndTime() != nil {
		if err := req.GetEndTime().CheckValid(); err != nil {
			v.Add("end_time", "%s", err.Error())
		} else {
			w.end = req.GetEndTime().AsTime()
		}
	}
	if !v.Empty() {
		return window{}, v.Err()
	}
	if !w.end.After(w.start) {
		if req.GetEndTime() == nil {
			return window{}, badrequest.Field("start_time", "must be in the past")
		}
		return window{}, badrequest.Field("end_time", "must be after start_time")
	}
	info, err := s.events.Info(ctx)
	if err != nil {
		return window{}, fmt.Errorf("read EVENTS stream info: %w", err)
	}
	if maxAge := info.Config.MaxAge; maxAge > 0 && w.end.Sub(w.start) > maxAge {
		return window{}, badrequest.Field("start_time", "the window (%s) is longer than EVENTS keeps events (%s)",
			w.end.Sub(w.start).Round(time.Second), maxAge)
	}
	return w, nil
}
