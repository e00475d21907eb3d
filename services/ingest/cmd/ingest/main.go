// Command ingest runs the Hookwire ingest service: it validates published
// events and stores them in the JetStream stream EVENTS, answering repeats
// from the events' Redis records. Process wiring (telemetry, logs, NATS,
// Redis, auth, gRPC, /healthz /readyz /metrics on
// HOOKWIRE_HTTP_ADDR, default :8082, and -healthcheck) is package daemon's.
package main

import (
	"context"

	"github.com/hookwire/hookwire/pkg/daemon"
	"github.com/hookwire/hookwire/services/ingest"
)

var version = "dev" // set with -ldflags "-X main.version=…"

func main() {
	daemon.Main(daemon.Program{Name: "ingest", Version: version, Configure: configure})
}

func configure() (daemon.Process, error) {
	cfg, err := ingest.ConfigFromEnv()
	if err != nil {
		return daemon.Process{}, err
	}
	return daemon.Process{
		GRPCAddr: cfg.GRPCAddr, NATSURL: cfg.NATSURL, RedisURL: cfg.RedisURL, TokensFile: cfg.TokensFile, Dev: cfg.Dev,
		Build: func(ctx context.Context, d daemon.Deps) (daemon.Service, error) {
			return ingest.New(ctx, cfg, ingest.Deps{JS: d.JS, Redis: d.Redis, Logger: d.Logger})
		},
	}, nil
}
