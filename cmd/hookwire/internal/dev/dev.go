// Package dev runs the whole of Hookwire in one process for `hookwire dev`:
// an embedded NATS JetStream server, an embedded Redis-compatible server
// (unless a real Redis is given), the delivery log in JetStream KV (or on
// PostgreSQL, Options.DeliveryLogURL), and the registry, ingest and dispatcher
// services on one gRPC server, with health endpoints and the web console
// (/console/) on an HTTP port.
package dev

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/daemon"
	"github.com/hookwire/hookwire/pkg/grpcserver"
	"github.com/hookwire/hookwire/pkg/seal"
)

// service is what the stack needs from each Hookwire service.
type service interface {
	Register(grpc.ServiceRegistrar)
	AuthRules() auth.Rules
	Run(ctx context.Context) error
}

// Stack is a started dev stack: everything is bound and connected; Run
// serves it.
type Stack struct {
	opts       Options
	log        *slog.Logger
	nats       *server.Server
	nc         *nats.Conn
	redis      *redisStore
	services   []service
	ready      []<-chan struct{}
	readyNames []string // service of each ready channel
	grpc       *grpcserver.Server
	http       *daemon.HTTPServer
	devAuth    bool
	// consoleConn is the web console's client connection to grpc.
	consoleConn *grpc.ClientConn
}

// Start brings up NATS, Redis and the services and binds both listeners.
// On error everything already started is stopped again.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	o = o.withDefaults()
	s := &Stack{opts: o, log: o.Logger}
	defer func() {
		if err != nil {
			_ = s.close()
		}
	}()
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	key, origin, err := seal.ResolveKey(o.MasterKey, true, o.DataDir)
	if err != nil {
		return nil, err
	}
	if origin == seal.DevKeyFile {
		s.log.Warn("DEV MODE: secrets are sealed with the key file in the data dir, not for production",
			"key_file", filepath.Join(o.DataDir, seal.KeyFileName))
	}
	if s.nats, err = startNATS(o.DataDir, o.NATSPort); err != nil {
		return nil, err
	}
	if s.nc, err = nats.Connect(s.nats.ClientURL(), nats.Name("hookwire-dev"), nats.MaxReconnects(-1)); err != nil {
		return nil, fmt.Errorf("connect embedded nats: %w", err)
	}
	js, err := jetstream.New(s.nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if s.redis, err = openRedis(ctx, o.RedisURL, filepath.Join(o.DataDir, redisSnapshotFile)); err != nil {
		return nil, err
	}
	if err := s.buildServices(ctx, js, key); err != nil {
		return nil, err
	}
	authn := auth.Dev()
	if o.TokensFile != "" {
		if authn, err = auth.LoadFile(o.TokensFile); err != nil {
			return nil, err
		}
	} else {
		s.devAuth = true
		s.log.Warn("no HOOKWIRE_TOKENS_FILE: every caller is let in unauthenticated (dev mode)")
	}
	s.log.Warn("DEV MODE: http:// subscription URLs and loopback endpoints are accepted")
	rules := auth.Rules{}
	for _, svc := range s.services {
		for m, p := range svc.AuthRules() {
			rules[m] = p
		}
	}
	opts := grpcserver.Interceptors(authn, rules)
	if s.grpc, err = grpcserver.New(o.GRPCAddr, opts...); err != nil {
		return nil, err
	}
	for _, svc := range s.services {
		svc.Register(s.grpc.GRPC)
	}
	// /readyz: NATS connected, Redis answers, every service loaded its state.
	checks := []daemon.Check{daemon.NATSCheck(s.nc), daemon.RedisCheck(s.redis.Client)}
	for i, r := range s.ready {
		checks = append(checks, daemon.ReadyCheck(s.readyNames[i], r))
	}
	if s.http, err = daemon.NewHTTPServer(o.HTTPAddr, o.Metrics, checks...); err != nil {
		return nil, err
	}
	if err := s.mountConsole(); err != nil {
		return nil, err
	}
	return s, nil
}

// Run serves until ctx ends, then shuts down in order: the gRPC server
// drains in-flight calls, then the services stop, then NATS and Redis.
func (s *Stack) Run(ctx context.Context) error {
	svcCtx, stopServices := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServices()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer stopServices()
		err := s.grpc.Run(gctx)
		s.log.Info("hookwire dev: gRPC server stopped, stopping services")
		return err
	})
	g.Go(func() error { return s.http.Run(gctx) })
	g.Go(func() error { return s.redis.Run(svcCtx, s.log) })
	for _, svc := range s.services {
		g.Go(func() error {
			if err := svc.Run(svcCtx); err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		})
	}
	err := g.Wait()
	s.log.Info("hookwire dev: services stopped, stopping NATS and Redis")
	return errors.Join(err, s.close())
}

// close stops NATS and Redis (saving the embedded Redis's data); it is
// safe on a partly started stack.
func (s *Stack) close() error {
	closeConsole(s.consoleConn)
	if s.nc != nil {
		_ = s.nc.FlushTimeout(2 * time.Second)
		s.nc.Close()
	}
	if s.nats != nil {
		stopNATS(s.nats)
	}
	if s.redis != nil {
		return s.redis.close()
	}
	return nil
}
