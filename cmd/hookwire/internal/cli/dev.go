package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/hookwire/hookwire/cmd/hookwire/internal/dev"
	"github.com/hookwire/hookwire/pkg/daemon"
	"github.com/hookwire/hookwire/pkg/envconf"
	"github.com/hookwire/hookwire/pkg/telemetry"
)

func (a *app) devCommand() *cobra.Command {
	var o dev.Options
	var logFormat string
	c := &cobra.Command{
		Use:   "dev [--grpc-addr ADDR] [--http-addr ADDR] [--nats-port PORT] [--data-dir DIR] [--jaeger-url URL] [--log-format json|text]",
		Short: "Run all of Hookwire in one process (embedded NATS JetStream and Redis), for development",
		Long: "dev runs the registry, ingest and dispatcher services on one gRPC port over an embedded\n" +
			"NATS JetStream server (data in --data-dir, kept across restarts) and an embedded\n" +
			"Redis-compatible server, unless HOOKWIRE_REDIS_URL points at a real Redis. The\n" +
			"delivery log is embedded too (JetStream KV), unless HOOKWIRE_DELIVERY_LOG_URL (or the\n" +
			"file HOOKWIRE_DELIVERY_LOG_URL_FILE names) points at PostgreSQL: its migrations run\n" +
			"at start, as in the dispatcher.\n" +
			"Callers need no token unless HOOKWIRE_TOKENS_FILE is set. Plain-HTTP and loopback\n" +
			"endpoints are allowed. /healthz, /readyz and /metrics are served on --http-addr;\n" +
			"traces are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set\n" +
			"(e.g. http://localhost:4317 for a local Jaeger). Logs go to stderr, level\n" +
			"HOOKWIRE_LOG_LEVEL (default info). Ctrl-C stops everything.",
		Args: exactArgs(0, "no arguments"),
	}
	fs := c.Flags()
	fs.StringVar(&o.GRPCAddr, "grpc-addr", "127.0.0.1:50051", "gRPC address of all three services")
	fs.StringVar(&o.HTTPAddr, "http-addr", "127.0.0.1:8081", "HTTP address of /healthz, /readyz and /metrics")
	fs.StringVar(&o.DataDir, "data-dir", ".hookwire", "directory of the NATS store and the dev master key")
	fs.IntVar(&o.NATSPort, "nats-port", 0, "loopback port of the embedded NATS server (default: a free port, printed in the banner)")
	fs.StringVar(&o.JaegerURL, "jaeger-url", os.Getenv("HOOKWIRE_JAEGER_URL"), "Jaeger UI base URL the console links traces to (default $HOOKWIRE_JAEGER_URL; empty: no links)")
	fs.StringVar(&logFormat, "log-format", "json", "log format on stderr: json or text")
	c.RunE = func(c *cobra.Command, _ []string) error {
		log, err := devLogger(a.stderr, logFormat)
		if err != nil {
			return err
		}
		o.RedisURL = os.Getenv("HOOKWIRE_REDIS_URL")
		env := envconf.New(os.LookupEnv)
		// Secrets, each also from its X_FILE twin, as the services read them.
		env.Secret("HOOKWIRE_DELIVERY_LOG_URL", &o.DeliveryLogURL) // it holds the database password
		env.Secret("HOOKWIRE_MASTER_KEY", &o.MasterKey)
		env.Secret("HOOKWIRE_MASTER_KEYS_PREVIOUS", &o.MasterKeysPrevious)
		if err := env.Err(); err != nil {
			return fmt.Errorf("hookwire dev: %w", err)
		}
		o.TokensFile = os.Getenv("HOOKWIRE_TOKENS_FILE")
		o.Logger = log
		telemetry.RouteLibraryLogs(log)
		return runDev(c.Context(), o, a.stdout)
	}
	return c
}

// devLogger logs at HOOKWIRE_LOG_LEVEL in format, with trace ids. Each
// service's records carry its name as "service" (package dev adds it).
func devLogger(w io.Writer, format string) (*slog.Logger, error) {
	level, err := daemon.LogLevel()
	if err != nil {
		return nil, usageError{err}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "json":
		return slog.New(telemetry.TraceHandler{Handler: slog.NewJSONHandler(w, opts)}), nil
	case "text":
		return slog.New(telemetry.TraceHandler{Handler: slog.NewTextHandler(w, opts)}), nil
	}
	return nil, usagef("--log-format must be json or text, not %q", format)
}

// runDev sets up telemetry once for the process, starts the stack, prints
// the banner once it is ready and serves until ctx ends.
func runDev(ctx context.Context, o dev.Options, out io.Writer) error {
	tel, shutdown, err := telemetry.Setup(ctx, "hookwire-dev", version)
	if err != nil {
		return fmt.Errorf("hookwire dev: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			o.Logger.Warn("telemetry shutdown", "error", err)
		}
	}()
	o.Metrics = tel.Metrics
	st, err := dev.Start(ctx, o)
	if err != nil {
		return fmt.Errorf("hookwire dev: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return st.Run(gctx) })
	g.Go(func() error {
		if err := st.WaitReady(gctx); err != nil {
			return nil // stopping before ready: Run reports why
		}
		printBanner(out, st)
		return nil
	})
	return g.Wait()
}
