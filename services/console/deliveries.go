package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/telemetry"
)

type deliveryPage struct {
	D        *hookwirev1.Delivery
	TraceURL string
	// Attempts newest first.
	Attempts []*hookwirev1.Attempt
}

// showDelivery: the attempt timeline, Redeliver and the trace link.
func (c *Console) showDelivery(w http.ResponseWriter, r *http.Request, s *session) {
	resp, err := c.del.GetDelivery(s.call(r.Context()), &hookwirev1.GetDeliveryRequest{DeliveryId: r.PathValue("id")})
	if err != nil {
		c.failed(w, r, s, "get delivery", err)
		return
	}
	d := resp.GetDelivery()
	p := &deliveryPage{D: d, TraceURL: c.traceURL(d.GetEventId())}
	for i := len(d.GetAttempts()) - 1; i >= 0; i-- {
		p.Attempts = append(p.Attempts, d.GetAttempts()[i])
	}
	c.render(w, r, s, http.StatusOK, "delivery", p)
}

// traceURL is the Jaeger search for the event's trace ("" without Jaeger).
func (c *Console) traceURL(eventID string) string {
	if c.cfg.JaegerURL == "" {
		return ""
	}
	tags, _ := json.Marshal(map[string]string{string(telemetry.AttrEventID): eventID})
	q := url.Values{"service": {c.cfg.JaegerService}, "tags": {string(tags)}, "lookback": {"2d"}}
	return strings.TrimSuffix(c.cfg.JaegerURL, "/") + "/search?" + q.Encode()
}

func (c *Console) redeliver(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if _, err := c.del.Redeliver(s.call(r.Context()), &hookwirev1.RedeliverRequest{DeliveryId: id}); err != nil {
		c.failed(w, r, s, "redeliver", err)
		return
	}
	c.redirect(w, r, s, "Redelivery queued: a new attempt with the same webhook-id.", "deliveries", id)
}

type eventsPage struct {
	ID         string
	Deliveries []*hookwirev1.Delivery
	Truncated  bool
	Searched   bool
}

// lookupEvent lists every delivery of one event across the subscriptions
// the token sees.
func (c *Console) lookupEvent(w http.ResponseWriter, r *http.Request, s *session) {
	p := &eventsPage{ID: strings.TrimSpace(r.URL.Query().Get("id"))}
	if p.ID != "" {
		var err error
		p.Searched = true
		p.Deliveries, p.Truncated, err = c.recentDeliveries(s.call(r.Context()), &hookwirev1.ListDeliveriesRequest{EventId: p.ID}, 0)
		if err != nil {
			c.failed(w, r, s, "list deliveries", err)
			return
		}
	}
	c.render(w, r, s, http.StatusOK, "events", p)
}
