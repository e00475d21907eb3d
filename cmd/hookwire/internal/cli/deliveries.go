package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

func (a *app) deliveriesCommand() *cobra.Command {
	return group("deliveries", "Inspect the delivery log, redeliver and replay", []string{"delivery"},
		a.deliveriesListCommand(), a.deliveriesGetCommand(), a.deliveriesRedeliverCommand(), a.deliveriesReplayCommand(),
		a.deliveriesFailingCommand())
}

func (a *app) deliveriesListCommand() *cobra.Command {
	var req hookwirev1.ListDeliveriesRequest
	var state string
	var all bool
	c := &cobra.Command{
		Use:   "list (--subscription ID | --event ID)",
		Short: "List deliveries of a subscription or of an event",
		Args:  exactArgs(0, "no arguments"),
	}
	fs := c.Flags()
	fs.StringVar(&req.SubscriptionId, "subscription", "", "subscription ID")
	fs.StringVar(&req.EventId, "event", "", "event ID")
	fs.StringVar(&state, "state", "", "pending, delivered, failed or discarded")
	fs.Int32Var(&req.PageSize, "page-size", 0, "deliveries per page (server default 100)")
	fs.StringVar(&req.PageToken, "page-token", "", "continue from a previous page")
	fs.BoolVar(&all, "all", false, "follow next_page_token and print every page")
	c.RunE = func(c *cobra.Command, _ []string) error {
		if req.SubscriptionId == "" && req.EventId == "" {
			return usagef("give --subscription or --event")
		}
		if state != "" {
			v, err := parseEnum("--state", state, "DELIVERY_STATE_", hookwirev1.DeliveryState_value)
			if err != nil {
				return usageError{err}
			}
			req.State = hookwirev1.DeliveryState(v)
		}
		dc, err := a.delivery()
		if err != nil {
			return err
		}
		out := &hookwirev1.ListDeliveriesResponse{}
		for {
			ctx, cancel := a.callCtx(c.Context())
			resp, err := dc.ListDeliveries(ctx, &req)
			cancel()
			if err != nil {
				return fail("list deliveries", err)
			}
			out.Deliveries = append(out.Deliveries, resp.GetDeliveries()...)
			out.NextPageToken = resp.GetNextPageToken()
			if !all || out.NextPageToken == "" {
				break
			}
			req.PageToken = out.NextPageToken
		}
		return a.render(out, func(w io.Writer) {
			deliveryTable(w, out.GetDeliveries())
			if out.GetNextPageToken() != "" {
				row(w)
				row(w, "More: --page-token "+out.GetNextPageToken()+" (or --all)")
			}
		})
	}
	return c
}

func (a *app) deliveriesGetCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show one delivery and its attempts",
		Args:  exactArgs(1, "a delivery ID"),
		RunE: func(c *cobra.Command, args []string) error {
			return call(a, c, a.delivery, "get delivery "+args[0],
				func(ctx context.Context, dc hookwirev1.DeliveryServiceClient) (*hookwirev1.GetDeliveryResponse, error) {
					return dc.GetDelivery(ctx, &hookwirev1.GetDeliveryRequest{DeliveryId: args[0]})
				},
				func(w io.Writer, resp *hookwirev1.GetDeliveryResponse) { deliveryDetail(w, resp.GetDelivery()) })
		},
	}
}

func (a *app) deliveriesRedeliverCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "redeliver ID",
		Short: "Make a new attempt of a delivery (same webhook-id)",
		Args:  exactArgs(1, "a delivery ID"),
		RunE: func(c *cobra.Command, args []string) error {
			return call(a, c, a.delivery, "redeliver "+args[0],
				func(ctx context.Context, dc hookwirev1.DeliveryServiceClient) (*hookwirev1.RedeliverResponse, error) {
					return dc.Redeliver(ctx, &hookwirev1.RedeliverRequest{DeliveryId: args[0]})
				},
				func(w io.Writer, resp *hookwirev1.RedeliverResponse) { deliveryDetail(w, resp.GetDelivery()) })
		},
	}
}
