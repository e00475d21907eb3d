package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

func (a *app) subscriptionsCommand() *cobra.Command {
	return group("subscriptions", "Manage webhook subscriptions", []string{"subscription", "subs", "sub"},
		a.subCreateCommand(),
		a.subListCommand(),
		a.subGetCommand(),
		a.subUpdateCommand(),
		a.subDeleteCommand(),
		a.subRotateCommand(),
		a.subPauseCommand(),
		a.subResumeCommand(),
		a.subTestCommand(),
	)
}

func (a *app) subCreateCommand() *cobra.Command {
	var f subFlags
	var requestID, secret string
	c := &cobra.Command{
		Use:   "create --url URL --event-type TYPE [flags]",
		Short: "Create a subscription; prints its signing secret once",
		Args:  exactArgs(0, "no arguments"),
	}
	f.register(c, true)
	c.Flags().StringVar(&requestID, "request-id", "", "x-request-id: repeating a create with the same id returns the first result")
	c.Flags().StringVar(&secret, "signing-secret", "", "use this whsec_... secret instead of a generated one")
	c.RunE = func(c *cobra.Command, _ []string) error {
		sub, _, err := f.build(c)
		if err != nil {
			return err
		}
		rc, err := a.registry()
		if err != nil {
			return err
		}
		var md []string
		if requestID != "" {
			md = []string{"x-request-id", requestID}
		}
		ctx, cancel := a.callCtx(c.Context(), md...)
		defer cancel()
		resp, err := rc.CreateSubscription(ctx, &hookwirev1.CreateSubscriptionRequest{Subscription: sub, SigningSecret: secret})
		if err != nil {
			return fail("create subscription", err)
		}
		return a.render(resp, func(w io.Writer) {
			subscriptionDetail(w, resp.GetSubscription())
			row(w)
			row(w, "SIGNING SECRET", resp.GetSigningSecret())
			if len(resp.GetEncryptionKey()) > 0 {
				row(w, "ENCRYPTION KEY", hexKey(resp.GetEncryptionKey()))
			}
			row(w)
			row(w, "Store the signing secret now: it is shown only once (rotate-secret issues a new one).")
		})
	}
	return c
}

func (a *app) subListCommand() *cobra.Command {
	var req hookwirev1.ListSubscriptionsRequest
	var status string
	var all bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List subscriptions",
		Args:  exactArgs(0, "no arguments"),
	}
	fs := c.Flags()
	fs.StringVar(&req.Scope, "scope", "", "only subscriptions at this scope (default: every subscription the token may see)")
	fs.BoolVar(&req.IncludeDescendants, "descendants", false, "with --scope: also subscriptions below it")
	fs.StringVar(&status, "status", "", "active, paused or suspended")
	fs.StringVar(&req.EventType, "event-type", "", "only subscriptions that would receive this event type")
	fs.Int32Var(&req.PageSize, "page-size", 0, "subscriptions per page (server default 100)")
	fs.StringVar(&req.PageToken, "page-token", "", "continue from a previous page")
	fs.BoolVar(&all, "all", false, "follow next_page_token and print every page")
	c.RunE = func(c *cobra.Command, _ []string) error {
		if !c.Flags().Changed("scope") {
			// No --scope: the whole tree the caller may see (the server
			// reads an empty scope with descendants as the token's own).
			req.IncludeDescendants = true
		}
		if status != "" {
			v, err := parseEnum("--status", status, "SUBSCRIPTION_STATUS_", hookwirev1.SubscriptionStatus_value)
			if err != nil {
				return usageError{err}
			}
			req.Status = hookwirev1.SubscriptionStatus(v)
		}
		rc, err := a.registry()
		if err != nil {
			return err
		}
		out := &hookwirev1.ListSubscriptionsResponse{}
		for {
			ctx, cancel := a.callCtx(c.Context())
			resp, err := rc.ListSubscriptions(ctx, &req)
			cancel()
			if err != nil {
				return fail("list subscriptions", err)
			}
			out.Subscriptions = append(out.Subscriptions, resp.GetSubscriptions()...)
			out.NextPageToken = resp.GetNextPageToken()
			if !all || out.NextPageToken == "" {
				break
			}
			req.PageToken = out.NextPageToken
		}
		return a.render(out, func(w io.Writer) {
			subscriptionTable(w, out.GetSubscriptions())
			if out.GetNextPageToken() != "" {
				row(w)
				row(w, "More: --page-token "+out.GetNextPageToken()+" (or --all)")
			}
		})
	}
	return c
}

func (a *app) subGetCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show one subscription",
		Args:  exactArgs(1, "a subscription ID"),
		RunE: func(c *cobra.Command, args []string) error {
			return call(a, c, a.registry, "get subscription "+args[0],
				func(ctx context.Context, rc hookwirev1.RegistryServiceClient) (*hookwirev1.GetSubscriptionResponse, error) {
					return rc.GetSubscription(ctx, &hookwirev1.GetSubscriptionRequest{Id: args[0]})
				},
				func(w io.Writer, resp *hookwirev1.GetSubscriptionResponse) {
					subscriptionDetail(w, resp.GetSubscription())
				})
		},
	}
}

func (a *app) subDeleteCommand() *cobra.Command {
	var revision uint64
	c := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a subscription",
		Args:  exactArgs(1, "a subscription ID"),
		RunE: func(c *cobra.Command, args []string) error {
			return call(a, c, a.registry, "delete subscription "+args[0],
				func(ctx context.Context, rc hookwirev1.RegistryServiceClient) (*hookwirev1.DeleteSubscriptionResponse, error) {
					return rc.DeleteSubscription(ctx, &hookwirev1.DeleteSubscriptionRequest{Id: args[0], Revision: revision})
				},
				func(w io.Writer, resp *hookwirev1.DeleteSubscriptionResponse) { row(w, "Deleted "+args[0]) })
		},
	}
	c.Flags().Uint64Var(&revision, "revision", 0, "fail unless this is the stored revision")
	return c
}
