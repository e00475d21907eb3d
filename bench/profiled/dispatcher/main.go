// Command dispatcher is services/dispatcher/cmd/dispatcher with a pprof listener
// (HOOKWIRE_PPROF_ADDR), for `bench -profiled`; keep it in step with that main.
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
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/hookwire/hookwire/bench/profiled"
	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/grpcserver"
	"github.com/hookwire/hookwire/services/dispatcher"
)

func main() {
	profiled.Start()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(ctx, log); err != nil {
		log.Error("dispatcher stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := dispatcher.ConfigFromEnv()
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
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("hookwire-dispatcher"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect nats %s: %w", cfg.NATSURL, err)
	}
	defer nc.Drain()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	ropts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("HOOKWIRE_REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(ropts)
	defer rdb.Close()
	svc, err := dispatcher.New(ctx, cfg, dispatcher.Deps{JS: js, Redis: rdb, Logger: log})
	if err != nil {
		return err
	}
	srv, err := grpcserver.New(cfg.GRPCAddr, grpcserver.Interceptors(authn, svc.AuthRules())...)
	if err != nil {
		return err
	}
	svc.Register(srv.GRPC)
	log.Info("dispatcher listening", "grpc", srv.Addr(), "dev", cfg.Dev)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(ctx) })
	g.Go(func() error { return svc.Run(ctx) })
	return g.Wait()
}
