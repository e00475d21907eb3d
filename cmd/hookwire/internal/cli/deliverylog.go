package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

func (a *app) deliveryLogCommand() *cobra.Command {
	return group("deliverylog", "The delivery log on PostgreSQL", nil, a.deliveryLogMigrateCommand())
}

func (a *app) deliveryLogMigrateCommand() *cobra.Command {
	var url string
	c := &cobra.Command{
		Use:   "migrate [--url postgres://…]",
		Short: "Apply the delivery log's schema migrations to PostgreSQL",
		Long: "migrate applies the schema migrations embedded in this binary that the database\n" +
			"has not seen yet, under the same advisory lock the dispatchers take when they run\n" +
			"them at start, so it is safe beside running dispatchers. It prints the versions it\n" +
			"applied. Prefer HOOKWIRE_DELIVERY_LOG_URL to --url: a password in --url is visible\n" +
			"to other users of the machine in the process list.",
		Args: exactArgs(0, "no arguments"),
	}
	c.Flags().StringVar(&url, "url", os.Getenv("HOOKWIRE_DELIVERY_LOG_URL"), "PostgreSQL URL of the delivery log (env HOOKWIRE_DELIVERY_LOG_URL)")
	c.RunE = func(c *cobra.Command, _ []string) error {
		if url == "" {
			return usagef("give the delivery log's PostgreSQL URL: HOOKWIRE_DELIVERY_LOG_URL or --url")
		}
		applied, err := deliverylog.MigrateURL(c.Context(), url)
		if err != nil {
			return fmt.Errorf("migrate the delivery log: %w", err)
		}
		if len(applied) == 0 {
			fmt.Fprintln(a.stdout, "delivery log schema is up to date")
			return nil
		}
		fmt.Fprintf(a.stdout, "applied %s\n", strings.Join(applied, ", "))
		return nil
	}
	return c
}
