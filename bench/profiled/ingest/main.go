// Command ingest is services/ingest/cmd/ingest with a pprof listener
// (HOOKWIRE_PPROF_ADDR), for `bench -profiled`; keep it in step with that main.
package main

import (
	"context"

	"github.com/hookwire/hookwire/bench/profiled"
	"github.com/hookwire/hookwire/pkg/daemon"
	"github.com/hookwire/hookwire/services/ingest"
)

var version = "dev" // set with -ldflags "-X main.version=…"

func main() {
	profiled.Start()
	daemon.Main(daemon.Program{Name: "ingest", Version: version, Configure: configure})
}

func configure() (daemon.Process, error) {
	cfg, err := ingest.ConfigFromEnv()
	if err != nil {
		return daemon.Process{}, err
	}
	return daemon.Process{
		GRPCAddr: cfg.GRPCAddr, NATSURL: cfg.NATSURL, TokensFile: cfg.TokensFile, Dev: cfg.Dev,
		Build: func(ctx context.Context, d daemon.Deps) (daemon.Service, error) {
			return ingest.New(ctx, cfg, ingest.Deps{JS: d.JS, Logger: d.Logger})
		},
	}, nil
}
