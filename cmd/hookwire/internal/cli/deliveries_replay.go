package cli

import (
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

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
