package console

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

const (
	overviewScan = 5000 // deliveries read per state for the failure ranking
	overviewTop  = 10
)

type overviewPage struct {
	Suspended          []*hookwirev1.Subscription
	SuspendedTruncated bool
	Failing            []failingSub
	FailingTruncated   bool
	Since              string
}

// failingSub is a subscription with its failed attempts of the last hour.
type failingSub struct {
	ID, Label, URL string
	Status         hookwirev1.SubscriptionStatus
	Failed         int
	LastError      string
	LastTime       time.Time
}

// overview: suspended subscriptions, and the subscriptions with the most
// failed attempts in the last hour (see failing).
func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := s.call(r.Context())
	p := &overviewPage{Since: time.Now().UTC().Add(-time.Hour).Format("15:04 UTC")}
	var err error
	p.Suspended, p.SuspendedTruncated, err = c.allSubscriptions(ctx, hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_SUSPENDED, 1000)
	if err != nil {
		c.failed(w, r, s, "list subscriptions", err)
		return
	}
	if p.Failing, p.FailingTruncated, err = c.failing(ctx, time.Now().Add(-time.Hour)); err != nil {
		c.failed(w, r, s, "list deliveries", err)
		return
	}
	c.render(w, r, s, http.StatusOK, "overview", p)
}

// failing ranks subscriptions by their failed attempts since t. It reads
// (bounded, each up to overviewScan) the deliveries created since t, the
// pending ones (older ones still retrying) and the failed ones created in
// the day before (an exhausted schedule's last attempts), each once.
func (c *Console) failing(ctx context.Context, since time.Time) ([]failingSub, bool, error) {
	queries := []*hookwirev1.ListDeliveriesRequest{
		{StartTime: timestamppb.New(since)},
		{State: hookwirev1.DeliveryState_DELIVERY_STATE_PENDING},
		{State: hookwirev1.DeliveryState_DELIVERY_STATE_FAILED, StartTime: timestamppb.New(since.Add(-24 * time.Hour))},
	}
	bySub := map[string]*failingSub{}
	seen := map[string]bool{}
	truncated := false
	for _, q := range queries {
		ds, more, err := c.scanDeliveries(ctx, q, overviewScan)
		if err != nil {
			return nil, false, err
		}
		truncated = truncated || more
		for _, d := range ds {
			if seen[d.GetId()] {
				continue
			}
			seen[d.GetId()] = true
			for _, a := range d.GetAttempts() {
				at := a.GetStartTime().AsTime()
				if at.Before(since) || (a.GetHttpStatus() >= 200 && a.GetHttpStatus() < 300) {
					continue
				}
				f := bySub[d.GetSubscriptionId()]
				if f == nil {
					f = &failingSub{ID: d.GetSubscriptionId()}
					bySub[f.ID] = f
				}
				f.Failed++
				if at.After(f.LastTime) {
					f.LastTime, f.LastError = at, attemptSummary(a)
				}
			}
		}
	}
	var out []failingSub
	for _, f := range bySub {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b failingSub) int {
		if a.Failed != b.Failed {
			return b.Failed - a.Failed
		}
		return b.LastTime.Compare(a.LastTime)
	})
	out = out[:min(len(out), overviewTop)]
	for i := range out {
		if resp, err := c.reg.GetSubscription(ctx, &hookwirev1.GetSubscriptionRequest{Id: out[i].ID}); err == nil {
			sub := resp.GetSubscription()
			out[i].Label, out[i].URL, out[i].Status = sub.GetLabel(), sub.GetUrl(), sub.GetStatus()
		}
	}
	return out, truncated, nil
}

// attemptSummary is an attempt's outcome in a few words.
func attemptSummary(a *hookwirev1.Attempt) string {
	if a.GetError() != "" {
		return a.GetError()
	}
	return fmt.Sprintf("HTTP %d %s", a.GetHttpStatus(), http.StatusText(int(a.GetHttpStatus())))
}
