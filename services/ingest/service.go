// Package ingest is the ingest service: it validates the events internal
// producers publish and stores the accepted ones in the JetStream stream
// EVENTS (pkg/bus), answering only once JetStream has acknowledged them, so
// an OK answer means the event is durable.
//
// An event is (scope, event_id): two tenants' events never collide. Every
// publish is answered truthfully for the whole dedup horizon
// (HOOKWIRE_DEDUP_TTL, 72 h) from the event's Redis record, shared with the
// dispatcher (pkg/eventrecord documents the protocol and why every crash
// point is safe): a repeat with the same content is duplicate=true with the
// original sequence, one with other content is ALREADY_EXISTS naming the
// fields that differ (event_type, occurred_at, attributes, data).
//
// Event data may be sent as a Struct or as data_json; either way it must be
// a JSON object and is stored compacted. An event without data is stored
// with "data": {} so subscribers always receive an object.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/catalog"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// Deps are the service's dependencies.
type Deps struct {
	// JS is the JetStream context of a connected NATS client. The service
	// derives its own async publisher from JS.Conn().
	JS jetstream.JetStream
	// Redis holds the event records (pkg/eventrecord), shared with the
	// dispatcher.
	Redis redis.Scripter
	// Logger receives the service's logs.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service implements hookwirev1.IngestServiceServer.
type Service struct {
	hookwirev1.UnimplementedIngestServiceServer

	cfg   Config
	js    jetstream.JetStream // async publisher with bounded pending acks
	rdb   redis.Scripter
	cat   *catalog.Catalog
	types *knownTypes
	check validator
	log   *slog.Logger
	now   func() time.Time
	obs   *observer
}

// New ensures the EVENTS stream and the catalog bucket exist and returns
// the service. Call Run to load and follow the catalog: until the first load
// is done every publish answers Unavailable.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	if deps.JS == nil || deps.Redis == nil || deps.Logger == nil {
		return nil, errors.New("ingest: Deps.JS, Deps.Redis and Deps.Logger are required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	js, err := jetstream.New(deps.JS.Conn(),
		jetstream.WithPublishAsyncMaxPending(cfg.MaxPendingAcks),
		jetstream.WithPublishAsyncTimeout(cfg.AckTimeout),
	)
	if err != nil {
		return nil, fmt.Errorf("ingest: jetstream publisher: %w", err)
	}
	if _, err := bus.EnsureEvents(ctx, deps.JS, bus.EventsConfig(cfg.StreamReplicas, cfg.DuplicateWindow, cfg.EventsMaxAge)); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	cat, err := catalog.Open(ctx, deps.JS, cfg.StreamReplicas)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	obs, err := newObserver(deps.Logger)
	if err != nil {
		return nil, err
	}
	s := &Service{
		obs:   obs,
		cfg:   cfg,
		js:    js,
		rdb:   deps.Redis,
		cat:   cat,
		types: newKnownTypes(),
		log:   deps.Logger,
		now:   deps.Now,
	}
	s.check = validator{known: s.types.Has, maxBytes: cfg.MaxEventBytes, maxDepth: cfg.MaxDataDepth}
	return s, nil
}

// Register registers IngestService on g.
func (s *Service) Register(g grpc.ServiceRegistrar) {
	hookwirev1.RegisterIngestServiceServer(g, s)
}

// AuthRules are the permissions the service's methods need.
func (s *Service) AuthRules() auth.Rules {
	return auth.Rules{
		hookwirev1.IngestService_Publish_FullMethodName:       auth.Publish,
		hookwirev1.IngestService_PublishStream_FullMethodName: auth.Publish,
	}
}

// Ready is closed once the event-type catalog is loaded and the service
// accepts events.
func (s *Service) Ready() <-chan struct{} { return s.types.Ready() }

// Run follows the event-type catalog until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	s.types.watch(ctx, s.cat, s.log)
	return nil
}
