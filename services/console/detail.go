package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// deliveryScan bounds the deliveries one page reads from the delivery log
// (which lists in the order of their latest write): the page shows the
// newest of what it read.
const (
	deliveryScan  = 2000
	deliveriesMax = 50
)

// windows are the time filters offered for deliveries.
var windows = map[string]time.Duration{"15m": 15 * time.Minute, "1h": time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour}

var stateFilter = map[string]hookwirev1.DeliveryState{
	"pending":   hookwirev1.DeliveryState_DELIVERY_STATE_PENDING,
	"delivered": hookwirev1.DeliveryState_DELIVERY_STATE_DELIVERED,
	"failed":    hookwirev1.DeliveryState_DELIVERY_STATE_FAILED,
	"discarded": hookwirev1.DeliveryState_DELIVERY_STATE_DISCARDED,
	"held":      hookwirev1.DeliveryState_DELIVERY_STATE_HELD,
}

type subscriptionPage struct {
	Sub         *hookwirev1.Subscription
	State       string
	Since       string
	Deliveries  []*hookwirev1.Delivery
	Truncated   bool // more deliveries than were read
	Test        *hookwirev1.TestEndpointResponse
	RetryPolicy []string
	// Last24h counts the deliveries created in the last 24 hours by state.
	Last24h []stateCount
}

// showSubscription: settings, actions and recent deliveries, filtered by
// state and time window; once after "Send test event", its result.
func (c *Console) showSubscription(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	test := c.sessions.takeTest(w, r, s, id)
	ctx := s.call(r.Context())
	resp, err := c.reg.GetSubscription(ctx, &hookwirev1.GetSubscriptionRequest{Id: id})
	if err != nil {
		c.failed(w, r, s, "get subscription", err)
		return
	}
	q := r.URL.Query()
	p := &subscriptionPage{Sub: resp.GetSubscription(), State: q.Get("state"), Since: q.Get("since"), Test: test}
	for _, d := range p.Sub.GetRetryPolicy().GetDelays() {
		p.RetryPolicy = append(p.RetryPolicy, shortDuration(d.AsDuration()))
	}
	p.Deliveries, p.Truncated, err = c.recentDeliveries(ctx, &hookwirev1.ListDeliveriesRequest{
		SubscriptionId: id, State: stateFilter[p.State],
	}, windows[p.Since])
	if err != nil {
		c.failed(w, r, s, "list deliveries", err)
		return
	}
	if p.Last24h, _, err = c.countByState(ctx, id, time.Now().Add(-24*time.Hour), time.Time{}); err != nil {
		c.failed(w, r, s, "count deliveries", err)
		return
	}
	c.render(w, r, s, http.StatusOK, "subscription", p)
}

// recentDeliveries reads up to deliveryScan deliveries of req created
// within the window (0: any time) and returns the newest deliveriesMax.
func (c *Console) recentDeliveries(ctx context.Context, req *hookwirev1.ListDeliveriesRequest, window time.Duration) ([]*hookwirev1.Delivery, bool, error) {
	if window > 0 {
		req.StartTime = timestamppb.New(time.Now().Add(-window))
	}
	out, truncated, err := c.scanDeliveries(ctx, req, deliveryScan)
	if err != nil {
		return nil, false, err
	}
	slices.SortFunc(out, func(a, b *hookwirev1.Delivery) int {
		return b.GetUpdateTime().AsTime().Compare(a.GetUpdateTime().AsTime())
	})
	return out[:min(len(out), deliveriesMax)], truncated, nil
}

// stateCount is the number of a subscription's deliveries in one state.
type stateCount struct {
	State hookwirev1.DeliveryState
	Count int64
}

// countByState counts a subscription's deliveries created since start, by
// state (CountDeliveries).
func (c *Console) countByState(ctx context.Context, id string, start, end time.Time) ([]stateCount, int64, error) {
	req := &hookwirev1.CountDeliveriesRequest{SubscriptionId: id, StartTime: timestamppb.New(start)}
	if !end.IsZero() {
		req.EndTime = timestamppb.New(end)
	}
	resp, err := c.del.CountDeliveries(ctx, req)
	if err != nil {
		return nil, 0, err
	}
	var out []stateCount
	var total int64
	for _, n := range resp.GetCounts() {
		out = append(out, stateCount{State: n.GetState(), Count: n.GetCount()})
		total += n.GetCount()
	}
	return out, total, nil
}

// scanDeliveries pages through req up to max deliveries.
func (c *Console) scanDeliveries(ctx context.Context, req *hookwirev1.ListDeliveriesRequest, max int) ([]*hookwirev1.Delivery, bool, error) {
	var all []*hookwirev1.Delivery
	req.PageSize = 1000
	for {
		resp, err := c.del.ListDeliveries(ctx, req)
		if err != nil {
			return nil, false, err
		}
		all = append(all, resp.GetDeliveries()...)
		req.PageToken = resp.GetNextPageToken()
		if req.PageToken == "" {
			return all, false, nil
		}
		if len(all) >= max {
			return all, true, nil
		}
	}
}

func (c *Console) pause(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	_, err := c.reg.PauseSubscription(s.call(r.Context()), &hookwirev1.PauseSubscriptionRequest{Id: id, Reason: r.PostFormValue("reason")})
	if err != nil {
		c.failed(w, r, s, "pause subscription", err)
		return
	}
	c.redirect(w, r, s, "Paused: deliveries are held until you resume.", "subscriptions", id)
}

func (c *Console) resume(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if _, err := c.reg.ResumeSubscription(s.call(r.Context()), &hookwirev1.ResumeSubscriptionRequest{Id: id}); err != nil {
		c.failed(w, r, s, "resume subscription", err)
		return
	}
	c.redirect(w, r, s, "Resumed: held deliveries flow again.", "subscriptions", id)
}

// rotate issues a new signing secret, shown once.
func (c *Console) rotate(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	resp, err := c.reg.RotateSecret(s.call(r.Context()), &hookwirev1.RotateSecretRequest{Id: id})
	if err != nil {
		c.failed(w, r, s, "rotate secret", err)
		return
	}
	note := "rotated"
	if t := resp.GetPreviousSecretExpireTime(); t != nil {
		note = "rotated; the previous secret keeps signing until " + formatTime(t)
	}
	if err := c.sessions.keepSecret(w, r, s, &onceSecret{SubscriptionID: id, SigningSecret: resp.GetSigningSecret(), Note: note}); err != nil {
		c.notesFailed(w, r, err)
		return
	}
	c.redirect(w, r, s, "", "subscriptions", id, "secret")
}

// testSaved sends a test event to the saved subscription (its auth, secret
// and encryption) and redirects to its page, which shows the result once:
// a reload or the back button sends no second test event.
func (c *Console) testSaved(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	resp, err := c.reg.TestEndpoint(s.call(r.Context()), &hookwirev1.TestEndpointRequest{
		Target: &hookwirev1.TestEndpointRequest_SubscriptionId{SubscriptionId: id},
	})
	if err != nil {
		c.failed(w, r, s, "test endpoint", err)
		return
	}
	resp.SigningSecret = ""
	if err := c.sessions.keepTest(w, r, s, &testResult{SubscriptionID: id, Resp: resp}); err != nil {
		c.notesFailed(w, r, err)
		return
	}
	c.redirect(w, r, s, "", "subscriptions", id)
}

type secretPage struct {
	ID     string
	Secret *onceSecret
}

// showSecret shows the secret kept by create, update or rotate, once: a
// reload or the back button finds it gone.
func (c *Console) showSecret(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	c.render(w, r, s, http.StatusOK, "secret", &secretPage{ID: id, Secret: c.sessions.takeSecret(w, r, s, id)})
}

type deletePage struct {
	Sub *hookwirev1.Subscription
}

func (c *Console) confirmDelete(w http.ResponseWriter, r *http.Request, s *session) {
	resp, err := c.reg.GetSubscription(s.call(r.Context()), &hookwirev1.GetSubscriptionRequest{Id: r.PathValue("id")})
	if err != nil {
		c.failed(w, r, s, "get subscription", err)
		return
	}
	c.render(w, r, s, http.StatusOK, "confirm_delete", &deletePage{Sub: resp.GetSubscription()})
}

// deleteSubscription deletes at the revision the confirmation showed.
func (c *Console) deleteSubscription(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	rev, _ := strconv.ParseUint(r.PostFormValue("revision"), 10, 64)
	_, err := c.reg.DeleteSubscription(s.call(r.Context()), &hookwirev1.DeleteSubscriptionRequest{Id: id, Revision: rev})
	if isConflict(err) {
		c.redirect(w, r, s, "Not deleted: the subscription changed since you opened the confirmation. Check it and try again.", "subscriptions", id)
		return
	}
	if err != nil {
		c.failed(w, r, s, "delete subscription", err)
		return
	}
	c.redirect(w, r, s, "Deleted "+id+".", "subscriptions")
}
