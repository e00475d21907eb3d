// Command registry runs the Hookwire registry service: subscriptions and the
// event-type catalog over gRPC, stored in JetStream KV.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/grpcserver"
	"github.com/hookwire/hookwire/services/registry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(ctx, log); err != nil {
		log.Error("registry stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := registry.ConfigFromEnv()
	if err != nil {
		return err
	}
	authn := auth.Dev()
	if cfg.TokensFile != "" {
		if authn, err = auth.LoadFile(cfg.TokensFile); err != nil {
			return err
		}
	} else {
		log.Warn("HOOKWIRE_DEV=true and no tokens file: every caller is let in unauthenticated as root")
	}
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("hookwire-registry"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect nats %s: %w", cfg.NATSURL, err)
	}
	defer nc.Drain()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	svc, err := registry.New(ctx, cfg, registry.Deps{JS: js, Logger: log})
	if err != nil {
		return err
	}
	srv, err := grpcserver.New(cfg.GRPCAddr, grpcserver.Interceptors(authn, svc.AuthRules())...)
	if err != nil {
		return err
	}
	svc.Register(srv.GRPC)
	log.Info("registry listening", "grpc", srv.Addr(), "dev", cfg.Dev)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(ctx) })
	g.Go(func() error { return svc.Run(ctx) })
	return g.Wait()
}
