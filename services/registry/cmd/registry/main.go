// Command registry runs the Hookwire registry service: subscriptions and the
// event-type catalog over gRPC, stored in JetStream KV. Process wiring
// (telemetry, logs, NATS, auth, gRPC, /healthz /readyz /metrics on
// HOOKWIRE_HTTP_ADDR, default :8081, and -healthcheck) is package daemon's.
package main

import (
	"context"

	"github.com/hookwire/hookwire/pkg/daemon"
	"github.com/hookwire/hookwire/services/registry"
)

var version = "dev" // set with -ldflags "-X main.version=…"

func main() {
	daemon.Main(daemon.Program{Name: "registry", Version: version, Configure: configure})
}

func configure() (daemon.Process, error) {
	cfg, err := registry.ConfigFromEnv()
	if err != nil {
		return daemon.Process{}, err
	}
	return daemon.Process{
		GRPCAddr: cfg.GRPCAddr, NATSURL: cfg.NATSURL, TokensFile: cfg.TokensFile, Dev: cfg.Dev,
		Build: func(ctx context.Context, d daemon.Deps) (daemon.Service, error) {
			return registry.New(ctx, cfg, registry.Deps{JS: d.JS, Logger: d.Logger})
		},
	}, nil
}
