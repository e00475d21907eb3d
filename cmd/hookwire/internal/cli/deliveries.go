package cli

import (
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

func (a *app) deliveriesCommand() *cobra.Command {
	return group("deliveries", "Inspect the delivery log, redeliver and replay", []string{"delivery"},
		a.deliveriesListCommand(), a.deliveriesGetCommand(), a.deliveriesRedeliverCommand(), a.deliveriesReplayCommand())
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
			dc, err := a.delivery()
			if err != nil {
				return err
			}
			ctx, cancel := a.callCtx(c.Context())
			defer cancel()
			resp, err := dc.GetDelivery(ctx, &hookwirev1.GetDeliveryRequest{DeliveryId: args[0]})
			if err != nil {
				return fail("get delivery "+args[0], err)
			}
			return a.render(resp, func(w io.Writer) { deliveryDetail(w, resp.GetDelivery()) })
		},
	}
}

func (a *app) deliveriesRedeliverCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "redeliver ID",
		Short: "Make a new attempt of a delivery (same webhook-id)",
		Args:  exactArgs(1, "a delivery ID"),
		RunE: func(c *cobra.Command, args []string) error {
			dc, err := a.delivery()
			if err != nil {
				return err
			}
			ctx, cancel := a.callCtx(c.Context())
			defer cancel()
			resp, err := dc.Redeliver(ctx, &hookwirev1.RedeliverRequest{DeliveryId: args[0]})
			if err != nil {
				return fail("redeliver "+args[0], err)
			}
			return a.render(resp, func(w io.Writer) { deliveryDetail(w, resp.GetDelivery()) })
		},
	}
}

func (a *app) deliveriesReplayCommand() *cobra.Command {
	var sub, since, start, end string
	var includeDelivered bool
	c := &cobra.Command{
		Use:   "replay --subscription ID (--since 1h | --start RFC3339) [--end RFC3339]",
		Short: "Deliver again the events of a time window that match a subscription",
		Args:  exactArgs(0, "no arguments"),
	}
	fs := c.Flags()
	fs.StringVar(&sub, "subscription", "", "subscription ID (required)")
	fs.StringVar(&since, "since", "", "window start as a duration ago, e.g. 1h")
	fs.StringVar(&start, "start", "", "window start, RFC 3339")
	fs.StringVar(&end, "end", "", "window end, RFC 3339 or a duration ago (default now)")
	fs.BoolVar(&includeDelivered, "include-delivered", false, "also replay events already delivered successfully")
	c.RunE = func(c *cobra.Command, _ []string) error {
		req, err := replayRequest(sub, since, start, end, includeDelivered, time.Now())
		if err != nil {
			return err
		}
		dc, err := a.delivery()
		if err != nil {
			return err
		}
		ctx, cancel := a.callCtx(c.Context())
		defer cancel()
		resp, err := dc.Replay(ctx, req)
		if err != nil {
			return fail("replay "+sub, err)
		}
		return a.render(resp, func(w io.Writer) {
			row(w, "EVENTS MATCHED", "DELIVERIES QUEUED")
			row(w, strconv.FormatInt(resp.GetEventsMatched(), 10), strconv.FormatInt(resp.GetDeliveriesQueued(), 10))
		})
	}
	return c
}

// replayRequest builds a Replay request from the command's flags.
func replayRequest(sub, since, start, end string, includeDelivered bool, now time.Time) (*hookwirev1.ReplayRequest, error) {
	if sub == "" {
		return nil, usagef("--subscription is required")
	}
	if (since == "") == (start == "") {
		return nil, usagef("give exactly one of --since and --start")
	}
	from := since
	if from == "" {
		from = start
	}
	t, err := parseTimeArg("--start/--since", from, now)
	if err != nil {
		return nil, usageError{err}
	}
	req := &hookwirev1.ReplayRequest{SubscriptionId: sub, StartTime: timestamppb.New(t), IncludeDelivered: includeDelivered}
	if end != "" {
		e, err := parseTimeArg("--end", end, now)
		if err != nil {
			return nil, usageError{err}
		}
		req.EndTime = timestamppb.New(e)
	}
	return req, nil
}
