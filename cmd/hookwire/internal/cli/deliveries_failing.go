package cli

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// deliveriesFailingCommand ranks subscriptions by failed attempts
// (ListFailingSubscriptions), as the console's overview does.
func (a *app) deliveriesFailingCommand() *cobra.Command {
	var since, scope string
	var limit int32
	c := &cobra.Command{
		Use:   "failing [--since 1h] [--scope NODE] [--limit N]",
		Short: "Rank the subscriptions by failed attempts (no 2xx) in a recent window",
		Args:  exactArgs(0, "no arguments"),
	}
	fs := c.Flags()
	fs.StringVar(&since, "since", "1h", "window start as a duration ago or RFC 3339 (at most 24h ago)")
	fs.StringVar(&scope, "scope", "", "only subscriptions at or under this scope node (default: all the token sees)")
	fs.Int32Var(&limit, "limit", 0, "subscriptions to show (server default 10)")
	c.RunE = func(c *cobra.Command, _ []string) error {
		start, err := parseTimeArg("--since", since, time.Now())
		if err != nil {
			return usageError{err}
		}
		req := &hookwirev1.ListFailingSubscriptionsRequest{StartTime: timestamppb.New(start), Scope: scope, Limit: limit}
		dc, err := a.delivery()
		if err != nil {
			return err
		}
		ctx, cancel := a.callCtx(c.Context())
		defer cancel()
		resp, err := dc.ListFailingSubscriptions(ctx, req)
		if err != nil {
			return fail("list failing subscriptions", err)
		}
		return a.render(resp, func(w io.Writer) {
			row(w, "SUBSCRIPTION", "FAILED ATTEMPTS", "LAST FAILURE", "LAST ERROR")
			for _, s := range resp.GetSubscriptions() {
				row(w, s.GetSubscriptionId(), strconv.FormatInt(s.GetFailedAttempts(), 10), fmtTime(s.GetLastFailureTime()),
					truncate(oneLine(s.GetLastError()), 80))
			}
			if resp.GetTruncated() {
				fmt.Fprintln(w, "partial: the delivery log read only part of the window (its bound on one request); counts may be low and subscriptions missing")
			}
		})
	}
	return c
}
