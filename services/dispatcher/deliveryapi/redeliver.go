package deliveryapi

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Redeliver queues one new attempt of a finished (delivered, failed or
// discarded) delivery, with the same webhook-id. The delivery turns PENDING
// until the worker records the attempt, so a second Redeliver meanwhile is
// refused instead of queueing a duplicate.
func (s *Server) Redeliver(ctx context.Context, req *hookwirev1.RedeliverRequest) (*hookwirev1.RedeliverResponse, error) {
	id := req.GetDeliveryId()
	if err := validateDeliveryID(id); err != nil {
		return nil, err
	}
	d, err := s.redeliver(ctx, id)
	if err != nil {
		return nil, s.grpcError("redeliver", err)
	}
	return &hookwirev1.RedeliverResponse{Delivery: d.Proto()}, nil
}

func (s *Server) redeliver(ctx context.Context, id string) (deliverylog.Delivery, error) {
	d, err := s.visibleDelivery(ctx, id)
	if err != nil {
		return deliverylog.Delivery{}, err
	}
	if _, _, err := s.subs.Get(ctx, d.SubscriptionID); err != nil {
		if errors.Is(err, subscription.ErrNotFound) {
			return deliverylog.Delivery{}, errSubscriptionGone
		}
		return deliverylog.Delivery{}, err
	}
	if d.EventSeq == 0 {
		return deliverylog.Delivery{}, errNoSequence
	}
	var before deliverylog.Delivery
	now := s.now().UTC()
	d, err = s.log.Update(ctx, id, func(cur *deliverylog.Delivery) error {
		if cur.State == deliverylog.Pending || cur.State == deliverylog.Held {
			return errPending
		}
		before = *cur
		cur.State, cur.NextAttemptAt = deliverylog.Pending, now
		return nil
	})
	if err != nil {
		return deliverylog.Delivery{}, err
	}
	t := task.Task{DeliveryID: d.ID, SubscriptionID: d.SubscriptionID, EventID: d.EventID,
		EventSeq: d.EventSeq, Step: 0, Trigger: task.Redeliver, Run: newRun()}
	if err := s.queue.Enqueue(ctx, t); err != nil {
		s.restore(id, before, len(d.Attempts))
		return deliverylog.Delivery{}, err
	}
	s.logger.InfoContext(ctx, "redelivery queued", "delivery_id", d.ID, "run", t.Run)
	return d, nil
}

// restore puts back the state a failed Redeliver changed, unless a worker
// wrote an attempt in between.
func (s *Server) restore(id string, before deliverylog.Delivery, attempts int) {
	ctx, cancel := context.WithTimeout(context.Background(), restoreTimeout)
	defer cancel()
	_, err := s.log.Update(ctx, id, func(cur *deliverylog.Delivery) error {
		if cur.State != deliverylog.Pending || len(cur.Attempts) != attempts {
			return errSkip
		}
		cur.State, cur.NextAttemptAt = before.State, before.NextAttemptAt
		return nil
	})
	if err != nil && !errors.Is(err, errSkip) {
		s.logger.Error("redeliver: restore state after enqueue failure", "delivery_id", id, "error", err)
	}
}

var errSkip = errors.New("skip")

const restoreTimeout = 5 * time.Second

// newRun names one Redeliver or Replay request: tasks of different requests
// never collide in the queue's duplicate window, tasks of one request do.
func newRun() string { return rand.Text() }
