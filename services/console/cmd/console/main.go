// Command console runs the Hookwire operator web console on
// HOOKWIRE_CONSOLE_ADDR (default :8084), at /console/, with /healthz,
// /readyz and /metrics beside it; see console.Config for the environment.
// It is a client of the registry and dispatcher gRPC APIs and needs no
// NATS or Redis, so it wires itself with pieces of package daemon rather
// than daemon.Main. With the argument -healthcheck it asks its own
// /healthz and exits 0 or 1 (for distroless containers).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hookwire/hookwire/pkg/daemon"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/services/console"
)

var version = "dev" // set with -ldflags "-X main.version=…"

func main() {
	if daemon.IsHealthcheck(os.Args[1:]) {
		os.Exit(healthcheck())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	level, err := daemon.LogLevel()
	log := telemetry.NewLogger(os.Stderr, level, "console")
	if err == nil {
		err = run(ctx, log)
	}
	stop()
	if err != nil {
		log.Error("console stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := console.ConfigFromEnv()
	if err != nil {
		return err
	}
	tel, shutdown, err := telemetry.Setup(ctx, "hookwire-console", version)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = shutdown(sctx)
	}()
	srv, err := console.NewServer(cfg, log, tel.Metrics)
	if err != nil {
		return err
	}
	log.Info("console listening", "http", srv.Addr(), "registry", cfg.RegistryAddr, "dispatcher", cfg.DispatcherAddr, "dev", cfg.Dev)
	return srv.Run(ctx)
}

// healthcheck GETs /healthz on 127.0.0.1 at HOOKWIRE_CONSOLE_ADDR's port.
func healthcheck() int {
	cfg, err := console.ConfigFromEnv()
	if err == nil {
		var port string
		if _, port, err = net.SplitHostPort(cfg.Addr); err == nil {
			var resp *http.Response
			client := &http.Client{Timeout: 3 * time.Second}
			if resp, err = client.Get("http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("/healthz: %s", resp.Status)
				}
			}
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "healthcheck: %v\n", err)
		return 1
	}
	return 0
}
