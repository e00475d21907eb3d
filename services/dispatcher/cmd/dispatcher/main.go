// Command dispatcher runs the Hookwire dispatcher: fan-out of accepted
// events, signed delivery with retries, and the gRPC DeliveryService.
// Process wiring (telemetry, logs, NATS, Redis, auth, gRPC, /healthz
// /readyz /metrics on HOOKWIRE_HTTP_ADDR, default :8083, and -healthcheck)
// is package daemon's; /readyz also waits for Redis and for the dispatcher
// to have loaded every subscription and started consuming.
package main

import (
	"context"

	"github.com/hookwire/hookwire/pkg/daemon"
	"github.com/hookwire/hookwire/services/dispatcher"
)

var version = "dev" // set with -ldflags "-X main.version=…"

func main() {
	daemon.Main(daemon.Program{Name: "dispatcher", Version: version, Configure: configure})
}

func configure() (daemon.Process, error) {
	cfg, err := dispatcher.ConfigFromEnv()
	if err != nil {
		return daemon.Process{}, err
	}
	return daemon.Process{
		GRPCAddr: cfg.GRPCAddr, NATSURL: cfg.NATSURL, RedisURL: cfg.RedisURL, TokensFile: cfg.TokensFile, Dev: cfg.Dev,
		Build: func(ctx context.Context, d daemon.Deps) (daemon.Service, error) {
			return dispatcher.New(ctx, cfg, dispatcher.Deps{JS: d.JS, Redis: d.Redis, Logger: d.Logger})
		},
	}, nil
}
