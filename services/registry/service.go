// Package registry is the registry service: subscriptions (webhooks) and the
// event-type catalog behind the gRPC RegistryService. Subscriptions live in
// the JetStream KV bucket of package subscription with every secret sealed
// under the master key; reads of lists come from an in-memory index kept
// current by watching that bucket.
package registry

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc"

	"github.com/hookwire/hookwire/pkg/catalog"
	"github.com/hookwire/hookwire/pkg/deliver"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/registry/idempotency"
	"github.com/hookwire/hookwire/services/registry/index"
)

// Deps are the registry's dependencies.
type Deps struct {
	JS     jetstream.JetStream
	Logger *slog.Logger
}

// Service implements hookwirev1.RegistryServiceServer.
type Service struct {
	hookwirev1.UnimplementedRegistryServiceServer

	cfg      Config
	log      *slog.Logger
	box      *seal.Box
	store    *subscription.Store
	catalog  *catalog.Catalog
	requests *idempotency.Store
	index    *index.Index
	sender   *deliver.Client
	now      func() time.Time
	metrics  metric.Registration

	// lastWrite is the highest bucket revision this replica wrote; list
	// reads wait for the index to reach it (read-your-writes).
	lastWrite atomic.Uint64
}

// indexWait bounds how long a read waits for the index to catch up with a
// write of this replica before failing with UNAVAILABLE.
const indexWait = 5 * time.Second

// New opens the buckets, loads the event-type catalog and returns the
// service. Call Run to keep the subscription index current.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("registry config: %w", err)
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	box, err := masterBox(cfg, log)
	if err != nil {
		return nil, err
	}
	store, err := subscription.Open(ctx, deps.JS, cfg.KVReplicas)
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Open(ctx, deps.JS, cfg.KVReplicas)
	if err != nil {
		return nil, err
	}
	requests, err := idempotency.Open(ctx, deps.JS, cfg.KVReplicas, box)
	if err != nil {
		return nil, err
	}
	if err := loadCatalog(ctx, cat, cfg, log); err != nil {
		return nil, err
	}
	allow := cfg.AllowCIDRs
	if cfg.Dev {
		allow = append(allow, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
		log.Warn("DEV MODE: TestEndpoint may reach loopback addresses (127.0.0.0/8, ::1)")
	}
	idx := index.New()
	metrics, err := observeSubscriptions(idx)
	if err != nil {
		return nil, err
	}
	return &Service{
		metrics:  metrics,
		cfg:      cfg,
		log:      log,
		box:      box,
		store:    store,
		catalog:  cat,
		requests: requests,
		index:    idx,
		sender:   deliver.NewClient(deliver.Options{AllowCIDRs: allow, HTTPSOnly: cfg.HTTPSOnly}),
		now:      func() time.Time { return time.Now().UTC() },
	}, nil
}

// loadCatalog ensures the operational hookwire.* types, then the configured
// catalog file, or in dev mode without one the embedded reference catalog.
func loadCatalog(ctx context.Context, cat *catalog.Catalog, cfg Config, log *slog.Logger) error {
	ops, err := catalog.Operational()
	if err != nil {
		return err
	}
	if err := cat.Load(ctx, ops); err != nil {
		return err
	}
	var types []catalog.EventType
	switch {
	case cfg.CatalogFile != "":
		b, err := os.ReadFile(cfg.CatalogFile)
		if err != nil {
			return fmt.Errorf("read catalog file: %w", err)
		}
		if types, err = catalog.Parse(b); err != nil {
			return fmt.Errorf("catalog file %s: %w", cfg.CatalogFile, err)
		}
	case cfg.Dev:
		if types, err = catalog.Reference(); err != nil {
			return err
		}
	default:
		return nil
	}
	if err := cat.Load(ctx, types); err != nil {
		return err
	}
	log.Info("event-type catalog loaded", "types", len(types), "file", cfg.CatalogFile)
	return nil
}

// Register registers RegistryService on g.
func (s *Service) Register(g grpc.ServiceRegistrar) {
	hookwirev1.RegisterRegistryServiceServer(g, s)
}

// Ready is closed once the subscription index holds the whole bucket.
func (s *Service) Ready() <-chan struct{} { return s.index.Ready() }

// Run keeps the subscription index current until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	defer func() { _ = s.metrics.Unregister() }()
	err := s.store.Watch(ctx, s.index.Apply, s.index.MarkSynced, func(key string, err error) {
		s.log.Error("undecodable subscription record skipped", "id", key, "error", err)
	})
	if err != nil {
		return fmt.Errorf("registry index: %w", err)
	}
	return nil
}

// wrote notes a write at bucket revision rev for read-your-writes.
func (s *Service) wrote(rev uint64) {
	for {
		cur := s.lastWrite.Load()
		if rev <= cur || s.lastWrite.CompareAndSwap(cur, rev) {
			return
		}
	}
}

// caughtUp waits until the index holds every write of this replica.
func (s *Service) caughtUp(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, indexWait)
	defer cancel()
	if err := s.index.WaitFor(ctx, s.lastWrite.Load()); err != nil {
		return errIndexBehind
	}
	return nil
}
