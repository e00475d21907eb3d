package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/hookwire/hookwire/cmd/hookwire/internal/dev"
)

func (a *app) devCommand() *cobra.Command {
	var o dev.Options
	c := &cobra.Command{
		Use:   "dev [--grpc-addr ADDR] [--http-addr ADDR] [--data-dir DIR]",
		Short: "Run all of Hookwire in one process (embedded NATS JetStream and Redis), for development",
		Long: "dev runs the registry, ingest and dispatcher services on one gRPC port over an embedded\n" +
			"NATS JetStream server (data in --data-dir, kept across restarts) and an embedded\n" +
			"Redis-compatible server, unless HOOKWIRE_REDIS_URL points at a real Redis.\n" +
			"Callers need no token unless HOOKWIRE_TOKENS_FILE is set. Plain-HTTP and loopback\n" +
			"endpoints are allowed. Ctrl-C stops everything.",
		Args: exactArgs(0, "no arguments"),
	}
	fs := c.Flags()
	fs.StringVar(&o.GRPCAddr, "grpc-addr", "127.0.0.1:50051", "gRPC address of all three services")
	fs.StringVar(&o.HTTPAddr, "http-addr", "127.0.0.1:8081", "HTTP address of /healthz, /readyz and /metrics")
	fs.StringVar(&o.DataDir, "data-dir", ".hookwire", "directory of the NATS store and the dev master key")
	c.RunE = func(c *cobra.Command, _ []string) error {
		o.RedisURL = os.Getenv("HOOKWIRE_REDIS_URL")
		o.TokensFile = os.Getenv("HOOKWIRE_TOKENS_FILE")
		o.MasterKey = os.Getenv("HOOKWIRE_MASTER_KEY")
		o.Logger = slog.New(slog.NewTextHandler(a.stderr, nil))
		return runDev(c.Context(), o, a.stdout)
	}
	return c
}

// runDev starts the stack, prints the banner once it is ready and serves
// until ctx ends.
func runDev(ctx context.Context, o dev.Options, out io.Writer) error {
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
