// Command hookwire is the Hookwire operator CLI and `hookwire dev`, which
// runs the whole platform in one process. See `hookwire --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookwire/hookwire/cmd/hookwire/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
