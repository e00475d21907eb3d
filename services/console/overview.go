package console

import (
	"context"
	"net/http"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// overviewTop is how many failing subscriptions the overview shows.
const overviewTop = 10

type overviewPage struct {
	Suspended          []*hookwirev1.Subscription
	SuspendedTruncated bool
	Failing            []failingSub
	FailingTruncated   bool // the delivery log read only part of the hour
	NoRanking          bool // the dispatcher is older than ListFailingSubscriptions
	Since              string
}

// failingSub is a subscription with its failed attempts of the last hour.
type failingSub struct {
	ID, Label, URL string
	Status         hookwirev1.SubscriptionStatus
	Failed         int64
	LastError      string
	LastTime       time.Time
}

// overview: suspended subscriptions, and the subscriptions with the most
// failed attempts in the last hour (see failing); beside a dispatcher
// older than the ranking, the overview without it.
func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := s.call(r.Context())
	p := &overviewPage{Since: time.Now().UTC().Add(-time.Hour).Format("15:04 UTC")}
	var err error
	p.Suspended, p.SuspendedTruncated, err = c.allSubscriptions(ctx, hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_SUSPENDED, 1000)
	if err != nil {
		c.failed(w, r, s, "list subscriptions", err)
		return
	}
	p.Failing, p.FailingTruncated, err = c.failing(ctx, time.Now().Add(-time.Hour))
	switch {
	case status.Code(err) == codes.Unimplemented:
		// A dispatcher older than the ranking (a rolling upgrade): the
		// rest of the overview stands without it.
		p.NoRanking = true
	case err != nil:
		c.failed(w, r, s, "list failing subscriptions", err)
		return
	}
	c.render(w, r, s, http.StatusOK, "overview", p)
}

// failing is the dispatcher's exact ranking of the subscriptions the
// session sees by their failed attempts since t, with each one's label,
// URL and status from the registry, and whether it is partial (the
// delivery log read only part of the window).
func (c *Console) failing(ctx context.Context, since time.Time) ([]failingSub, bool, error) {
	resp, err := c.del.ListFailingSubscriptions(ctx, &hookwirev1.ListFailingSubscriptionsRequest{
		StartTime: timestamppb.New(since), Limit: overviewTop,
	})
	if err != nil {
		return nil, false, err
	}
	out := make([]failingSub, len(resp.GetSubscriptions()))
	for i, f := range resp.GetSubscriptions() {
		out[i] = failingSub{ID: f.GetSubscriptionId(), Failed: f.GetFailedAttempts(),
			LastError: f.GetLastError(), LastTime: f.GetLastFailureTime().AsTime()}
		if r, err := c.reg.GetSubscription(ctx, &hookwirev1.GetSubscriptionRequest{Id: f.GetSubscriptionId()}); err == nil {
			sub := r.GetSubscription()
			out[i].Label, out[i].URL, out[i].Status = sub.GetLabel(), sub.GetUrl(), sub.GetStatus()
		}
	}
	return out, resp.GetTruncated(), nil
}
