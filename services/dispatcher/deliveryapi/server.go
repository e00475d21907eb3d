// Package deliveryapi serves the gRPC DeliveryService: the delivery log
// (ListDeliveries, GetDelivery) and the ways to send again (Redeliver,
// Replay), which enqueue delivery tasks for the dispatcher's workers.
//
// Authorization: List, Get, Count and ListFailingSubscriptions need the read permission, Redeliver and Replay
// manage. A token bound to scope S sees only deliveries of subscriptions at
// or under S; anything else answers NotFound, exactly like a missing id, so a
// token cannot probe what exists elsewhere. The deliveries of a deleted
// subscription are judged by the event's scope, which is at or under the
// subscription's.
package deliveryapi

import (
	"context"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	"github.com/hookwire/hookwire/pkg/auth"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Enqueuer stores delivery tasks durably (task.Queue).
type Enqueuer interface {
	Enqueue(ctx context.Context, t task.Task) error
}

// batchEnqueuer is used by Replay when the Enqueuer also offers it
// (task.Queue does): one round of acknowledgements per batch.
type batchEnqueuer interface {
	EnqueueAll(ctx context.Context, ts []task.Task) error
}

// Deps are the server's collaborators.
type Deps struct {
	Log           deliverylog.Store
	Subscriptions *subscription.Store
	Events        jetstream.Stream // EVENTS, read by Replay
	Enqueuer      Enqueuer
	Clock         func() time.Time // nil: time.Now
	Logger        *slog.Logger     // nil: slog.Default()
}

// Server implements hookwirev1.DeliveryServiceServer.
type Server struct {
	hookwirev1.UnimplementedDeliveryServiceServer
	log    deliverylog.Store
	subs   *subscription.Store
	events jetstream.Stream
	queue  Enqueuer
	now    func() time.Time
	logger *slog.Logger
}

// New builds the server.
func New(deps Deps) *Server {
	s := &Server{log: deps.Log, subs: deps.Subscriptions, events: deps.Events, queue: deps.Enqueuer,
		now: deps.Clock, logger: deps.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	return s
}

// Register registers the DeliveryService on g.
func (s *Server) Register(g grpc.ServiceRegistrar) {
	hookwirev1.RegisterDeliveryServiceServer(g, s)
}

// AuthRules maps every DeliveryService method to the permission it needs.
func AuthRules() auth.Rules {
	return auth.Rules{
		hookwirev1.DeliveryService_ListDeliveries_FullMethodName:           auth.Read,
		hookwirev1.DeliveryService_GetDelivery_FullMethodName:              auth.Read,
		hookwirev1.DeliveryService_CountDeliveries_FullMethodName:          auth.Read,
		hookwirev1.DeliveryService_ListFailingSubscriptions_FullMethodName: auth.Read,
		hookwirev1.DeliveryService_Redeliver_FullMethodName:                auth.Manage,
		hookwirev1.DeliveryService_Replay_FullMethodName:                   auth.Manage,
	}
}
