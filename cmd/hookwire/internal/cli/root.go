// Package cli is the hookwire command line: gRPC client commands for the
// registry, ingest and delivery APIs, `hookwire listen`, and `hookwire dev`.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// version is reported as the telemetry service.version of `hookwire dev`;
// set it with -ldflags "-X github.com/hookwire/hookwire/cmd/hookwire/internal/cli.version=…".
var version = "dev"

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// Run executes the command line args (without the program name) and returns
// the process exit code: 0 on success, 1 when the command failed, 2 for a
// usage error. Cancelling ctx stops long-running commands (dev, listen).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	a.close()
	if err == nil {
		return exitOK
	}
	printError(stderr, err)
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintln(stderr, "Run 'hookwire --help' (or any command with --help) for usage.")
		return exitUsage
	}
	return exitError
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "hookwire",
		Short:         "Operate Hookwire, the webhook delivery platform, or run it locally with `hookwire dev`",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noSubcommand,
		RunE:          groupRunE,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.addr, "addr", envOr("HOOKWIRE_ADDR", "127.0.0.1:50051"), "gRPC address of Hookwire (env HOOKWIRE_ADDR)")
	pf.StringVar(&a.token, "token", os.Getenv("HOOKWIRE_TOKEN"), "bearer token (env HOOKWIRE_TOKEN)")
	pf.StringVar(&a.user, "user", os.Getenv("HOOKWIRE_USER"), "audit user id sent as x-user-id (env HOOKWIRE_USER)")
	pf.StringVarP(&a.output, "output", "o", "table", "output format: table or json")
	pf.DurationVar(&a.rpcTimeout, "timeout", 30*time.Second, "deadline of each API call")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if a.output != "table" && a.output != "json" {
			return usagef("--output must be table or json, not %q", a.output)
		}
		return nil
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		a.subscriptionsCommand(),
		a.eventTypesCommand(),
		a.eventsCommand(),
		a.deliveriesCommand(),
		a.listenCommand(),
		a.devCommand(),
		a.adminCommand(),
		a.deliveryLogCommand(),
	)
	return root
}

// groupRunE prints the help of a command that only groups subcommands.
func groupRunE(cmd *cobra.Command, _ []string) error { return cmd.Help() }

// noSubcommand rejects arguments to a command that only groups others.
func noSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return nil
}

func group(use, short string, aliases []string, children ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Aliases: aliases, Args: noSubcommand, RunE: groupRunE}
	c.AddCommand(children...)
	return c
}

// exactArgs is cobra.ExactArgs reporting a usage error.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("expected %s, got %d argument(s)", names, len(args))
		}
		return nil
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// usageError marks a mistake in the command line (exit code 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}
